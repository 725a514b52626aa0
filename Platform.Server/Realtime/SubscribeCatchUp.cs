using Microsoft.Extensions.Options;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Realtime;

/// <summary>
/// Before <c>Subscribe</c> registers a <c>resumeAfter</c> subscription, waits until this node's dispatcher has dispatched
/// every change committed so far (<see cref="IChangeFeed.GetPositionAsync"/>), so that a position from another node that
/// was ahead of this one resumes instead of getting a snapshot. Other subscriptions do not wait: a snapshot is lined up
/// with the events by its own position (<see cref="SubscribeSnapshot"/>), and without one the events start wherever the
/// dispatcher is. Bounded by <see cref="RealtimeOptions.SubscribeCatchUpTimeout"/>: past it (the
/// feed reader is failing or far behind) the subscription starts where the dispatcher is, and the wait is logged.
/// </summary>
internal sealed class SubscribeCatchUp(
    IChangeFeed feed,
    RealtimeDispatcher dispatcher,
    IOptions<RealtimeOptions> options,
    TimeProvider time,
    ILogger<SubscribeCatchUp> logger)
{
    /// <summary>Waits for the dispatcher to reach the committed position, at most the configured time.</summary>
    /// <exception cref="Storage.StorageUnavailableException">The store could not tell its position.</exception>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var limit = options.Value.SubscribeCatchUpTimeout;

        // A feed whose position is a mark of "now" (MongoDB's high-water mark) is passed only by the next write, which on
        // a quiet database may never come: no wait there (a resume from a node that is ahead then gets a snapshot).
        if (limit <= TimeSpan.Zero || !feed.PositionIsLatestChange)
        {
            return;
        }

        var committed = await feed.GetPositionAsync(cancellationToken);
        using var bounded = new CancellationTokenSource(limit, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bounded.Token);
        try
        {
            await dispatcher.WhenDispatchedAsync(committed, feed.ComparePositions, linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            RealtimeLog.SubscribeCatchUpTimedOut(logger, committed, dispatcher.Position, limit);
        }
    }
}
