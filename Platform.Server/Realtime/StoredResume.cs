using Microsoft.Extensions.Options;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Realtime;

/// <summary>
/// <c>resumeAfter</c> from the stored change feed (issue 12 item 8): when the client's position is not in this node's
/// in-memory replay window (the node restarted, or the client was on another node), the changes between that position
/// and the subscription's start are read from <see cref="IChangeFeed"/> (the SQLite change log; the MongoDB change
/// stream, whose resume tokens mean the same on every node), so the client gets exactly what it missed without a
/// snapshot, as long as the feed still retains the position. Bounded in changes read and in time
/// (<see cref="RealtimeOptions.StoredResumeMaxChanges"/>, <see cref="RealtimeOptions.StoredResumeTimeout"/>); past
/// either, or when the position is gone, the client gets a snapshot (<c>resumed: false</c>).
/// </summary>
internal sealed class StoredResume(IChangeFeed feed, RealtimeDispatcher dispatcher, IOptions<RealtimeOptions> options, ILogger<StoredResume> logger)
{
    /// <summary>
    /// Reads the changes of the subscription's collection after <paramref name="resumeAfter"/> up to the registration's
    /// position and holds them for the subscription; false when the client must take a snapshot instead.
    /// </summary>
    public async Task<bool> TryResumeAsync(Registration registration, string resumeAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(resumeAfter);
        var limits = options.Value;
        var until = registration.Sequence;
        if (limits.StoredResumeMaxChanges == 0 || feed.ComparePositions(resumeAfter, until) > 0)
        {
            // Off, or a position after everything this node has dispatched: not one it can serve.
            return false;
        }

        var collection = registration.Subscription.Spec.Collection;
        var missed = new List<StoredChange>();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(limits.StoredResumeTimeout);
        var read = 0;
        try
        {
            await foreach (var change in feed.ReadAsync(resumeAfter, budget.Token))
            {
                var order = feed.ComparePositions(change.Sequence, until);
                if (order > 0)
                {
                    // Past the start without meeting it (it was not a change's own position): every missed change is read.
                    break;
                }

                if (++read > limits.StoredResumeMaxChanges)
                {
                    RealtimeLog.StoredResumeTooLong(logger, resumeAfter, limits.StoredResumeMaxChanges);
                    return false;
                }

                if (string.Equals(change.Collection, collection, StringComparison.Ordinal))
                {
                    missed.Add(change);
                }

                if (order == 0 || string.Equals(change.Sequence, until, StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (ChangeHistoryUnavailableException)
        {
            // No longer retained (or never a position of this feed): a snapshot.
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            RealtimeLog.StoredResumeTimedOut(logger, resumeAfter, limits.StoredResumeTimeout);
            return false;
        }

        return dispatcher.HoldStoredReplay(registration.Subscription, missed);
    }
}
