using Microsoft.AspNetCore.Http;

namespace Platform.Server.Hosting;

/// <summary>
/// Every problem carries a stable <c>code</c>. Ours set it; problems the framework writes itself
/// (unknown routes, wrong methods, status-code pages) get one derived from the status.
/// </summary>
internal static class ProblemCodes
{
    public static void AddDefaultCode(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Extensions.TryAdd("code", (problem.Status ?? context.HttpContext.Response.StatusCode) switch
        {
            StatusCodes.Status400BadRequest => "bad_request",
            StatusCodes.Status401Unauthorized => "unauthenticated",
            StatusCodes.Status403Forbidden => "forbidden",
            StatusCodes.Status404NotFound => "not_found",
            StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
            StatusCodes.Status413PayloadTooLarge => "payload_too_large",
            StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
            StatusCodes.Status429TooManyRequests => "rate_limited",
            StatusCodes.Status503ServiceUnavailable => "unavailable",
            var status when status >= 500 => "internal_error",
            _ => "error",
        });

        // The framework's defaults give a type only to the statuses it writes itself; the others a client meets here get
        // their RFC's section too, so every problem has one.
        problem.Type ??= (problem.Status ?? context.HttpContext.Response.StatusCode) switch
        {
            StatusCodes.Status413PayloadTooLarge => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
            StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
            _ => null,
        };

        // Routing refuses a body of another media type before our JSON reader sees it: say which header is at fault, as
        // the reader's own 415 does.
        if ((problem.Status ?? context.HttpContext.Response.StatusCode) == StatusCodes.Status415UnsupportedMediaType)
        {
            problem.Extensions.TryAdd("field", "Content-Type");
            problem.Detail ??= $"Content-Type must be application/json (was '{Common.JsonInput.Printable(context.HttpContext.Request.ContentType ?? "none")}').";
        }
    }
}
