using Platform.Server.Common;
using Platform.Server.Hosting;

namespace Platform.Server.Auth;

/// <summary>
/// 401 and 403 answers of the auth schemes as RFC 7807 problem+json with a stable <c>code</c>, written
/// through <see cref="ProblemWriter"/> so they look like every other error of the API.
/// </summary>
internal static class AuthProblems
{
    public const string UnauthenticatedCode = "unauthenticated";
    public const string ForbiddenCode = "forbidden";

    public static Task WriteUnauthenticatedAsync(HttpContext context, string detail) =>
        WriteAsync(context, ErrorKind.Unauthenticated, detail, UnauthenticatedCode);

    public static Task WriteForbiddenAsync(HttpContext context) =>
        WriteAsync(context, ErrorKind.Forbidden, "The caller may not use this endpoint.", ForbiddenCode);

    private static Task WriteAsync(HttpContext context, ErrorKind kind, string detail, string code) =>
        ProblemWriter.WriteAsync(context, ProblemWriter.Create(kind, code, detail));
}
