using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Server.Admin;

/// <summary>The problem+json answers of the admin endpoints, each with a stable <c>code</c>.</summary>
internal static class AdminProblems
{
    public static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(
            errors,
            detail: "See errors for the fields at fault.",
            title: "The request is not valid.",
            extensions: new Dictionary<string, object?> { ["code"] = "validation_failed" });

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public static ProblemHttpResult InvalidCredentials() =>
        Problem(StatusCodes.Status401Unauthorized, "invalid_credentials", "Invalid credentials", "The email or password is wrong.");

    public static ProblemHttpResult EmailTaken() =>
        Problem(StatusCodes.Status409Conflict, "email_taken", "Email in use", "An admin with this email already exists.");
}
