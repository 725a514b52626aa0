using System.Globalization;
using System.Text.Json.Nodes;

namespace Platform.Sdk.Functions;

/// <summary>
/// A function definition as an admin writes it (<c>POST/PUT /api/admin/functions</c>, docs/functions.md).
/// Limits left null take the server's defaults.
/// </summary>
public class FunctionDefinition
{
    /// <summary>The name: <c>^[a-z][a-z0-9_-]{0,62}$</c> (<c>secrets</c> is reserved).</summary>
    public required string Name { get; set; }

    /// <summary>An ES module whose default export is <c>async function (ctx)</c>.</summary>
    public required string Code { get; set; }

    /// <summary>False stops triggers, schedules and calls; a manual run still works.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A cron schedule, or null.</summary>
    public FunctionSchedule? Schedule { get; set; }

    /// <summary>Document triggers.</summary>
    public IList<FunctionTrigger> Triggers { get; init; } = [];

    /// <summary>Present when clients may call the function at <c>POST /api/functions/{name}</c>.</summary>
    public FunctionCallable? Callable { get; set; }

    /// <summary>Wall-clock budget of one run, in seconds (server default 10).</summary>
    public int? TimeoutSeconds { get; set; }

    /// <summary>Memory budget of one run, in MB (server default 32).</summary>
    public int? MemoryMb { get; set; }

    /// <summary>Retries of a failed trigger or schedule run before it becomes a dead letter (server default 3).</summary>
    public int? Retries { get; set; }

    /// <summary>Hosts (<c>host</c> or <c>host:port</c>) that <c>ctx.fetch</c> may reach.</summary>
    public IList<string> FetchAllowlist { get; init; } = [];

    internal JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["name"] = Name,
            ["code"] = Code,
            ["enabled"] = Enabled,
            ["schedule"] = Schedule is { } s ? new JsonObject { ["cron"] = s.Cron, ["timeZone"] = s.TimeZone } : null,
            ["triggers"] = new JsonArray([.. Triggers.Select(t => (JsonNode)new JsonObject
            {
                ["collection"] = t.Collection,
                ["on"] = new JsonArray([.. t.On.Select(o => (JsonNode)JsonValue.Create(o))]),
                ["phase"] = t.Phase,
            })]),
            ["callable"] = Callable is { } c ? new JsonObject { ["invokeRule"] = c.InvokeRule } : null,
            ["fetchAllowlist"] = new JsonArray([.. FetchAllowlist.Select(h => (JsonNode)JsonValue.Create(h))]),
        };
        if (TimeoutSeconds is { } timeout)
        {
            json["timeoutSeconds"] = timeout;
        }

        if (MemoryMb is { } memory)
        {
            json["memoryMb"] = memory;
        }

        if (Retries is { } retries)
        {
            json["retries"] = retries;
        }

        return json;
    }
}

/// <summary>A saved version of a function as the server answers it.</summary>
public sealed class FunctionInfo : FunctionDefinition
{
    /// <summary>1 for the first save, +1 for every later save or rollback.</summary>
    public int Version { get; init; }

    /// <summary>When this version was saved.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Who saved it: an admin's email or <c>apikey:&lt;name&gt;</c>.</summary>
    public string? UpdatedBy { get; init; }

    /// <summary>The next five due times of the schedule (UTC), computed in its time zone; empty without a schedule.</summary>
    public IReadOnlyList<DateTimeOffset> NextRuns { get; init; } = [];

    internal static FunctionInfo FromJson(JsonObject json)
    {
        var info = new FunctionInfo
        {
            Name = Text(json, "name") ?? string.Empty,
            Code = Text(json, "code") ?? string.Empty,
            Enabled = json["enabled"] is JsonValue e && e.TryGetValue<bool>(out var enabled) && enabled,
            Schedule = json["schedule"] is JsonObject s ? new FunctionSchedule(Text(s, "cron") ?? string.Empty, Text(s, "timeZone") ?? "UTC") : null,
            Callable = json["callable"] is JsonObject c ? new FunctionCallable(Text(c, "invokeRule")) : null,
            TimeoutSeconds = Int(json, "timeoutSeconds"),
            MemoryMb = Int(json, "memoryMb"),
            Retries = Int(json, "retries"),
            Version = Int(json, "version") ?? 0,
            UpdatedAt = Time(json, "updatedAt") ?? default,
            UpdatedBy = Text(json, "updatedBy"),
            NextRuns = [.. (json["nextRuns"] as JsonArray ?? []).OfType<JsonValue>().Select(v => Parse(v.GetValue<string>()))],
        };
        foreach (var trigger in (json["triggers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            info.Triggers.Add(new FunctionTrigger(
                Text(trigger, "collection") ?? string.Empty,
                [.. (trigger["on"] as JsonArray ?? []).OfType<JsonValue>().Select(v => v.GetValue<string>())],
                Text(trigger, "phase") ?? "after"));
        }

        foreach (var host in (json["fetchAllowlist"] as JsonArray ?? []).OfType<JsonValue>())
        {
            info.FetchAllowlist.Add(host.GetValue<string>());
        }

        return info;
    }

    internal static string? Text(JsonObject json, string name) => json[name] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    internal static int? Int(JsonObject json, string name) => json[name] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;

    internal static DateTimeOffset? Time(JsonObject json, string name) => Text(json, name) is { } text ? Parse(text) : null;

    internal static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}

/// <summary>A cron schedule: 5 fields, or 6 with seconds first, in an IANA time zone.</summary>
/// <param name="Cron">For example <c>0 3 * * *</c> (03:00 every day).</param>
/// <param name="TimeZone">For example <c>Europe/Berlin</c>; default <c>UTC</c>.</param>
public sealed record FunctionSchedule(string Cron, string TimeZone = "UTC");

/// <summary>A document trigger.</summary>
/// <param name="Collection">The collection whose writes run the function.</param>
/// <param name="On">Any of <c>create</c>, <c>update</c>, <c>delete</c>.</param>
/// <param name="Phase"><c>after</c> (after the commit, from the change feed) or <c>before</c> (inside the write).</param>
public sealed record FunctionTrigger(string Collection, IReadOnlyList<string> On, string Phase = "after");

/// <summary>Makes a function callable by clients.</summary>
/// <param name="InvokeRule">A rule over <c>auth</c>, <c>args</c> and <c>now</c>; null means service keys and admins only.</param>
public sealed record FunctionCallable(string? InvokeRule = null);

/// <summary>A secret as the server lists it: never its value.</summary>
/// <param name="Name">Like an environment variable: <c>^[A-Z_][A-Z0-9_]{0,63}$</c>.</param>
/// <param name="CreatedAt">When it was first set.</param>
/// <param name="UpdatedAt">When it was last set.</param>
public sealed record FunctionSecretInfo(string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Where and why a run failed, as the script's author needs it.</summary>
/// <param name="Message">The JavaScript error's message (secret values masked).</param>
/// <param name="Line">1-based line in the function's code, when known.</param>
/// <param name="Column">1-based column, when known.</param>
public sealed record FunctionRunError(string Message, int? Line, int? Column)
{
    internal static FunctionRunError? FromJson(JsonNode? node) => node is JsonObject e
        ? new FunctionRunError(FunctionInfo.Text(e, "message") ?? string.Empty, FunctionInfo.Int(e, "line"), FunctionInfo.Int(e, "column"))
        : null;
}

/// <summary>A recorded run (<c>_function_runs</c>).</summary>
public sealed class FunctionRun
{
    /// <summary>The run id (24 hex characters).</summary>
    public required string Id { get; init; }

    /// <summary>The function's name.</summary>
    public required string Function { get; init; }

    /// <summary>The version that ran.</summary>
    public int Version { get; init; }

    /// <summary><c>schedule</c>, <c>document</c>, <c>callable</c> or <c>manual</c>.</summary>
    public required string Trigger { get; init; }

    /// <summary>The trigger event's stable id, for dedupe.</summary>
    public string? EventId { get; init; }

    /// <summary>1 for the first try; retries count up.</summary>
    public int Attempt { get; init; }

    /// <summary><c>succeeded</c>, <c>failed</c>, <c>timedOut</c> or <c>rejected</c>.</summary>
    public required string Status { get; init; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>For a scheduled run (<c>trigger</c> <c>schedule</c>): the due time it ran for (all attempts keep the first's).</summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>How long it ran.</summary>
    public long DurationMs { get; init; }

    /// <summary><c>ctx.log</c> lines (capped).</summary>
    public IReadOnlyList<string> Logs { get; init; } = [];

    /// <summary>Why it failed, or null.</summary>
    public FunctionRunError? Error { get; init; }

    /// <summary>What the function returned (capped), or null.</summary>
    public JsonNode? Result { get; init; }

    /// <summary>The <c>ctx.reject</c> status, when the run was rejected.</summary>
    public int? RejectionStatus { get; init; }

    /// <summary>The <c>ctx.reject</c> message, when the run was rejected.</summary>
    public string? RejectionMessage { get; init; }

    /// <summary>True when a trigger or schedule run failed on its last attempt.</summary>
    public bool DeadLetter { get; init; }

    /// <summary>The run's <c>ctx.args</c>.</summary>
    public JsonNode? Args { get; init; }

    /// <summary>The run's <c>ctx.event</c>.</summary>
    public JsonObject? Event { get; init; }

    internal static FunctionRun FromJson(JsonObject json) => new()
    {
        Id = FunctionInfo.Text(json, "id") ?? string.Empty,
        Function = FunctionInfo.Text(json, "function") ?? string.Empty,
        Version = FunctionInfo.Int(json, "version") ?? 0,
        Trigger = FunctionInfo.Text(json, "trigger") ?? string.Empty,
        EventId = FunctionInfo.Text(json, "eventId"),
        Attempt = FunctionInfo.Int(json, "attempt") ?? 1,
        Status = FunctionInfo.Text(json, "status") ?? string.Empty,
        StartedAt = FunctionInfo.Time(json, "startedAt") ?? default,
        DueAt = FunctionInfo.Time(json, "dueAt"),
        DurationMs = json["durationMs"] is JsonValue d && d.TryGetValue<long>(out var ms) ? ms : 0,
        Logs = [.. (json["logs"] as JsonArray ?? []).OfType<JsonValue>().Select(l => l.GetValue<string>())],
        Error = FunctionRunError.FromJson(json["error"]),
        Result = json["result"]?.DeepClone(),
        RejectionStatus = json["rejection"] is JsonObject r ? FunctionInfo.Int(r, "status") : null,
        RejectionMessage = json["rejection"] is JsonObject m ? FunctionInfo.Text(m, "message") : null,
        DeadLetter = json["deadLetter"] is JsonValue dl && dl.TryGetValue<bool>(out var dead) && dead,
        Args = json["args"]?.DeepClone(),
        Event = json["event"]?.DeepClone() as JsonObject,
    };
}

/// <summary>A page of runs, newest first.</summary>
/// <param name="Items">The runs.</param>
/// <param name="NextCursor">Pass to the next call for the next page; null at the end.</param>
public sealed record FunctionRunPage(IReadOnlyList<FunctionRun> Items, string? NextCursor);

/// <summary>A function call failed: the function threw, ran out of time or memory, or called <c>ctx.reject</c>.</summary>
public sealed class BaasFunctionException : BaasException
{
    /// <summary>Creates an exception with a default message.</summary>
    public BaasFunctionException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public BaasFunctionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public BaasFunctionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from the server's problem.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="problem">The problem document.</param>
    public BaasFunctionException(int status, JsonObject? problem)
        : base(status, problem)
    {
        RunId = problem is null ? null : FunctionInfo.Text(problem, "runId");
        FunctionError = FunctionRunError.FromJson(problem?["error"]);
    }

    /// <summary>The run record's id (<c>client.Admin.Functions.GetRunAsync</c> shows its logs).</summary>
    public string? RunId { get; }

    /// <summary>The function's error with its line and column, or null (for a rejection).</summary>
    public FunctionRunError? FunctionError { get; }
}
