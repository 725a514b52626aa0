using MongoDB.Bson;
using MongoDB.Driver;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// Keeps this node's record of collections known to have change-stream pre-images true when other nodes or tools
/// change collections (issue 12): a change stream of collection events (<see cref="MongoCollectionEvents"/>) on the
/// database. A drop on any node makes every node check again before its next insert into that collection (so the
/// insert never creates it implicitly, without pre-images, on a node that still thought it existed); a collection
/// created or modified without pre-images (a write that raced such a drop, another tool) gets them turned on at once.
/// Whenever the stream opens without a resume point (start, lost history, a failure) it re-checks every user
/// collection, since events may have been missed.
/// </summary>
public sealed class MongoCollectionWatcher(MongoDocumentStore store, TimeProvider time, ILogger<MongoCollectionWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        BsonDocument? resume = null;
        var delay = RetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var cursor = await store.Database.WatchAsync(MongoCollectionEvents.Pipeline, MongoCollectionEvents.Options(resume), stoppingToken).ConfigureAwait(false);
                if (resume is null)
                {
                    // Open first, then check: whatever changes after the check is in the stream.
                    await store.RecheckAllPreImagesAsync(stoppingToken).ConfigureAwait(false);
                }

                while (await cursor.MoveNextAsync(stoppingToken).ConfigureAwait(false))
                {
                    foreach (var change in cursor.Current)
                    {
                        await store.ApplyCollectionEventAsync(MongoCollectionEvents.Read(change), stoppingToken).ConfigureAwait(false);
                    }

                    resume = cursor.GetResumeToken() ?? resume;
                    delay = RetryDelay;
                }

                // The server ended the stream (an invalidate: the database was dropped); go on after it.
                resume = cursor.GetResumeToken();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException or StorageUnavailableException)
            {
                // Lost history or a token the server no longer takes: start from now, with a full check.
                resume = null;
                MongoDocumentStoreLog.CollectionWatcherFailed(logger, ex, delay);
                try
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }
}
