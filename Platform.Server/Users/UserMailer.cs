using Microsoft.Extensions.Options;
using Platform.Server.Email;

namespace Platform.Server.Users;

/// <summary>Writes the password-reset and verification mails: the token itself, and a link when <c>Baas:Auth:PublicUrl</c> is set.</summary>
internal sealed class UserMailer(IEmailSender sender, IOptions<UserAuthOptions> options)
{
    public const string ResetPasswordPath = "reset-password";
    public const string VerifyEmailPath = "verify-email";

    public Task SendPasswordResetAsync(string to, string token, CancellationToken cancellationToken = default) =>
        sender.SendAsync(
            new EmailMessage(
                to,
                "Reset your password",
                Compose(
                    "Someone asked to reset the password of your account. If it was you, use this link or token to choose a new password.",
                    ResetPasswordPath,
                    token,
                    "If you did not ask for this, ignore this message: your password stays as it is.")),
            cancellationToken);

    public Task SendVerificationAsync(string to, string token, CancellationToken cancellationToken = default) =>
        sender.SendAsync(
            new EmailMessage(
                to,
                "Verify your email address",
                Compose(
                    "Confirm that this address belongs to you with this link or token.",
                    VerifyEmailPath,
                    token,
                    "If you did not create an account, ignore this message.")),
            cancellationToken);

    private string Compose(string intro, string path, string token, string outro)
    {
        var lines = new List<string> { intro, string.Empty };
        if (options.Value.PublicUrl is { } baseUrl)
        {
            lines.Add(Link(baseUrl, path, token).ToString());
            lines.Add(string.Empty);
        }

        lines.Add($"Token: {token}");
        lines.Add(string.Empty);
        lines.Add($"The token expires in {Describe(options.Value.EmailTokenLifetime)}.");
        lines.Add(outro);
        return string.Join('\n', lines);
    }

    internal static Uri Link(Uri baseUrl, string path, string token)
    {
        var text = baseUrl.ToString();
        var separator = text.EndsWith('/') ? string.Empty : "/";
        return new Uri($"{text}{separator}{path}?token={Uri.EscapeDataString(token)}");
    }

    private static string Describe(TimeSpan lifetime) => lifetime.TotalHours >= 1 && lifetime.TotalHours == Math.Floor(lifetime.TotalHours)
        ? $"{lifetime.TotalHours:0} hour{(lifetime.TotalHours == 1 ? string.Empty : "s")}"
        : $"{lifetime.TotalMinutes:0} minutes";
}
