using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Platform.Server.Email;

namespace Platform.Server.Tests.Users;

/// <summary>Keeps every mail instead of sending it; tests read tokens out of them.</summary>
internal sealed partial class CapturingEmailSender : IEmailSender
{
    private readonly ConcurrentQueue<EmailMessage> _messages = new();
    private readonly ConcurrentDictionary<string, bool> _failing = new(StringComparer.Ordinal);

    public IReadOnlyList<EmailMessage> Messages => [.. _messages];

    /// <summary>Mail to <paramref name="address"/> fails from now on, as an unreachable SMTP server would.</summary>
    public void FailFor(string address) => _failing[address] = true;

    public Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        if (_failing.ContainsKey(message.To))
        {
            throw new EmailDeliveryException($"The email to {message.To} could not be sent.", new IOException("connection refused"));
        }

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
