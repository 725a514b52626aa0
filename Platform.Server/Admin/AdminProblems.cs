using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Platform.Server.Common;
using Platform.Server.Hosting;

namespace Platform.Server.Admin;

/// <summary>
/// The problem+json answers of the admin endpoints, in the shape of the server's exception handler:
/// a stable <c>code</c>, and for invalid input the first <c>field</c> at fault plus all <c>errors</c>.
/// </summary>
internal static class AdminProblems
{
    public static ProblemHttpResult Problem(ErrorKind kind, string code, string detail, params (string Key, object? Value)[] extensions)
    {
        var status = ProblemMapping.StatusOf(kind);
        var members = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code };
        foreach (var (key, value) in extensions)
        {
            members[key] = value;
        }

        return TypedResults.Problem(detail, statusCode: status, title: ReasonPhrases.GetReasonPhrase(status), extensions: members);
    }

    public static ProblemHttpResult Validation(IReadOnlyList<FieldError> errors) =>
        Problem(
            ErrorKind.Invalid,
            "validation_failed",
            errors.Count == 1 ? errors[0].Message : string.Join(" ", errors.Select(e => e.Message)),
            ("field", errors[0].Path),
            ("errors", errors));

    public static ProblemHttpResult Validation(string field, string message) => Validation([new FieldError(field, message)]);

    public static ProblemHttpResult InvalidCredentials() =>
        Problem(ErrorKind.Unauthenticated, "invalid_credentials", "The email or password is wrong.");

    /// <summary>401 <c>locked_out</c> with <c>retryAfter</c>, the seconds until the lockout ends (the caller sets <c>Retry-After</c>).</summary>
    public static ProblemHttpResult LockedOut(long retryAfterSeconds) =>
        Problem(
            ErrorKind.Unauthenticated,
            "locked_out",
            $"Too many wrong passwords: this admin account is locked for {retryAfterSeconds} more seconds.",
            ("retryAfter", retryAfterSeconds));

    public static ProblemHttpResult EmailTaken() =>
        Problem(ErrorKind.Conflict, "email_taken", "An admin with this email already exists.", ("field", "email"));
}
