using System.Diagnostics.Metrics;

namespace Platform.Server.Realtime;

/// <summary>The realtime instruments on the <c>Baas</c> meter: connections, subscriptions, events delivered and dropped, overflows.</summary>
internal sealed class RealtimeMetrics
{
    public const string MeterName = "Baas";

    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _subscriptions;
    private readonly Counter<long> _eventsSent;
    private readonly Counter<long> _overflows;
    private readonly Counter<long> _eventsDropped;
    private readonly Counter<long> _costlyMatches;
    private readonly Counter<long> _budgetDrops;

    public RealtimeMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        var meter = Meter;
        _connections = meter.CreateUpDownCounter<long>("baas.realtime.connections", "{connection}", "Open hub connections.");
        _subscriptions = meter.CreateUpDownCounter<long>("baas.realtime.subscriptions", "{subscription}", "Live subscriptions.");
        _eventsSent = meter.CreateCounter<long>("baas.realtime.events_sent", "{event}", "Events written to connections (change and resync).");
        _overflows = meter.CreateCounter<long>("baas.realtime.overflows", "{connection}", "Connections dropped because their send queue was full.");
        _eventsDropped = meter.CreateCounter<long>(
            "baas.realtime.events_dropped",
            "{event}",
            "Changes not delivered to a subscribed connection: its send queue was full (reason: overflow) or it was being closed (reason: closing).");
        _costlyMatches = meter.CreateCounter<long>(
            "baas.realtime.costly_matches", "{match}", "Changes matched for one connection on the low-priority background matcher (over CostlyMatchThreshold).");
        _budgetDrops = meter.CreateCounter<long>(
            "baas.realtime.match_budget_drops", "{connection}", "Connections sent resync and closed because their client address spent MatchBudgetPerClient.");
    }

    /// <summary>This node's meter (one per service provider).</summary>
    public Meter Meter { get; }

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void SubscriptionAdded() => _subscriptions.Add(1);

    public void SubscriptionsRemoved(int count) => _subscriptions.Add(-count);

    public void EventsSent(int count) => _eventsSent.Add(count);

    public void Overflowed() => _overflows.Add(1);

    public void CostlyMatched() => _costlyMatches.Add(1);

    public void MatchBudgetExceeded() => _budgetDrops.Add(1);

    public void EventDropped(string reason) => _eventsDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
