using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Platform.Server.Common;

namespace Platform.Server.Hosting;

/// <summary>
/// Builds and writes the RFC 7807 answers that are not an endpoint's typed result: the exception handler's, and those of
/// middleware that answers before or beside routing (request head limits, auth challenges, the rate limiter, the jobs
/// dashboard). One shape for all: <c>status</c>, <c>title</c> (the reason phrase), <c>detail</c>, a stable <c>code</c>
/// and, where one thing is at fault, its <c>field</c>; written through <see cref="IProblemDetailsService"/>, so the
/// content type, <c>type</c>, <c>traceId</c> and <see cref="ProblemCodes"/> apply as to the framework's own problems.
/// </summary>
internal static class ProblemWriter
{
    public static ProblemDetails Create(ErrorKind kind, string code, string detail, string? field = null) =>
        Create(ProblemMapping.StatusOf(kind), code, detail, field);

    /// <summary>A problem of <paramref name="status"/>; a status without a reason phrase (499) is titled "Error".</summary>
    public static ProblemDetails Create(int status, string code, string detail, string? field = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error",
            Detail = detail,
        };
        problem.Extensions["code"] = code;
        if (field is not null)
        {
            problem.Extensions["field"] = field;
        }

        return problem;
    }

    /// <summary>
    /// Sets the status and writes <paramref name="problem"/> with <paramref name="service"/> (the request's own when
    /// null); false when no writer accepts the request's <c>Accept</c> header, with the status set and nothing written.
    /// </summary>
    public static async ValueTask<bool> TryWriteAsync(HttpContext context, ProblemDetails problem, Exception? exception = null, IProblemDetailsService? service = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(problem);
        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        service ??= context.RequestServices.GetService<IProblemDetailsService>();
        return service is not null && await service.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>
    /// Writes <paramref name="problem"/>; a client whose <c>Accept</c> header takes no JSON gets the status with an empty
    /// body (<see cref="IProblemDetailsService.WriteAsync"/> would throw, turning a 4xx into a 500).
    /// </summary>
    public static async Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        if (!await TryWriteAsync(context, problem))
        {
            context.Response.ContentLength = 0;
        }
    }
}
