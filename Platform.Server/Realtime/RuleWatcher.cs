using Microsoft.Extensions.Options;
using Platform.Server.Collections;

namespace Platform.Server.Realtime;

/// <summary>
/// Subscriptions are bound to the rules in force when they start; this loop notices rule changes (and deleted
/// collections) and has the dispatcher drop the connections whose subscriptions follow outdated rules, so a rule
/// that is tightened stops events within <see cref="RealtimeOptions.RuleCheckInterval"/>.
/// </summary>
internal sealed class RuleWatcher(
    CollectionRegistry registry,
    RealtimeDispatcher dispatcher,
    IOptions<RealtimeOptions> options,
    TimeProvider time,
    ILogger<RuleWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RuleCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var name in dispatcher.RuleBoundCollections())
                {
                    try
                    {
                        var collection = await registry.FindAsync(name, stoppingToken);
                        var dropped = dispatcher.DropStale(name, operation => SubscriptionPlanner.CurrentRuleText(collection, operation));
                        if (dropped > 0)
                        {
                            RealtimeLog.RulesChanged(logger, name, dropped);
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                    {
                        RealtimeLog.RuleCheckFailed(logger, ex, name);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
