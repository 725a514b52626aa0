using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Users;

/// <summary>
/// The app-user part of <c>Baas:Auth</c> (token lifetimes live in <see cref="Auth.AuthOptions"/>): links in
/// emails, email token lifetime, how often a node re-checks that a session is alive, and the
/// <c>Password</c> and <c>Lockout</c> subsections handed to ASP.NET Core Identity.
/// </summary>
public sealed class UserAuthOptions : IValidatableObject
{
    public const string Section = "Baas:Auth";

    /// <summary>
    /// Base URL of the app that handles the links in emails, e.g. <c>https://app.example.com</c>: password
    /// reset mails link to <c>{PublicUrl}/reset-password?token=...</c>, verification mails to
    /// <c>{PublicUrl}/verify-email?token=...</c>. Without it, mails carry the token alone.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>How long a password-reset or email-verification token stays usable.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan EmailTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a node trusts that an access token's session is still alive before it reads the session again.
    /// Logout, disabling or deleting a user ends the session at once on the node that did it and within this
    /// time on the others; 0 checks the store on every request.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan SessionCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    // Checked by Validate below, whose failures name the nested key (Password:RequiredLength); not [ValidateObjectMembers].
#pragma warning disable SYSLIB1212
    /// <summary><c>Baas:Auth:Password</c>: what a new password must have.</summary>
    public UserPasswordOptions Password { get; set; } = new();
#pragma warning restore SYSLIB1212

    // Checked by Validate below, whose failures name the nested key (Password:RequiredLength); not [ValidateObjectMembers].
#pragma warning disable SYSLIB1212
    /// <summary><c>Baas:Auth:Lockout</c>: locking an account after repeated wrong passwords.</summary>
    public UserLockoutOptions Lockout { get; set; } = new();
#pragma warning restore SYSLIB1212

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicUrl is not null && (!PublicUrl.IsAbsoluteUri || (PublicUrl.Scheme != Uri.UriSchemeHttp && PublicUrl.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult("PublicUrl must be an absolute http or https URL.", [nameof(PublicUrl)]);
        }

        // ValidateDataAnnotations does not descend into nested objects.
        foreach (var (name, value) in new (string, object)[] { (nameof(Password), Password), (nameof(Lockout), Lockout) })
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
            foreach (var result in results)
            {
                yield return new ValidationResult(result.ErrorMessage, [.. result.MemberNames.Select(m => $"{name}:{m}")]);
            }
        }
    }
}

/// <summary><c>Baas:Auth:Password</c>. Passwords are also capped at <see cref="MaxLength"/> characters, as hashing cost grows with length.</summary>
public sealed class UserPasswordOptions
{
    public const int MaxLength = 256;

    [Range(6, 128)]
    public int RequiredLength { get; set; } = 8;

    /// <summary>How many different characters a password must use.</summary>
    [Range(1, 64)]
    public int RequiredUniqueChars { get; set; } = 4;

    public bool RequireDigit { get; set; }

    public bool RequireLowercase { get; set; }

    public bool RequireUppercase { get; set; }

    public bool RequireNonAlphanumeric { get; set; }
}

/// <summary><c>Baas:Auth:Lockout</c>.</summary>
public sealed class UserLockoutOptions
{
    /// <summary>Wrong passwords in a row that lock the account.</summary>
    [Range(1, 100)]
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>How long a locked account refuses every sign-in, even with the right password.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Checks <see cref="UserAuthOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class UserAuthOptionsValidator : IValidateOptions<UserAuthOptions>;
