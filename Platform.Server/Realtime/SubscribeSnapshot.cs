using Platform.Server.Storage;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Realtime;

/// <summary>
/// Reads a registered subscription's snapshot and makes its events start exactly where the snapshot ends. The snapshot
/// is read with the feed position it reflects (<see cref="IChangeFeed.QuerySnapshotAsync"/>, one read transaction on
/// SQLite, a snapshot read on MongoDB); that position, not the one the subscription was registered at, is the
/// <c>sequence</c> the client is given. A change committed while <c>Subscribe</c> runs is thus either in the snapshot or
/// an event, never both and never neither:
/// <list type="bullet">
/// <item>position at or after the registration's (the usual case; always on SQLite, since the snapshot is read after
/// registering): the events at or before it, held or still to come, are dropped (<see cref="Subscription.SkipThrough"/>);</item>
/// <item>position before it (a MongoDB snapshot read at a cluster time the change stream had already passed): the
/// changes between the two, which the dispatcher passed before registration, are replayed ahead of the live ones, from
/// the replay window or else from the stored feed (<see cref="StoredResume"/>), as <c>resumeAfter</c> does.</item>
/// </list>
/// </summary>
internal sealed class SubscribeSnapshot(IChangeFeed feed, RealtimeDispatcher dispatcher, StoredResume storedResume, ILogger<SubscribeSnapshot> logger)
{
    // A snapshot behind the registration whose gap cannot be replayed is read again: a later read is at a later position.
    private const int MaxReads = 3;

    /// <summary>The snapshot's documents, and the position the subscription's events start after.</summary>
    /// <exception cref="StorageUnavailableException">The store did not answer, or no read could be lined up with the feed.</exception>
    public async Task<SubscriptionPlanner.Snapshot> ReadAsync(SubscriptionPlanner.Plan plan, Registration registration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(registration);
        var subscription = registration.Subscription;
        for (var read = 1; ; read++)
        {
            var snapshot = await plan.SnapshotAsync(cancellationToken);
            if (string.Equals(snapshot.Position, registration.Sequence, StringComparison.Ordinal))
            {
                return snapshot;
            }

            var order = feed.ComparePositions(snapshot.Position, registration.Sequence);
            if (order is null)
            {
                // Positions this feed cannot order (none of Baas's own): events start where the subscription was registered.
                RealtimeLog.SnapshotPositionUnordered(logger, snapshot.Position, registration.Sequence);
                return snapshot with { Position = registration.Sequence };
            }

            if (order > 0)
            {
                subscription.SkipThrough(snapshot.Position, feed.ComparePositions);
                return snapshot;
            }

            var replayed = dispatcher.HoldWindowReplay(subscription, snapshot.Position, feed.ComparePositions)
                ?? await storedResume.TryResumeAsync(registration, snapshot.Position, cancellationToken);
            if (replayed)
            {
                return snapshot;
            }

            if (read == MaxReads)
            {
                throw new StorageUnavailableException(
                    $"The snapshot was read at {snapshot.Position}, behind the change feed's {registration.Sequence}, and the changes between cannot be replayed.");
            }
        }
    }
}
