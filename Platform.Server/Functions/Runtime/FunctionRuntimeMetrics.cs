using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// The functions' instruments on the <c>Baas</c> meter: modules parsed, engines created, engines taken warm from the
/// pool, runs made on the caller's thread, runs and their duration by trigger and outcome. The running totals are also readable here (tests and the
/// admin dashboard).
/// </summary>
public sealed class FunctionRuntimeMetrics
{
    /// <summary>The one meter of the server (docs/deployment.md, Metrics); <see cref="IMeterFactory"/> hands every caller the same instance.</summary>
    public const string MeterName = "Baas";

    private readonly Counter<long> _modulesParsed;
    private readonly Counter<long> _enginesCreated;
    private readonly Counter<long> _poolHits;
    private readonly Counter<long> _inlineRuns;
    private readonly Counter<long> _runs;
    private readonly Histogram<double> _runDuration;
    private long _modulesParsedTotal;
    private long _enginesCreatedTotal;
    private long _poolHitsTotal;
    private long _inlineRunsTotal;

    public FunctionRuntimeMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _modulesParsed = Meter.CreateCounter<long>("baas.functions.modules_parsed", "{module}", "Function code parsed into a module (once per function version and node while it stays cached).");
        _enginesCreated = Meter.CreateCounter<long>("baas.functions.engines_created", "{engine}", "Jint engines created (a cold start: the module's top level runs).");
        _poolHits = Meter.CreateCounter<long>("baas.functions.engine_pool_hits", "{run}", "Runs that took a warm engine from the pool.");
        _inlineRuns = Meter.CreateCounter<long>("baas.functions.inline_runs", "{run}", "Runs of bounded code (no loops, calls or other functions) made on the caller's thread rather than a run thread.");
        _runs = Meter.CreateCounter<long>("baas.functions.runs", "{run}", "Function runs by trigger and outcome (succeeded, failed, timedOut, rejected).");
        _runDuration = Meter.CreateHistogram<double>("baas.functions.run.duration", "s", "Wall-clock time of function runs by trigger and outcome.");
    }

    /// <summary>This node's meter (one per service provider).</summary>
    public Meter Meter { get; }

    /// <summary>How many times function code was parsed since start-up.</summary>
    public long ModulesParsed => Interlocked.Read(ref _modulesParsedTotal);

    /// <summary>How many engines were created since start-up.</summary>
    public long EnginesCreated => Interlocked.Read(ref _enginesCreatedTotal);

    /// <summary>How many runs reused a pooled engine since start-up.</summary>
    public long PoolHits => Interlocked.Read(ref _poolHitsTotal);

    internal void ModuleParsed()
    {
        Interlocked.Increment(ref _modulesParsedTotal);
        _modulesParsed.Add(1);
    }

    internal void EngineCreated()
    {
        Interlocked.Increment(ref _enginesCreatedTotal);
        _enginesCreated.Add(1);
    }

    /// <summary>How many runs were made on the caller's thread (bounded code) since start-up.</summary>
    public long InlineRuns => Interlocked.Read(ref _inlineRunsTotal);

    internal void InlineRun()
    {
        Interlocked.Increment(ref _inlineRunsTotal);
        _inlineRuns.Add(1);
    }

    internal void PoolHit()
    {
        Interlocked.Increment(ref _poolHitsTotal);
        _poolHits.Add(1);
    }

    internal void RunEnded(RunTrigger trigger, RunStatus status, TimeSpan duration)
    {
        var tags = new TagList { { "trigger", trigger.Name() }, { "outcome", status.Name() } };
        _runs.Add(1, tags);
        _runDuration.Record(duration.TotalSeconds, tags);
    }
}
