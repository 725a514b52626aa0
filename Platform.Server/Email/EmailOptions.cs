using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Email;

/// <summary><c>Baas:Email</c>: where the server's mail goes. SMTP when <c>Baas:Email:Smtp:Host</c> is set, else the outbox.</summary>
public sealed class EmailOptions
{
    public const string Section = "Baas:Email";

    /// <summary>How many messages the outbox keeps; older ones are pruned as new ones arrive.</summary>
    [Range(1, 100_000)]
    public int OutboxLimit { get; set; } = 1000;
}

/// <summary>How the SMTP connection is secured (MailKit's <c>SecureSocketOptions</c>).</summary>
public enum SmtpSecurity
{
    /// <summary>Plain text: only for a relay on localhost or a trusted network.</summary>
    None,

    /// <summary>Connect in plain text, then require <c>STARTTLS</c> (typically port 587).</summary>
    StartTls,

    /// <summary>TLS from the first byte (implicit TLS, typically port 465).</summary>
    SslOnConnect,

    /// <summary>TLS on port 465, otherwise <c>STARTTLS</c> when the server offers it.</summary>
    Auto,
}

/// <summary><c>Baas:Email:Smtp</c>: the SMTP relay. Unset <see cref="Host"/> means "use the outbox".</summary>
public sealed class SmtpOptions : IValidatableObject
{
    public const string Section = "Baas:Email:Smtp";

    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>Set together with <see cref="Password"/> to authenticate; leave both empty for an open relay.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    /// <summary>The sender address, bare (<c>noreply@example.com</c>); required with <see cref="Host"/>.</summary>
    public string? FromAddress { get; set; }

    public string? FromName { get; set; }

    /// <summary>Timeout of each SMTP operation (connect, authenticate, send).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>True when mail goes through SMTP.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Host);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        // A bare address only: "Name <a@b>" belongs in FromName and FromAddress separately.
        if (string.IsNullOrWhiteSpace(FromAddress)
            || !MimeKit.MailboxAddress.TryParse(FromAddress, out var parsed)
            || !string.Equals(parsed.Address, FromAddress.Trim(), StringComparison.Ordinal))
        {
            yield return new ValidationResult("Baas:Email:Smtp:FromAddress must be an email address when Baas:Email:Smtp:Host is set.", [nameof(FromAddress)]);
        }

        if (string.IsNullOrEmpty(Username) != string.IsNullOrEmpty(Password))
        {
            yield return new ValidationResult("Set both Baas:Email:Smtp:Username and Baas:Email:Smtp:Password, or neither.", [nameof(Username)]);
        }
    }
}

/// <summary>Checks <see cref="EmailOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class EmailOptionsValidator : IValidateOptions<EmailOptions>;

/// <summary>Checks <see cref="SmtpOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class SmtpOptionsValidator : IValidateOptions<SmtpOptions>;
