using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Functions.Triggers;

/// <summary>A function's checkpoint as last written: the feed position after the last change fully handled.</summary>
public sealed record FunctionCheckpoint(string Function, string Position, long Version);

/// <summary>
/// Checkpoints in <c>_function_checkpoints</c> (<c>{ _id: function, position }</c>). Saves are conditional on the version
/// the owner last wrote, so a node that lost its lease cannot move a checkpoint another node now keeps.
/// <para>
/// Each checkpoint holds the change log (<see cref="IChangeFeedRetention"/>, hold <c>functions:{name}</c>) at its position,
/// so the pruner keeps the changes the function has not handled yet, past <c>Baas:Changes:Retention</c> but within the
/// log's size bounds (past those, the consumer records a <c>missed_events</c> gap). The hold follows the checkpoint: it
/// is set before a checkpoint is created and moved after each save commits (a hold behind its checkpoint only keeps a few
/// changes longer; one ahead of it would let the pruner take changes not yet handled), and released with the checkpoint.
/// </para>
/// </summary>
public sealed class FunctionCheckpoints(IDocumentStore store, IChangeFeedRetention retention, TimeProvider time, ILogger<FunctionCheckpoints> logger)
{
    public const string Collection = "_function_checkpoints";

    /// <summary>Hold names of checkpoints start with this, then the function's name.</summary>
    public const string HoldPrefix = "functions:";

    /// <summary>The change-log hold of <paramref name="function"/>'s checkpoint.</summary>
    public static string HoldName(string function) => HoldPrefix + function;

    public async Task<FunctionCheckpoint?> GetAsync(string function, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        var stored = await store.GetAsync(Collection, function, cancellationToken);
        return stored is null ? null : new FunctionCheckpoint(function, stored["position"]!.GetValue<string>(), stored[SystemFields.Version]!.GetValue<long>());
    }

    /// <summary>Creates the first checkpoint of a function; when one exists already (another node was first), returns that one.</summary>
    public async Task<FunctionCheckpoint> CreateAsync(string function, string position, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(position);
        var now = Timestamps.Format(time.GetUtcNow());

        // Held before the checkpoint exists, so no prune can fall between the two.
        await HoldAsync(function, position, cancellationToken);
        try
        {
            await store.WriteAsync([new InsertOperation(Collection, Document(function, position, 1, now, now))], cancellationToken);
            return new FunctionCheckpoint(function, position, 1);
        }
        catch (DuplicateIdException)
        {
            var existing = await GetAsync(function, cancellationToken) ?? throw new InvalidOperationException($"The checkpoint of '{function}' vanished while it was created.");
            await HoldAsync(existing, cancellationToken);
            return existing;
        }
    }

    /// <summary>
    /// Holds the change log at <paramref name="checkpoint"/>'s position (a consumer starting from a stored checkpoint: one
    /// written before holds existed, or whose hold was lost, is held again).
    /// </summary>
    public Task HoldAsync(FunctionCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return HoldAsync(checkpoint.Function, checkpoint.Position, cancellationToken);
    }

    /// <summary>
    /// Moves the checkpoint to <paramref name="position"/>: the one place a checkpoint is saved (change-log holds hook in
    /// here). Null when another node wrote it meanwhile (this node lost the lease) or it was deleted.
    /// </summary>
    public async Task<FunctionCheckpoint?> SaveAsync(FunctionCheckpoint current, string position, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(position);
        var now = Timestamps.Format(time.GetUtcNow());
        var next = current with { Position = position, Version = current.Version + 1 };
        try
        {
            await store.WriteAsync([new ReplaceOperation(Collection, Document(next.Function, position, next.Version, createdAt: now, now), current.Version)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            return null;
        }

        await HoldAsync(next, cancellationToken);
        return next;
    }

    /// <summary>
    /// Commits <paramref name="alongside"/> (run records) in one store write with moving the checkpoint to
    /// <paramref name="position"/>; when the position is the current one, commits only <paramref name="alongside"/> and
    /// returns <paramref name="current"/>. Null when another node wrote the checkpoint meanwhile: then nothing was written.
    /// </summary>
    public async Task<FunctionCheckpoint?> SaveWithAsync(FunctionCheckpoint current, string position, IReadOnlyList<WriteOperation> alongside, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(position);
        ArgumentNullException.ThrowIfNull(alongside);
        if (position == current.Position)
        {
            if (alongside.Count > 0)
            {
                await store.WriteAsync(alongside, cancellationToken);
            }

            return current;
        }

        var now = Timestamps.Format(time.GetUtcNow());
        var next = current with { Position = position, Version = current.Version + 1 };
        var operations = new List<WriteOperation>(alongside.Count + 1);
        operations.AddRange(alongside);
        operations.Add(new ReplaceOperation(Collection, Document(next.Function, position, next.Version, createdAt: now, now), current.Version));
        try
        {
            await store.WriteAsync(operations, cancellationToken);
        }
        catch (VersionMismatchException)
        {
            return null;
        }

        await HoldAsync(next, cancellationToken);
        return next;
    }

    /// <summary>Forgets a function's checkpoint (disabled or deleted: enabling it again starts at that moment) and releases its hold.</summary>
    public async Task DeleteAsync(FunctionCheckpoint current, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        try
        {
            await store.WriteAsync([new DeleteOperation(Collection, current.Function, current.Version)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            // Someone else moved or removed it (and holds it, when it still exists).
            return;
        }

        await ReleaseHoldAsync(current.Function, cancellationToken);
    }

    /// <summary>
    /// Releases the holds of functions not in <paramref name="consumed"/>: ones removed or disabled while this node did not
    /// hold their lease (so <see cref="DeleteAsync"/> never ran here), which would otherwise keep the log up to its bounds.
    /// </summary>
    public async Task ReleaseHoldsExceptAsync(IReadOnlySet<string> consumed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(consumed);
        if (!retention.HoldsExtendHistory)
        {
            return;
        }

        foreach (var name in (await retention.GetHoldsAsync(cancellationToken)).Keys)
        {
            if (name.StartsWith(HoldPrefix, StringComparison.Ordinal) && !consumed.Contains(name[HoldPrefix.Length..]))
            {
                await ReleaseHoldAsync(name[HoldPrefix.Length..], cancellationToken);
            }
        }
    }

    private async Task ReleaseHoldAsync(string function, CancellationToken cancellationToken)
    {
        try
        {
            await retention.ReleaseHoldAsync(HoldName(function), cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            // Kept a little longer: the next reconcile releases it.
            CheckpointLog.HoldFailed(logger, ex, function);
        }
    }

    /// <summary>
    /// Moves the hold. The checkpoint is committed already, so a failure here must not fail its save (the caller would
    /// take the save for undone): it is logged, and the next save moves the hold again; meanwhile the hold lags, which
    /// keeps changes longer, never shorter.
    /// </summary>
    private async Task HoldAsync(string function, string position, CancellationToken cancellationToken)
    {
        try
        {
            await retention.SetHoldAsync(HoldName(function), position, cancellationToken);
        }
        catch (ArgumentException)
        {
            // Not a position of this feed (a restored or foreign database): reading from it reports the gap; nothing to hold.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            CheckpointLog.HoldFailed(logger, ex, function);
        }
    }

    private static JsonObject Document(string function, string position, long version, string createdAt, string updatedAt) => new()
    {
        [SystemFields.Id] = function,
        [SystemFields.Version] = version,
        [SystemFields.CreatedAt] = createdAt,
        [SystemFields.UpdatedAt] = updatedAt,
        [SystemFields.CreatedBy] = null,
        ["position"] = position,
    };
}

internal static partial class CheckpointLog
{
    [LoggerMessage(EventId = 9320, Level = LogLevel.Warning, Message = "After triggers of function {Function}: moving its change-log hold failed; the next checkpoint moves it")]
    public static partial void HoldFailed(ILogger logger, Exception exception, string function);
}
