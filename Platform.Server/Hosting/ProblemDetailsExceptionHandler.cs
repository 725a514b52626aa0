using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Platform.Server.Common;
using Platform.Server.Email;
using Platform.Server.Storage;

namespace Platform.Server.Hosting;

/// <summary>
/// The one place where exceptions become RFC 7807 responses. Domain exceptions carry their kind and code; storage
/// failures are given a kind here; <see cref="ProblemMapping"/> turns the kind into the status. Anything else is
/// <see cref="ErrorKind.Internal"/> (500) whose text stays in the log.
/// </summary>
internal sealed partial class ProblemDetailsExceptionHandler(
    IProblemDetailsService problemDetails,
    ILogger<ProblemDetailsExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var opIndex = (exception as BatchOperationException)?.OpIndex;
        if (exception is BatchOperationException batch)
        {
            exception = batch.InnerException!;
        }

        // Only a client that went away is 499; any other cancellation (an internal timeout) is a server fault.
        var problem = exception is OperationCanceledException && !httpContext.RequestAborted.IsCancellationRequested
            ? ToProblem(new InvalidOperationException("An operation was cancelled unexpectedly.", exception))
            : ToProblem(exception);
        if (problem.Status >= 500)
        {
            if (exception is StorageUnavailableException)
            {
                Log.StorageUnavailable(logger, exception);
            }
            else
            {
                Log.Unhandled(logger, httpContext.Request.Method, httpContext.Request.Path, exception);
            }
        }

        if (opIndex is not null)
        {
            problem.Extensions["opIndex"] = opIndex;
        }

        if (exception is DomainException { RetryAfter: { } retryAfter })
        {
            httpContext.Response.Headers.RetryAfter = Seconds(retryAfter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return await ProblemWriter.TryWriteAsync(httpContext, problem, exception, problemDetails);
    }

    internal static ProblemDetails ToProblem(Exception exception)
    {
        switch (exception)
        {
            case DomainException domain:
            {
                var problem = ProblemWriter.Create(ProblemMapping.StatusOf(domain), domain.Code, domain.Message, domain.Field);
                if (domain.Position is not null)
                {
                    problem.Extensions["position"] = domain.Position;
                }

                if (domain.Errors is not null)
                {
                    problem.Extensions["errors"] = domain.Errors;
                }

                if (domain.RetryAfter is { } retryAfter)
                {
                    problem.Extensions["retryAfter"] = Seconds(retryAfter);
                }

                foreach (var (key, value) in domain.Extensions ?? new Dictionary<string, object?>())
                {
                    problem.Extensions[key] = value;
                }

                return problem;
            }

            case DuplicateIdException duplicate:
                return Create(ErrorKind.Conflict, "already_exists", $"A document with id '{duplicate.Id}' already exists.", ("field", "_id"));
            case VersionMismatchException { ActualVersion: null } missing:
                return Create(ErrorKind.NotFound, "not_found", $"Document '{missing.Id}' was not found.");
            case VersionMismatchException mismatch:
                return Create(ErrorKind.PreconditionFailed, "version_mismatch", $"Document '{mismatch.Id}' is at version {mismatch.ActualVersion}; the precondition did not hold.", ("currentVersion", mismatch.ActualVersion));
            case UniqueIndexViolationException unique when IndexDefinition.FieldsOf(unique.IndexName) is { } keys:
            {
                // The store names only the index; its name spells its keys, so the answer can name the fields at fault.
                var fields = keys.Select(key => key.Path).ToArray();
                return Create(
                    ErrorKind.Conflict,
                    "unique_violation",
                    $"The write breaks unique index '{unique.IndexName}': another document has the same {(fields.Length == 1 ? $"'{fields[0]}'" : $"values of {Quoted(fields)}")}.",
                    ("field", fields[0]),
                    ("fields", fields),
                    ("index", unique.IndexName));
            }

            case UniqueIndexViolationException unique:
                return Create(ErrorKind.Conflict, "unique_violation", $"The write breaks unique index '{unique.IndexName}'.", ("index", unique.IndexName));
            case ParallelArraysException { IndexPosition: { } position } parallel:
                return Create(
                    ErrorKind.Conflict,
                    "parallel_arrays",
                    $"Index '{parallel.IndexName}' cannot be built: a document has arrays in both {Quoted(parallel.Fields)}, and MongoDB cannot index two array fields of one document. Change those documents or the index.",
                    ("field", $"indexes[{position}]"),
                    ("index", parallel.IndexName),
                    ("fields", parallel.Fields));
            case ParallelArraysException parallel:
                return Create(
                    ErrorKind.Invalid,
                    "parallel_arrays",
                    $"The document has arrays in both {Quoted(parallel.Fields)}, which index '{parallel.IndexName ?? "(unknown)"}' covers; MongoDB cannot index two array fields of one document. Make one of them a single value.",
                    ("field", parallel.Fields.Count > 0 ? parallel.Fields[^1] : null),
                    ("index", parallel.IndexName),
                    ("fields", parallel.Fields));
            case DocumentTooLargeForStoreException { TooDeep: true } deep:
                return Create(ErrorKind.Invalid, "document_too_deep", $"The document is nested deeper than the data store allows ({deep.Limit} levels).", ("limit", deep.Limit));
            case DocumentTooLargeForStoreException large:
                return Create(
                    ErrorKind.TooLarge,
                    "document_too_large",
                    large.Size is { } size
                        ? $"The document takes {size} bytes as stored; the data store holds at most {large.Limit} bytes per document."
                        : $"The document is larger than the data store holds ({large.Limit} bytes per document).",
                    ("limit", large.Limit));
            case TooManyIndexesException tooMany:
                return Create(
                    ErrorKind.Invalid,
                    "too_many_indexes",
                    $"Index '{tooMany.IndexName}' cannot be built: the data store allows at most {tooMany.Limit} indexes per collection, its own id index and indexes made outside Baas included. Remove an index.",
                    ("field", $"indexes[{tooMany.IndexPosition}]"),
                    ("limit", tooMany.Limit));
            case UnreadableDocumentException unreadable:
                return Create(
                    ErrorKind.Unprocessable,
                    "unreadable_document",
                    unreadable.Id is null
                        ? "A stored document holds a value this server cannot represent as JSON; an operator has to fix it in the database."
                        : $"Document '{unreadable.Id}' holds a value this server cannot represent as JSON; an operator has to fix it in the database.",
                    ("id", unreadable.Id));
            case SortOverArrayException sortOverArray:
                return Create(
                    ErrorKind.Invalid,
                    "sort_over_array",
                    $"The results cannot be paged by '{sortOverArray.Path}': some of them hold an array there, and a cursor over arrays would skip or repeat documents. Sort by a field that holds single values, or ask for all results in one page.",
                    ("field", "sort"),
                    ("path", sortOverArray.Path));
            case QueryTimeoutException timeout:
                // 422, not 503: the same query usually costs the same again, so clients (and the SDK's retries of
                // 5xx) should not repeat it unchanged; narrowing the filter, an index or a service key is what helps.
                return Create(
                    ErrorKind.Unprocessable,
                    "query_timeout",
                    $"The query ran past its time budget of {timeout.Timeout.TotalMilliseconds:0} ms and was stopped. Narrow the filter, add an index for it, or page with a smaller limit.",
                    ("timeoutMs", (long)timeout.Timeout.TotalMilliseconds));
            case StorageUnavailableException:
                return Create(ErrorKind.Unavailable, "storage_unavailable", "The data store is not reachable right now. Try again shortly.");
            case EmailDeliveryException:
                // The SMTP relay's own message names hosts and may carry credentials' context: it stays in the log.
                return Create(ErrorKind.Unavailable, "email_unavailable", "The email could not be sent right now. Try again shortly.");
            case JsonException json:
                return Create(ErrorKind.Invalid, "malformed_json", "The request body is not valid JSON.", ("line", json.LineNumber), ("bytePositionInLine", json.BytePositionInLine));
            case BadHttpRequestException { InnerException: JsonException json } when json.Message.Contains("could not be converted", StringComparison.Ordinal):
            {
                var field = FieldOf(json.Path);
                return Create(ErrorKind.Invalid, "invalid_body", field == "body"
                    ? "The request body is not the JSON object this endpoint expects."
                    : $"'{field}' has the wrong type.", ("field", field));
            }

            case BadHttpRequestException { InnerException: JsonException json }:
                return Create(ErrorKind.Invalid, "malformed_json", $"The request body is not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}).", ("field", "body"), ("position", json.BytePositionInLine));
            case BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType }:
                return Create(ErrorKind.UnsupportedFormat, "unsupported_media_type", "Content-Type must be application/json.", ("field", "Content-Type"));
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                return Create(ErrorKind.TooLarge, "payload_too_large", "The request body is too large.");
            case BadHttpRequestException bad:
                // Kestrel and model binding chose this status themselves (400, 408, 431, ...): it is passed on as is.
                return Create(bad.StatusCode, "bad_request", "The request is not valid.");
            case OperationCanceledException:
                return Create(ErrorKind.ClientClosed, "client_closed_request", "The request was cancelled.");
            default:
                return Create(ErrorKind.Internal, "internal_error", "An unexpected error occurred. It has been logged.");
        }
    }

    /// <summary>The kind of <paramref name="exception"/> as <see cref="ToProblem"/> answers it (bulk operations re-raise failures with it).</summary>
    internal static ErrorKind KindOf(Exception exception) => exception switch
    {
        DomainException domain => domain.Kind,
        _ => ProblemMapping.KindOf(ToProblem(exception).Status ?? StatusCodes.Status500InternalServerError),
    };

    private static string Quoted(IReadOnlyList<string> fields) =>
        fields.Count == 0 ? "two of its fields" : string.Join(" and ", fields.Select(f => $"'{f}'"));

    private static long Seconds(TimeSpan wait) => Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));

    // System.Text.Json paths look like "$.name" or "$.items[2].price"; the API speaks "name", "items[2].price".
    private static string FieldOf(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) || jsonPath == "$" ? "body" : jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath;

    private static ProblemDetails Create(ErrorKind kind, string code, string detail, params (string Key, object? Value)[] extensions) =>
        Create(ProblemMapping.StatusOf(kind), code, detail, extensions);

    private static ProblemDetails Create(int status, string code, string detail, params (string Key, object? Value)[] extensions)
    {
        var problem = ProblemWriter.Create(status, code, detail);
        foreach (var (key, value) in extensions)
        {
            problem.Extensions[key] = value;
        }

        return problem;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, string method, PathString path, Exception exception);

        [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Storage unavailable")]
        public static partial void StorageUnavailable(ILogger logger, Exception exception);
    }
}
