using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Platform.Server.Common;

namespace Platform.Server.Users;

/// <summary>The client errors of the user endpoints, and the reading of their JSON bodies field by field.</summary>
internal static class UserProblems
{
    /// <summary>Fields of the user object that only the server (or an admin, through the admin API) sets.</summary>
    private static readonly HashSet<string> UserFields = new(StringComparer.Ordinal)
    {
        "id", "email", "emailVerified", "anonymous", "roles", "createdAt", "lastLoginAt", "disabled", "password",
    };

    public static DomainException InvalidCredentials() =>
        new(ErrorKind.Unauthenticated, "invalid_credentials", "The email or password is wrong.");

    public static DomainException UserDisabled() =>
        new(ErrorKind.Forbidden, "user_disabled", "This account is disabled.");

    public static DomainException Unauthenticated(string detail) =>
        new(ErrorKind.Unauthenticated, "unauthenticated", detail);

    public static DomainException InvalidToken() =>
        new(ErrorKind.Invalid, "invalid_token", "The token is invalid, expired or already used.", "token");

    public static DomainException Validation(string field, string message) =>
        new InvalidInputException("validation_failed", message, field) { Errors = [new FieldError(field, message)] };

    /// <summary>An Identity failure as the API answers it: weak passwords, taken emails, bad tokens, lost races.</summary>
    public static DomainException From(IdentityResult result)
    {
        var errors = result.Errors.ToList();
        var password = errors.Where(e => e.Code.StartsWith("Password", StringComparison.Ordinal)).ToList();
        if (password.Count > 0)
        {
            return new InvalidInputException("weak_password", string.Join(" ", password.Select(e => e.Description)), "password")
            {
                Errors = [.. password.Select(e => new FieldError("password", e.Description))],
            };
        }

        if (errors.Any(e => e.Code == nameof(IdentityErrorDescriber.DuplicateEmail)))
        {
            return new DomainException(ErrorKind.Conflict, "email_taken", "An account with this email already exists.", "email");
        }

        if (errors.Any(e => e.Code == nameof(IdentityErrorDescriber.InvalidToken)))
        {
            return InvalidToken();
        }

        if (errors.Any(e => e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure)))
        {
            return new DomainException(ErrorKind.Conflict, "write_conflict", "The account changed at the same time; try again.");
        }

        return new InvalidInputException("validation_failed", string.Join(" ", errors.Select(e => e.Description)));
    }

    /// <summary>Refuses every key but <paramref name="allowed"/>: user fields are read-only here, anything else unknown.</summary>
    public static void OnlyFields(JsonObject body, params string[] allowed)
    {
        foreach (var (name, _) in body)
        {
            if (allowed.Contains(name, StringComparer.Ordinal))
            {
                continue;
            }

            if (UserFields.Contains(name) || name.StartsWith('_'))
            {
                throw new InvalidInputException("read_only_field", $"'{name}' cannot be changed here.", name);
            }

            throw new InvalidInputException("unknown_field", $"'{name}' is not a field this endpoint accepts.", name);
        }
    }

    public static string RequiredString(JsonObject body, string name) =>
        OptionalString(body, name) is { Length: > 0 } value ? value : throw Validation(name, $"'{name}' is required.");

    public static string? OptionalString(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => throw new InvalidInputException("invalid_body", $"'{name}' must be a string.", name),
    };

    public static bool? OptionalBool(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>(),
        _ => throw new InvalidInputException("invalid_body", $"'{name}' must be true or false.", name),
    };

    /// <summary>An object member; null when absent or JSON null.</summary>
    public static JsonObject? OptionalObject(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonObject value => value,
        _ => throw new InvalidInputException("invalid_body", $"'{name}' must be a JSON object.", name),
    };
}
