using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Platform.Server.Email;

/// <summary>The mail could not be handed to the SMTP server; the inner exception says why.</summary>
public sealed class EmailDeliveryException : Exception
{
    public EmailDeliveryException()
        : this("The email could not be sent.")
    {
    }

    public EmailDeliveryException(string message)
        : base(message)
    {
    }

    public EmailDeliveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Sends through the configured SMTP relay, one connection per message: the server sends little mail
/// (resets, verifications), and a fresh connection never inherits a broken one's state.
/// </summary>
internal sealed class SmtpEmailSender(IOptions<SmtpOptions> options, ILogger<SmtpEmailSender> logger) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var smtp = options.Value;
        var host = smtp.Host!;
        using var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(smtp.FromName ?? string.Empty, smtp.FromAddress!));
        mime.To.Add(MailboxAddress.Parse(message.To));
        mime.Subject = message.Subject;
        mime.Body = new TextPart("plain") { Text = message.Body };

        using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(host, smtp.Port, ToSocketOptions(smtp.Security), cancellationToken);
            if (!string.IsNullOrEmpty(smtp.Username))
            {
                await client.AuthenticateAsync(smtp.Username, smtp.Password ?? string.Empty, cancellationToken);
            }

            await client.SendAsync(mime, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The message body may hold a one-time token, so only the envelope is logged.
            EmailLog.SendFailed(logger, ex, message.To, message.Subject, host, smtp.Port);
            throw new EmailDeliveryException($"The email to {message.To} could not be sent through {host}:{smtp.Port}.", ex);
        }

        EmailLog.Sent(logger, message.To, message.Subject, host, smtp.Port);
    }

    private static SecureSocketOptions ToSocketOptions(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };
}
