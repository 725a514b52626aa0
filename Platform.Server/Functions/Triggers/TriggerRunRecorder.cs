using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Functions.Runs;
using Platform.Server.Storage;

namespace Platform.Server.Functions.Triggers;

/// <summary>
/// Records the failed runs that stand for changes a trigger could not run, so a skip is never silent: a chain that
/// reached <see cref="FunctionOptions.MaxChainDepth"/>, and a gap in the feed (<c>missed_events</c>). They go to
/// the run records (<see cref="IFunctionRunStorage"/>) in the shape every run has (<see cref="FunctionRunJson"/> plus system fields), marked dead
/// letters so they show up where failures are looked for.
/// </summary>
public sealed class TriggerRunRecorder(IDocumentStore store, IFunctionRunStorage runs, TimeProvider time)
{
    /// <summary>The error message prefix of the run recorded for a gap in the feed.</summary>
    public const string MissedEvents = "missed_events";

    /// <summary>The error message prefix of the run recorded for a change whose chain of function writes is too deep.</summary>
    public const string ChainDepthExceeded = "chain_depth_exceeded";

    /// <summary>The store write that saves a trigger's <paramref name="run"/> with other writes (the consumer's with its checkpoint).</summary>
    public WriteOperation Insert(FunctionRunRecord run) => runs.Insert(run);

    public Task<FunctionRunRecord> RecordChainTooDeepAsync(FunctionDefinition function, FunctionEvent functionEvent, WriteOrigin origin, int maxChainDepth, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(functionEvent);
        ArgumentNullException.ThrowIfNull(origin);
        var message = $"{ChainDepthExceeded}: the {functionEvent.Type.Name()} of {functionEvent.Collection}/{functionEvent.DocumentId} was written by function " +
            $"'{origin.Function}' at chain depth {origin.Depth}, which reached the limit of {maxChainDepth} (Baas:Functions:MaxChainDepth); this function did not run for it.";
        return RecordAsync(function, functionEvent, message, cancellationToken);
    }

    public Task<FunctionRunRecord> RecordMissedEventsAsync(FunctionDefinition function, string checkpoint, string resumedAt, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        var message = $"{MissedEvents}: the change feed no longer holds the changes after this function's checkpoint (position {checkpoint}): {reason} " +
            $"Changes committed between that position and position {resumedAt} did not run this function; it continues from {resumedAt}.";
        return RecordAsync(function, null, message, cancellationToken);
    }

    private async Task<FunctionRunRecord> RecordAsync(FunctionDefinition function, FunctionEvent? functionEvent, string message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var run = new FunctionRunRecord(
            RandomNumberGenerator.GetHexString(24, lowercase: true),
            function.Name,
            function.Version,
            RunTrigger.Document,
            functionEvent?.Id,
            Attempt: 1,
            RunStatus.Failed,
            now,
            DurationMs: 0,
            Logs: [],
            new FunctionError(message),
            Result: null,
            Rejection: null,
            DeadLetter: true,
            Args: null,
            functionEvent);
        await store.WriteAsync([runs.Insert(run)], cancellationToken);
        return run;
    }
}
