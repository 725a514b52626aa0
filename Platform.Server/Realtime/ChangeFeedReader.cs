using Microsoft.Extensions.Options;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Realtime;

/// <summary>
/// Reads the node's <see cref="IChangeFeed"/> from the position it started at and hands each change to the
/// <see cref="RealtimeDispatcher"/>. A store error restarts the read after a growing delay, from the last change
/// dispatched, so nothing is skipped or repeated.
/// </summary>
internal sealed class ChangeFeedReader(
    IChangeFeed feed,
    RealtimeDispatcher dispatcher,
    ChangeFeedLiveness liveness,
    IOptions<RealtimeOptions> options,
    TimeProvider time,
    ILogger<ChangeFeedReader> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before Kestrel starts, so a subscription never waits for the position.
        dispatcher.Start(await feed.GetPositionAsync(cancellationToken));
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ReadAsync(stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            liveness.Stopped(ex);
            throw;
        }

        if (!stoppingToken.IsCancellationRequested)
        {
            liveness.Stopped(null);
        }
    }

    private async Task ReadAsync(CancellationToken stoppingToken)
    {
        var delay = options.Value.RetryDelay;
        var failed = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var position = dispatcher.Position;
            try
            {
                if (failed)
                {
                    RealtimeLog.FeedResumed(logger, position);
                }

                // Healthy again as soon as the feed is open, not at the next change, which may be a long way off.
                await foreach (var change in feed.ReadAsync(position, liveness.Reading, stoppingToken))
                {
                    await dispatcher.DispatchAsync(change);
                    liveness.Reading();
                    delay = options.Value.RetryDelay;
                    failed = false;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ChangeHistoryUnavailableException ex)
            {
                RealtimeLog.FeedHistoryLost(logger, ex, position);
                try
                {
                    dispatcher.Restart(await feed.GetPositionAsync(stoppingToken));
                    continue;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception inner) when (inner is not OutOfMemoryException)
                {
                    RealtimeLog.FeedReadFailed(logger, inner, position, delay);
                    liveness.Failed(inner, delay);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                RealtimeLog.FeedReadFailed(logger, ex, position, delay);
                liveness.Failed(ex, delay);
            }

            failed = true;
            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.MaxRetryDelay.Ticks));
        }
    }
}
