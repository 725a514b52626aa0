using System.Net.Mail;
using Platform.Server.Common;

namespace Platform.Server.Admin;

/// <summary>Email normalization and the password rules for admin accounts.</summary>
public static class AdminCredentials
{
    public const int MinPasswordLength = 8;

    // PBKDF2 cost grows with input length; a bound keeps a login from becoming a CPU sink.
    public const int MaxPasswordLength = 256;

    public const int MinUniquePasswordChars = 4;

    public const int MaxEmailLength = 254;

    /// <summary>Trimmed and lower-cased, the form that is stored and compared.</summary>
    public static string NormalizeEmail(string? email) => (email ?? string.Empty).Trim().ToLowerInvariant();

    /// <summary>Problems with an already normalized email; empty when it is acceptable.</summary>
    public static IReadOnlyList<string> ValidateEmail(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        if (email.Length == 0)
        {
            return ["The email is required."];
        }

        if (email.Length > MaxEmailLength)
        {
            return [$"The email must be at most {MaxEmailLength} characters."];
        }

        var at = email.IndexOf('@', StringComparison.Ordinal);
        var plausible = at > 0
            && at == email.LastIndexOf('@')
            && at < email.Length - 1
            && !email.Any(char.IsWhiteSpace)
            && MailAddress.TryCreate(email, out var parsed)
            && parsed.Address == email;
        return plausible ? [] : ["The email is not a valid address."];
    }

    /// <summary>Every rule the password breaks; empty when it is acceptable.</summary>
    public static IReadOnlyList<string> ValidatePassword(string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return ["The password is required."];
        }

        var problems = new List<string>();
        if (password.Length < MinPasswordLength)
        {
            problems.Add($"The password must be at least {MinPasswordLength} characters.");
        }

        if (password.Length > MaxPasswordLength)
        {
            problems.Add($"The password must be at most {MaxPasswordLength} characters.");
        }

        if (password.Distinct().Count() < MinUniquePasswordChars)
        {
            problems.Add($"The password must use at least {MinUniquePasswordChars} different characters.");
        }

        if (string.IsNullOrWhiteSpace(password))
        {
            problems.Add("The password must not be only whitespace.");
        }

        return problems;
    }

    /// <summary>Every problem of a new account's <c>email</c> and <c>password</c>; empty when both are acceptable.</summary>
    public static IReadOnlyList<FieldError> Validate(string normalizedEmail, string? password) =>
    [
        .. ValidateEmail(normalizedEmail).Select(message => new FieldError("email", message)),
        .. ValidatePassword(password).Select(message => new FieldError("password", message)),
    ];
}
