using System.Collections.Frozen;
using Platform.Server.Common;
using Platform.Server.Functions;

namespace Platform.Server.Hosting;

/// <summary>
/// The one place where a kind of failure becomes an HTTP status. Domain code raises <see cref="DomainException"/>
/// with an <see cref="ErrorKind"/>; the exception handler, the auth schemes, the admin endpoints and the rate limiter
/// all ask this table for the status to answer (docs/errors.md, "How statuses are chosen").
/// </summary>
public static class ProblemMapping
{
    /// <summary>Every kind and its status (a function's <see cref="ErrorKind.Rejected"/> answers the status it chose; 400 stands for 4xx here).</summary>
    public static FrozenDictionary<ErrorKind, int> Statuses { get; } = new Dictionary<ErrorKind, int>
    {
        [ErrorKind.Invalid] = StatusCodes.Status400BadRequest,
        [ErrorKind.Unauthenticated] = StatusCodes.Status401Unauthorized,
        [ErrorKind.Forbidden] = StatusCodes.Status403Forbidden,
        [ErrorKind.NotFound] = StatusCodes.Status404NotFound,
        [ErrorKind.Conflict] = StatusCodes.Status409Conflict,
        [ErrorKind.PreconditionFailed] = StatusCodes.Status412PreconditionFailed,
        [ErrorKind.TooLarge] = StatusCodes.Status413PayloadTooLarge,
        [ErrorKind.TargetTooLong] = StatusCodes.Status414UriTooLong,
        [ErrorKind.HeadersTooLarge] = StatusCodes.Status431RequestHeaderFieldsTooLarge,
        [ErrorKind.UnsupportedFormat] = StatusCodes.Status415UnsupportedMediaType,
        [ErrorKind.Unprocessable] = StatusCodes.Status422UnprocessableEntity,
        [ErrorKind.RateLimited] = StatusCodes.Status429TooManyRequests,
        [ErrorKind.Rejected] = StatusCodes.Status400BadRequest,
        [ErrorKind.ClientClosed] = StatusCodes.Status499ClientClosedRequest,
        [ErrorKind.Internal] = StatusCodes.Status500InternalServerError,
        [ErrorKind.Unavailable] = StatusCodes.Status503ServiceUnavailable,
    }.ToFrozenDictionary();

    /// <summary>The status of <paramref name="kind"/>.</summary>
    public static int StatusOf(ErrorKind kind) =>
        Statuses.TryGetValue(kind, out var status) ? status : StatusCodes.Status500InternalServerError;

    /// <summary>The status to answer <paramref name="exception"/> with: its kind's, or the one a rejecting function chose.</summary>
    public static int StatusOf(DomainException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is FunctionRejectedException { Rejection.Status: >= 400 and <= 499 and var chosen }
            ? chosen
            : StatusOf(exception.Kind);
    }

    /// <summary>
    /// The kind of a status the framework chose (model binding, Kestrel's limits, status-code pages): the reverse of
    /// <see cref="StatusOf(ErrorKind)"/> for the statuses in the table, <see cref="ErrorKind.Internal"/> for other 5xx
    /// and <see cref="ErrorKind.Invalid"/> for other 4xx.
    /// </summary>
    public static ErrorKind KindOf(int status)
    {
        foreach (var (kind, mapped) in Statuses)
        {
            if (mapped == status && kind != ErrorKind.Rejected)
            {
                return kind;
            }
        }

        return status >= 500 ? ErrorKind.Internal : ErrorKind.Invalid;
    }
}
