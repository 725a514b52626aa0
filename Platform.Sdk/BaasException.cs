using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Sdk;

/// <summary>
/// A call to the server failed: the server answered with an error (an RFC 7807 problem, whose fields
/// this exception exposes), or it could not be reached (<see cref="Status"/> 0, the cause in
/// <see cref="Exception.InnerException"/>).
/// </summary>
public class BaasException : Exception
{
    /// <summary>Creates an exception with a message only (status 0).</summary>
    public BaasException()
        : this("The Baas request failed.")
    {
    }

    /// <summary>Creates an exception with a message only (status 0).</summary>
    /// <param name="message">What went wrong.</param>
    public BaasException(string message)
        : base(message)
    {
        Code = "request_failed";
        Errors = [];
    }

    /// <summary>Creates an exception for a failure without an answer from the server (status 0).</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, e.g. an <see cref="HttpRequestException"/>.</param>
    public BaasException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "network_error";
        Errors = [];
    }

    /// <summary>Creates an exception from a problem the server answered.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="problem">The problem document, or null when the body was not one.</param>
    /// <param name="fallbackMessage">The message when the problem has neither detail nor title.</param>
    public BaasException(int status, JsonObject? problem, string? fallbackMessage = null)
        : base(BuildMessage(status, problem, fallbackMessage))
    {
        Status = status;
        Problem = problem;
        Code = Text(problem, "code") ?? "http_" + status.ToString(CultureInfo.InvariantCulture);
        Title = Text(problem, "title");
        Detail = Text(problem, "detail");
        Field = Text(problem, "field");
        OpIndex = problem?["opIndex"] is JsonValue op && op.TryGetValue<int>(out var index) ? index : null;
        Errors = ReadErrors(problem);
    }

    /// <summary>The HTTP status, or 0 when the server could not be reached.</summary>
    public int Status { get; }

    /// <summary>The stable machine-readable error code, e.g. <c>version_mismatch</c>, <c>schema_violation</c>.</summary>
    public string Code { get; }

    /// <summary>The problem's short title (usually the status phrase).</summary>
    public string? Title { get; }

    /// <summary>The problem's explanation for a person.</summary>
    public string? Detail { get; }

    /// <summary>The field, parameter or JSON path at fault, when the server named one.</summary>
    public string? Field { get; }

    /// <summary>Per-field problems (schema validation, bad rules); empty when there are none.</summary>
    public IReadOnlyList<BaasFieldError> Errors { get; }

    /// <summary>For a failed batch, the index of the operation that failed.</summary>
    public int? OpIndex { get; }

    /// <summary>
    /// How long the server asked the client to wait before trying again (its <c>Retry-After</c>), when it said.
    /// The client waits this long by itself when it is at most <see cref="BaasRetryOptions.MaxDelay"/>; a
    /// longer wait is left to the caller.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The problem document as the server sent it, with every extension member.</summary>
    public JsonObject? Problem { get; }

    private static string? Text(JsonObject? problem, string name) =>
        problem?[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static List<BaasFieldError> ReadErrors(JsonObject? problem)
    {
        var list = new List<BaasFieldError>();
        if (problem?["errors"] is JsonArray errors)
        {
            foreach (var error in errors.OfType<JsonObject>())
            {
                int? position = error["position"] is JsonValue p && p.TryGetValue<int>(out var at) ? at : null;
                list.Add(new BaasFieldError(Text(error, "path") ?? string.Empty, Text(error, "message") ?? string.Empty, position));
            }
        }
        else if (problem?["errors"] is JsonObject validation)
        {
            // ASP.NET Core validation problems list messages per field: {"errors": {"name": ["..."]}}.
            foreach (var (path, messages) in validation)
            {
                foreach (var message in (messages as JsonArray ?? []).OfType<JsonValue>())
                {
                    list.Add(new BaasFieldError(path, message.ToString(), null));
                }
            }
        }

        return list;
    }

    private static string BuildMessage(int status, JsonObject? problem, string? fallback)
    {
        var detail = Text(problem, "detail") ?? Text(problem, "title") ?? fallback ?? "The server answered an error.";
        var code = Text(problem, "code");
        return code is null
            ? string.Create(CultureInfo.InvariantCulture, $"{status}: {detail}")
            : string.Create(CultureInfo.InvariantCulture, $"{status} {code}: {detail}");
    }
}

/// <summary>One problem with one field, from a problem's <c>errors</c> list.</summary>
/// <param name="Path">Where, e.g. <c>title</c> or <c>items[2].price</c>.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Position">The 0-based character offset in the offending text, when it is text (e.g. a rule).</param>
public sealed record BaasFieldError(string Path, string Message, int? Position = null);
