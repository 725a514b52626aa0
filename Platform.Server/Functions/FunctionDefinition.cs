using System.Text.Json.Nodes;

namespace Platform.Server.Functions;

/// <summary>
/// One immutable version of an admin-defined function (DESIGN.md section 9). Every save makes a new
/// <see cref="Version"/>; the current one lives in <c>_functions</c>, every version in <c>_function_versions</c>.
/// Names follow the collection-name rule (<c>^[a-z][a-z0-9_-]{0,62}$</c>).
/// </summary>
public sealed record FunctionDefinition
{
    public required string Name { get; init; }

    /// <summary>An ES module whose default export is <c>async function (ctx)</c>.</summary>
    public required string Code { get; init; }

    public bool Enabled { get; init; } = true;

    public FunctionSchedule? Schedule { get; init; }

    public IReadOnlyList<FunctionTrigger> Triggers { get; init; } = [];

    /// <summary>Present when the function may be called at <c>POST /api/functions/{name}</c>.</summary>
    public FunctionCallable? Callable { get; init; }

    /// <summary>Wall-clock budget of one run (a <c>before</c> trigger uses <see cref="FunctionOptions.BeforeTriggerTimeout"/> instead).</summary>
    public int TimeoutSeconds { get; init; } = FunctionOptions.DefaultTimeoutSeconds;

    /// <summary>Jint's allocation budget for one run.</summary>
    public int MemoryMb { get; init; } = FunctionOptions.DefaultMemoryMb;

    /// <summary>How many times a failed trigger or schedule run is retried (with backoff) before it becomes a dead letter.</summary>
    public int Retries { get; init; } = FunctionOptions.DefaultRetries;

    /// <summary>Hosts <c>ctx.fetch</c> may reach, exactly as written (a literal IP or <c>localhost</c> also lifts the private-address guard for itself).</summary>
    public IReadOnlyList<string> FetchAllowlist { get; init; } = [];

    /// <summary>1 for the first save, +1 for every later save or rollback.</summary>
    public int Version { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Who saved this version (admin email or <c>apikey:&lt;name&gt;</c>).</summary>
    public string? UpdatedBy { get; init; }
}

/// <summary>A cron schedule (5 fields, or 6 with seconds) in an IANA time zone (default UTC).</summary>
public sealed record FunctionSchedule(string Cron, string TimeZone = "UTC");

/// <summary>When a trigger runs relative to the write.</summary>
public enum TriggerPhase
{
    /// <summary>After the commit, fed by the change feed: at-least-once, per-document order.</summary>
    After,

    /// <summary>Inside the write, after the rules and before the schema check: may change <c>data</c> or reject.</summary>
    Before,
}

/// <summary>The writes a trigger listens to (spelled <c>create</c>, <c>update</c>, <c>delete</c>).</summary>
public enum TriggerOperation
{
    Create,
    Update,
    Delete,
}

/// <summary>A document trigger: the function runs for writes of <paramref name="On"/> kinds to <paramref name="Collection"/>.</summary>
public sealed record FunctionTrigger(string Collection, IReadOnlyList<TriggerOperation> On, TriggerPhase Phase);

/// <summary>
/// Makes a function callable by clients. <paramref name="InvokeRule"/> is a rule expression over <c>auth</c>,
/// <c>args</c> and <c>now</c>; null means only service keys and admins may call it.
/// </summary>
public sealed record FunctionCallable(string? InvokeRule);

/// <summary>Helpers for the spelled forms of the enums above.</summary>
public static class FunctionNames
{
    public static string Name(this TriggerOperation operation) => operation switch
    {
        TriggerOperation.Create => "create",
        TriggerOperation.Update => "update",
        TriggerOperation.Delete => "delete",
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    public static string Name(this TriggerPhase phase) => phase == TriggerPhase.Before ? "before" : "after";

    public static string Name(this RunTrigger trigger) => trigger switch
    {
        RunTrigger.Schedule => "schedule",
        RunTrigger.Document => "document",
        RunTrigger.Callable => "callable",
        RunTrigger.Manual => "manual",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger)),
    };

    public static string Name(this RunStatus status) => status switch
    {
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.TimedOut => "timedOut",
        RunStatus.Rejected => "rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>The JSON of an event as <c>ctx.event</c> shows it.</summary>
    public static JsonObject ToJson(this FunctionEvent functionEvent)
    {
        ArgumentNullException.ThrowIfNull(functionEvent);
        var json = new JsonObject
        {
            ["id"] = functionEvent.Id,
            ["type"] = functionEvent.Type.Name(),
            ["collection"] = functionEvent.Collection,
            ["documentId"] = functionEvent.DocumentId,
            ["before"] = functionEvent.Before?.DeepClone(),
            ["after"] = functionEvent.After?.DeepClone(),
        };
        if (functionEvent.Data is not null)
        {
            json["data"] = functionEvent.Data.DeepClone();
        }

        return json;
    }
}
