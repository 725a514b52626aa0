using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Server.Storage;

/// <summary>
/// The storage instruments on the <c>Baas</c> meter: store operations (count and duration by operation and provider),
/// queries and counts running in the store, queries the store stopped (budget or cancellation), SQLite checkpoints;
/// and the <c>Baas.Storage</c> activity source that traces store calls.
/// </summary>
public sealed class StorageMetrics : IDisposable
{
    /// <summary>The one meter of the server; <see cref="IMeterFactory"/> hands every caller the same instance.</summary>
    public const string MeterName = "Baas";

    /// <summary>The activity source of store calls (one span per call when a tracer listens).</summary>
    public const string ActivitySourceName = "Baas.Storage";

    /// <summary>The <c>reason</c> tag of <c>baas.storage.queries.stopped</c> for a query that ran out of budget.</summary>
    public const string TimedOut = "timeout";

    /// <summary>The <c>reason</c> tag of <c>baas.storage.queries.stopped</c> for a query whose caller went away.</summary>
    public const string Cancelled = "cancelled";

    private readonly UpDownCounter<long> _running;
    private readonly Counter<long> _stopped;
    private readonly Counter<long> _checkpoints;
    private readonly Histogram<double> _checkpointDuration;
    private readonly Counter<long> _operations;
    private readonly Histogram<double> _operationDuration;
    private readonly Histogram<long> _commitWrites;
    private readonly Counter<long> _groupReruns;
    private int _sqliteMemoryObserved;

    public StorageMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _running = Meter.CreateUpDownCounter<long>("baas.storage.queries.running", "{query}", "Queries and counts executing in the store.");
        _stopped = Meter.CreateCounter<long>("baas.storage.queries.stopped", "{query}", "Queries and counts the store stopped while they ran (reason: timeout or cancelled).");
        _checkpoints = Meter.CreateCounter<long>("baas.storage.sqlite.checkpoints", "{checkpoint}", "Resets of the SQLite write-ahead log (result: reset, forced past the bound, or busy when a reader outlasted the wait).");
        _checkpointDuration = Meter.CreateHistogram<double>("baas.storage.sqlite.checkpoint.duration", "s", "Duration of SQLite checkpoints (mode: passive, which holds nothing back; reset and forced, for which writes are held back the whole time).");
        _operations = Meter.CreateCounter<long>("baas.storage.operations", "{operation}", "Store calls by operation, provider and outcome (ok or error).");
        _operationDuration = Meter.CreateHistogram<double>("baas.storage.operation.duration", "s", "Duration of store calls by operation, provider and outcome.");
        _commitWrites = Meter.CreateHistogram<long>("baas.storage.sqlite.commit.writes", "{write}", "Writes per SQLite commit (group commit: concurrent writes share one transaction).");
        _groupReruns = Meter.CreateCounter<long>("baas.storage.sqlite.commit.reruns", "{group}", "SQLite write groups rolled back because one of their writes failed, and run again with a savepoint per write so that write fails alone.");
        ActivitySource = new ActivitySource(ActivitySourceName);
    }

    /// <summary>Starts one store call's span, or returns null (no allocation) when no tracer listens.</summary>
    public ActivitySource ActivitySource { get; }

    public void OperationEnded(string operation, string provider, bool ok, TimeSpan duration)
    {
        var tags = new TagList { { "operation", operation }, { "provider", provider }, { "outcome", ok ? "ok" : "error" } };
        _operations.Add(1, tags);
        _operationDuration.Record(duration.TotalSeconds, tags);
    }

    public void Dispose() => ActivitySource.Dispose();

    /// <summary>This node's meter (one per service provider).</summary>
    public Meter Meter { get; }

    public void QueryStarted() => _running.Add(1);

    public void QueryEnded() => _running.Add(-1);

    public void QueryStopped(string reason) => _stopped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void SqliteCommitted(int writes) => _commitWrites.Record(writes);

    public void SqliteGroupRerun() => _groupReruns.Add(1);

    public void SqliteWalReset(string result) => _checkpoints.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>
    /// Publishes <c>baas.storage.sqlite.memory</c>: the bytes SQLite's allocator holds in this process (page caches,
    /// schemas, prepared statements of every open connection), read at each collection. Once per meter: the SQLite store
    /// calls it when it is created; a MongoDB node never loads SQLite for it.
    /// </summary>
    public void ObserveSqliteMemory(Func<long> bytesUsed)
    {
        ArgumentNullException.ThrowIfNull(bytesUsed);
        if (Interlocked.Exchange(ref _sqliteMemoryObserved, 1) == 0)
        {
            Meter.CreateObservableGauge("baas.storage.sqlite.memory", bytesUsed, "By", "Memory SQLite's allocator holds in this process: the page caches, schemas and prepared statements of every open connection.");
        }
    }

    public void SqliteCheckpointed(string mode, TimeSpan duration) => _checkpointDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("mode", mode));
}
