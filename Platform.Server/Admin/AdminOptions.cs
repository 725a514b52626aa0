using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Admin;

/// <summary>
/// <c>Baas:Admin</c> (env <c>Baas__Admin__Email</c> / <c>Baas__Admin__Password</c>): an admin created at
/// start-up when no admin has that email. An existing admin's password is never overwritten from here.
/// </summary>
public sealed class AdminOptions : IValidatableObject
{
    public const string Section = "Baas:Admin";

    public string? Email { get; set; }

    public string? Password { get; set; }

    /// <summary>True when both settings are present, so an admin is seeded.</summary>
    public bool SeedsAdmin => !string.IsNullOrWhiteSpace(Email) && !string.IsNullOrEmpty(Password);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var hasEmail = !string.IsNullOrWhiteSpace(Email);
        var hasPassword = !string.IsNullOrEmpty(Password);
        if (hasEmail != hasPassword)
        {
            yield return new ValidationResult(
                "Set both Baas:Admin:Email and Baas:Admin:Password to seed an admin, or neither.",
                [hasEmail ? nameof(Password) : nameof(Email)]);
            yield break;
        }

        if (!hasEmail)
        {
            yield break;
        }

        foreach (var problem in AdminCredentials.ValidateEmail(AdminCredentials.NormalizeEmail(Email)))
        {
            yield return new ValidationResult("Baas:Admin:Email: " + problem, [nameof(Email)]);
        }

        foreach (var problem in AdminCredentials.ValidatePassword(Password))
        {
            yield return new ValidationResult("Baas:Admin:Password: " + problem, [nameof(Password)]);
        }
    }
}

/// <summary>Checks <see cref="AdminOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class AdminOptionsValidator : IValidateOptions<AdminOptions>;
