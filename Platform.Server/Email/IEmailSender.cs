namespace Platform.Server.Email;

/// <summary>One plain-text message to one recipient.</summary>
public sealed record EmailMessage(string To, string Subject, string Body);

/// <summary>
/// Sends the server's mail (password resets, email verification): through SMTP when <c>Baas:Email:Smtp</c> is
/// configured, otherwise into the outbox that admins read at <c>GET /api/admin/outbox</c>.
/// </summary>
public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default);
}
