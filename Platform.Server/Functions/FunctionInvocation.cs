using System.Text.Json.Nodes;
using Platform.Server.Documents;

namespace Platform.Server.Functions;

/// <summary>What started a run (recorded as <c>trigger</c> in <c>_function_runs</c>).</summary>
public enum RunTrigger
{
    Schedule,
    Document,
    Callable,
    Manual,
}

/// <summary>
/// <c>ctx.event</c> of a trigger run. <paramref name="Id"/> is stable across retries and redeliveries of the
/// same committed change (for an <c>after</c> trigger it is derived from the change feed position), so
/// handlers can dedupe with it. <paramref name="Data"/> is the document as the write would leave it
/// (<c>before</c> triggers of create and update only); <paramref name="Before"/>/<paramref name="After"/> are
/// the stored states around the change (null where there is none).
/// </summary>
public sealed record FunctionEvent(
    string Id,
    TriggerOperation Type,
    string Collection,
    string DocumentId,
    JsonObject? Before,
    JsonObject? After,
    JsonObject? Data = null);

/// <summary>One request to run a function: everything <c>ctx</c> shows except <c>env</c> (the executor adds the secrets).</summary>
public sealed record FunctionInvocation
{
    /// <summary>The run's id (<c>ctx.run.id</c>, the <c>_function_runs</c> document id): 24 hex characters.</summary>
    public required string RunId { get; init; }

    public required RunTrigger Trigger { get; init; }

    /// <summary>1 for the first try; retries count up.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>True when no retry follows a failure of this attempt: the executor then marks the run a dead letter.</summary>
    public bool LastAttempt { get; init; } = true;

    /// <summary><c>ctx.args</c>: the callable's body <c>args</c>, or the manual run's sample args.</summary>
    public JsonNode? Args { get; init; }

    /// <summary><c>ctx.event</c> for trigger runs (and manual runs given a sample event).</summary>
    public FunctionEvent? Event { get; init; }

    /// <summary>
    /// The caller of a callable run: <c>ctx.auth</c> is its <see cref="Documents.Caller.Auth"/>, and <c>ctx.userDb</c>
    /// applies its rules. Null for every other trigger (<c>ctx.auth</c> is null, <c>ctx.userDb</c> acts as a signed-out visitor).
    /// </summary>
    public Caller? Caller { get; init; }

    /// <summary>
    /// How many function writes led to this run: 0 unless the run was caused by a write a function made.
    /// Writes the run makes carry <see cref="WriteOrigin"/> with <c>Depth + 1</c>; chains stop at
    /// <see cref="FunctionOptions.MaxChainDepth"/>.
    /// </summary>
    public int Depth { get; init; }

    /// <summary>The due time of a scheduled run (every attempt of it keeps the first's); recorded as <c>dueAt</c>.</summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>Overrides the definition's <see cref="FunctionDefinition.TimeoutSeconds"/> (before triggers).</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>
/// Marks a document write made by a function run, so the change it produces can be told apart: an
/// <c>after</c> trigger never runs its own function for a change that function made (loop guard), and a
/// chain of functions triggering each other stops at <see cref="FunctionOptions.MaxChainDepth"/>.
/// </summary>
/// <param name="Function">The function whose run made the write.</param>
/// <param name="Depth">1 for a write of a run not caused by a function write; +1 down the chain.</param>
public sealed record WriteOrigin(string Function, int Depth);
