using System.Text.Json.Nodes;

namespace Platform.Server.Functions;

/// <summary>How a run ended (<c>status</c> in <c>_function_runs</c>).</summary>
public enum RunStatus
{
    Succeeded,

    /// <summary>The code threw, returned something that is not JSON, or broke a limit other than time.</summary>
    Failed,

    /// <summary>The run's time budget (or statement budget) ran out.</summary>
    TimedOut,

    /// <summary>The code called <c>ctx.reject(status, message)</c>.</summary>
    Rejected,
}

/// <summary>Where and why a run failed, as the script's author needs it (never a .NET stack trace).</summary>
public sealed record FunctionError(string Message, int? Line = null, int? Column = null);

/// <summary>A <c>ctx.reject(status, message)</c>: a 4xx status (400–499) and the message for the client.</summary>
public sealed record FunctionRejection(int Status, string Message);

/// <summary>What the sandbox reports of one run. Logs and result are already capped by the runtime.</summary>
public sealed record FunctionRunResult(
    RunStatus Status,
    JsonNode? Result,
    IReadOnlyList<string> Logs,
    FunctionError? Error,
    FunctionRejection? Rejection,
    TimeSpan Duration)
{
    /// <summary>
    /// An upper bound of the result's size as UTF-8 JSON that the runtime already established (null: unknown). When it
    /// is within <see cref="FunctionOptions.MaxResultBytes"/> and no secret is masked, the executor does not serialize
    /// the result again to measure it.
    /// </summary>
    public long? ResultBytesAtMost { get; init; }

    /// <summary>
    /// Log lines the runtime counted but did not keep: <see cref="Logs"/> then ends with one line saying how many, which
    /// the run record's own cap replaces with the full count.
    /// </summary>
    public int LogLinesDropped { get; init; }
}

/// <summary>A syntax error found when code is saved: 1-based line and column, like editors show.</summary>
public sealed record CodeError(string Message, int Line, int Column);

/// <summary>
/// One recorded run, as stored in <c>_function_runs</c> and answered by the runs API:
/// <c>{ id, function, version, trigger, eventId?, attempt, status, startedAt, durationMs, logs, error, result, deadLetter }</c>
/// plus the input needed to replay it (<c>args</c>, <c>event</c>), and for a scheduled run its due time <c>dueAt</c>.
/// </summary>
public sealed record FunctionRunRecord(
    string Id,
    string Function,
    int Version,
    RunTrigger Trigger,
    string? EventId,
    int Attempt,
    RunStatus Status,
    DateTimeOffset StartedAt,
    long DurationMs,
    IReadOnlyList<string> Logs,
    FunctionError? Error,
    JsonNode? Result,
    FunctionRejection? Rejection,
    bool DeadLetter,
    JsonNode? Args,
    FunctionEvent? Event,
    DateTimeOffset? DueAt = null)
{
    /// <summary>
    /// An upper bound of <see cref="Result"/>'s size as UTF-8 JSON, escaped or not, known when the run ended (null:
    /// unknown). Not stored: it lets a before trigger's returned data skip a serialization that only measures it.
    /// </summary>
    public long? ResultBytesAtMost { get; init; }
}
