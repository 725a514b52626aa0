using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Functions.Triggers;

/// <summary>A function's checkpoint as last written: the feed position after the last change fully handled.</summary>
public sealed record FunctionCheckpoint(string Function, string Position, long Version);

/// <summary>
/// Checkpoints in <c>_function_checkpoints</c> (<c>{ _id: function, position }</c>). Saves are conditional on the version
/// the owner last wrote, so a node that lost its lease cannot move a checkpoint another node now keeps.
/// </summary>
public sealed class FunctionCheckpoints(IDocumentStore store, TimeProvider time)
{
    public const string Collection = "_function_checkpoints";

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
        try
        {
            await store.WriteAsync([new InsertOperation(Collection, Document(function, position, 1, now, now))], cancellationToken);
            return new FunctionCheckpoint(function, position, 1);
        }
        catch (DuplicateIdException)
        {
            return await GetAsync(function, cancellationToken) ?? throw new InvalidOperationException($"The checkpoint of '{function}' vanished while it was created.");
        }
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
            return next;
        }
        catch (VersionMismatchException)
        {
            return null;
        }
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
            return next;
        }
        catch (VersionMismatchException)
        {
            return null;
        }
    }

    /// <summary>Forgets a function's checkpoint (disabled or deleted: enabling it again starts at that moment).</summary>
    public async Task DeleteAsync(FunctionCheckpoint current, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        try
        {
            await store.WriteAsync([new DeleteOperation(Collection, current.Function, current.Version)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            // Someone else moved or removed it.
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
