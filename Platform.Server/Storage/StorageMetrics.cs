using System.Diagnostics.Metrics;

namespace Platform.Server.Storage;

/// <summary>
/// The <c>Baas.Storage</c> meter: queries and counts running in the store, queries the store stopped (budget or
/// cancellation), and the size of the SQLite write-ahead log.
/// </summary>
public sealed class StorageMetrics
{
    public const string MeterName = "Baas.Storage";

    /// <summary>The <c>reason</c> tag of <c>baas.storage.queries.stopped</c> for a query that ran out of budget.</summary>
    public const string TimedOut = "timeout";

    /// <summary>The <c>reason</c> tag of <c>baas.storage.queries.stopped</c> for a query whose caller went away.</summary>
    public const string Cancelled = "cancelled";

    private readonly UpDownCounter<long> _running;
    private readonly Counter<long> _stopped;
    private readonly Counter<long> _checkpoints;

    public StorageMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _running = Meter.CreateUpDownCounter<long>("baas.storage.queries.running", "{query}", "Queries and counts executing in the store.");
        _stopped = Meter.CreateCounter<long>("baas.storage.queries.stopped", "{query}", "Queries and counts the store stopped while they ran (reason: timeout or cancelled).");
        _checkpoints = Meter.CreateCounter<long>("baas.storage.sqlite.checkpoints", "{checkpoint}", "SQLite checkpoints that reset the write-ahead log (result: truncated or busy).");
    }

    /// <summary>This node's meter (one per service provider).</summary>
    public Meter Meter { get; }

    public void QueryStarted() => _running.Add(1);

    public void QueryEnded() => _running.Add(-1);

    public void QueryStopped(string reason) => _stopped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Checkpointed(bool truncated) => _checkpoints.Add(1, new KeyValuePair<string, object?>("result", truncated ? "truncated" : "busy"));
}
