using System.ComponentModel.DataAnnotations;

namespace Platform.Admin.Components;

/// <summary>An email and a password, as the sign-in, setup and new-admin forms take them. The server has the final word on rules.</summary>
public sealed class CredentialsForm
{
    [Required(ErrorMessage = "The email is required.")]
    [EmailAddress(ErrorMessage = "Enter an email address such as admin@example.com.")]
    public string Email { get; set; } = string.Empty;

    [Required(ErrorMessage = "The password is required.")]
    public string Password { get; set; } = string.Empty;
}

/// <summary>The setup form: credentials and the password typed twice.</summary>
public sealed class SetupForm : IValidatableObject
{
    [Required(ErrorMessage = "The email is required.")]
    [EmailAddress(ErrorMessage = "Enter an email address such as admin@example.com.")]
    public string Email { get; set; } = string.Empty;

    [Required(ErrorMessage = "The password is required.")]
    public string Password { get; set; } = string.Empty;

    [Required(ErrorMessage = "Type the password again.")]
    public string ConfirmPassword { get; set; } = string.Empty;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.Equals(Password, ConfirmPassword, StringComparison.Ordinal))
        {
            yield return new ValidationResult("The passwords differ.", [nameof(ConfirmPassword)]);
        }
    }
}
