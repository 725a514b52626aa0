using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Platform.Server.Email;

namespace Platform.Server.Tests.Users;

/// <summary>Keeps every mail instead of sending it; tests read tokens out of them.</summary>
internal sealed partial class CapturingEmailSender : IEmailSender
{
    private readonly ConcurrentQueue<EmailMessage> _messages = new();

    public IReadOnlyList<EmailMessage> Messages => [.. _messages];

    public Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        _messages.Enqueue(message);
        return Task.CompletedTask;
    }

    public IReadOnlyList<EmailMessage> To(string address) => [.. _messages.Where(m => m.To == address)];

    /// <summary>The token of the only mail to <paramref name="address"/> whose subject contains <paramref name="subject"/>.</summary>
    public string SingleToken(string address, string subject)
    {
        var mail = Assert.Single(To(address), m => m.Subject.Contains(subject, StringComparison.OrdinalIgnoreCase));
        return TokenLine().Match(mail.Body).Groups[1].Value;
    }

    [GeneratedRegex(@"^Token: (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TokenLine();
}
