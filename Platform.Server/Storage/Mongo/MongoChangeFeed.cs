using System.Runtime.CompilerServices;
using MongoDB.Bson;
using MongoDB.Driver;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// The change feed of the MongoDB store: a change stream on the whole database, filtered on the server to document
/// events of user collections, with pre-images for replaces and deletes. Positions are resume tokens (their
/// <c>_data</c>), which mean the same on every node, so a reader may resume on any server sharing the database.
/// Every <see cref="ReadAsync(string, CancellationToken)"/> opens its own stream; the driver resumes it by itself after a failover or a
/// dropped connection. How far back a reader can resume is decided by the oplog's size, not by Baas.
/// </summary>
public sealed class MongoChangeFeed : IChangeFeed
{
    private readonly MongoDocumentStore store;
    private readonly ILogger<MongoChangeFeed> logger;

    // Set when a server refused $changeStreamSplitLargeEvent although buildInfo promised it (a mixed deployment): from
    // then on this node reads without it, and oversized events fall back to skip-with-resync.
    private volatile bool splitRefused;

    public MongoChangeFeed(MongoDocumentStore store, ILogger<MongoChangeFeed> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        this.store = store;
        this.logger = logger;
    }

    /// <summary>The post-batch resume token of a fresh stream: "now" on the server, after every acknowledged write.</summary>
    public async Task<string> GetPositionAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var cursor = await WatchAsync(null, cancellationToken).ConfigureAwait(false);
            return MongoChangeStream.PositionOf(cursor.GetResumeToken())
                ?? throw new StorageUnavailableException("MongoDB opened a change stream without a resume token.");
        }
        catch (Exception ex) when (MongoDocumentStore.IsUnavailable(ex))
        {
            throw new StorageUnavailableException("MongoDB is unavailable: " + ex.Message, ex);
        }
    }

    /// <summary>
    /// The query in a snapshot session (<see cref="MongoDocumentStore.QueryAtSnapshotAsync"/>), then a change stream
    /// opened at the snapshot's cluster time with an empty first batch, whose post-batch token is a high-water mark the
    /// server made; moved to just after that time (<see cref="MongoChangeStream.PositionAfterSnapshot"/>), it is the
    /// position that orders after every change the snapshot holds and before every one it does not.
    /// </summary>
    public async Task<FeedSnapshot> QuerySnapshotAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default)
    {
        var (documents, clusterTime) = await store.QueryAtSnapshotAsync(collection, query, cancellationToken).ConfigureAwait(false);
        try
        {
            var options = MongoChangeStream.Options(null);
            options.StartAtOperationTime = clusterTime;
            options.BatchSize = 0;
            using var cursor = await store.Database.WatchAsync(MongoChangeStream.Pipeline, options, cancellationToken).ConfigureAwait(false);
            var highWaterMark = MongoChangeStream.PositionOf(cursor.GetResumeToken())
                ?? throw new StorageUnavailableException("MongoDB opened a change stream without a resume token.");
            return new FeedSnapshot(documents, MongoChangeStream.PositionAfterSnapshot(highWaterMark, clusterTime));
        }
        catch (Exception ex) when (MongoDocumentStore.IsUnavailable(ex))
        {
            throw new StorageUnavailableException("MongoDB is unavailable: " + ex.Message, ex);
        }
    }

    /// <inheritdoc cref="MongoChangeStream.ComparePositions"/>
    public int? ComparePositions(string a, string b) => MongoChangeStream.ComparePositions(a, b);

    public IAsyncEnumerable<StoredChange> ReadAsync(string after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(after);
        return ReadChangesAsync(after, null, cancellationToken);
    }

    public IAsyncEnumerable<StoredChange> ReadAsync(string after, Action opened, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(opened);
        return ReadChangesAsync(after, opened, cancellationToken);
    }

    private async IAsyncEnumerable<StoredChange> ReadChangesAsync(string after, Action? opened, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!MongoChangeStream.TryParsePosition(after, out var token))
        {
            throw new ChangeHistoryUnavailableException(after, $"'{after}' is not a position of this change feed.");
        }

        var position = after;
        var fragments = new SplitEventAssembler();
        var cursor = await OpenAsync(token, position, cancellationToken).ConfigureAwait(false);
        opened?.Invoke();
        try
        {
            while (true)
            {
                if (!await MoveNextAsync(cursor, position, cancellationToken).ConfigureAwait(false))
                {
                    // The server closed the stream (an invalidate: the database was dropped). Carry on after it.
                    var resume = cursor.GetResumeToken() ?? token;
                    cursor.Dispose();
                    cursor = await OpenAsync(resume, position, cancellationToken).ConfigureAwait(false);
                    opened?.Invoke();
                    continue;
                }

                foreach (var document in cursor.Current)
                {
                    switch (fragments.Add(document, out var whole, out var problem))
                    {
                        case SplitOutcome.Pending:
                            continue;
                        case SplitOutcome.Missing:
                            // The event cannot be rebuilt: skip it like an event too large to deliver, so readers move on.
                            MongoChangeFeedLog.EventTooLarge(logger, position, problem!);
                            throw new ChangeHistoryUnavailableException(position, $"A change after position {position} was split into fragments and one is missing: {problem}");
                    }

                    var change = MongoChangeStream.ToStoredChange(whole!, out var skipped);
                    if (change is null)
                    {
                        MongoChangeFeedLog.EventSkipped(logger, skipped ?? "unknown event");
                        continue;
                    }

                    yield return change;
                    position = change.Sequence;
                }
            }
        }
        finally
        {
            cursor.Dispose();
        }
    }

    /// <summary>
    /// Opens a stream after <paramref name="startAfter"/> (now when null), asking for large events in fragments when the
    /// server has <c>$changeStreamSplitLargeEvent</c>; a server that refuses the stage gets the stream without it.
    /// </summary>
    private async Task<IChangeStreamCursor<BsonDocument>> WatchAsync(BsonDocument? startAfter, CancellationToken cancellationToken)
    {
        var split = store.SplitsLargeEvents && !splitRefused;
        try
        {
            return await store.Database.WatchAsync(MongoChangeStream.PipelineFor(split), MongoChangeStream.Options(startAfter), cancellationToken).ConfigureAwait(false);
        }
        catch (MongoCommandException ex) when (split && MongoChangeStream.IsSplitStageUnsupported(ex))
        {
            splitRefused = true;
            MongoChangeFeedLog.SplitStageRefused(logger, ex.Code, ex.ErrorMessage);
            return await store.Database.WatchAsync(MongoChangeStream.PipelineFor(false), MongoChangeStream.Options(startAfter), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<IChangeStreamCursor<BsonDocument>> OpenAsync(BsonDocument token, string position, CancellationToken cancellationToken)
    {
        try
        {
            return await WatchAsync(token, cancellationToken).ConfigureAwait(false);
        }
        catch (MongoCommandException ex) when (MongoChangeStream.IsUnusablePosition(ex))
        {
            MongoChangeFeedLog.PositionRejected(logger, position, ex.Code, ex.ErrorMessage);
            throw new ChangeHistoryUnavailableException(position, $"The change feed cannot continue after position {position}: {ex.ErrorMessage}");
        }
        catch (Exception ex) when (MongoDocumentStore.IsUnavailable(ex))
        {
            throw new StorageUnavailableException("MongoDB is unavailable: " + ex.Message, ex);
        }
    }

    private async Task<bool> MoveNextAsync(IChangeStreamCursor<BsonDocument> cursor, string position, CancellationToken cancellationToken)
    {
        try
        {
            return await cursor.MoveNextAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MongoCommandException ex) when (MongoChangeStream.IsOversizedEvent(ex))
        {
            MongoChangeFeedLog.EventTooLarge(logger, position, ex.ErrorMessage);
            throw new ChangeHistoryUnavailableException(position, $"A change after position {position} is larger than a change event can carry (16 MiB) and was skipped: {ex.ErrorMessage}");
        }
        catch (Exception ex) when (ex is FormatException or BsonSerializationException && !MongoDocumentStore.IsUnavailable(ex))
        {
            // An event holding a BSON type the driver cannot decode (a DBPointer another tool wrote): retrying from the same
            // position would fail forever, so move past it like an oversized event.
            MongoChangeFeedLog.EventTooLarge(logger, position, ex.Message);
            throw new ChangeHistoryUnavailableException(position, $"A change after position {position} cannot be decoded and was skipped: {ex.Message}");
        }
        catch (MongoCommandException ex) when (MongoChangeStream.IsHistoryLost(ex))
        {
            // The reader fell behind the oplog (or a resume after a failover found its point gone).
            MongoChangeFeedLog.PositionRejected(logger, position, ex.Code, ex.ErrorMessage);
            throw new ChangeHistoryUnavailableException(position, $"The changes after position {position} are no longer in the oplog: {ex.ErrorMessage}");
        }
        catch (Exception ex) when (MongoDocumentStore.IsUnavailable(ex))
        {
            throw new StorageUnavailableException("MongoDB is unavailable: " + ex.Message, ex);
        }
    }
}

internal static partial class MongoChangeFeedLog
{
    [LoggerMessage(EventId = 2211, Level = LogLevel.Warning, Message = "Change stream event skipped: {Reason}.")]
    public static partial void EventSkipped(ILogger logger, string reason);

    [LoggerMessage(EventId = 2210, Level = LogLevel.Warning, Message = "A change after {Position} is larger than a change event can carry, or cannot be decoded, and is skipped; readers continue from the current position: {Error}.")]
    public static partial void EventTooLarge(ILogger logger, string position, string error);

    [LoggerMessage(EventId = 2213, Level = LogLevel.Warning, Message = "MongoDB refused $changeStreamSplitLargeEvent (error {Code}, {Error}); this node reads the change stream without it, and skips events over 16 MiB with a resync.")]
    public static partial void SplitStageRefused(ILogger logger, int code, string error);

    [LoggerMessage(EventId = 2212, Level = LogLevel.Information, Message = "Change stream cannot continue after {Position}: error {Code}, {Error}.")]
    public static partial void PositionRejected(ILogger logger, string position, int code, string error);
}
