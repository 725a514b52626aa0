using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// The functions' instruments on the <c>Baas</c> meter: modules parsed, engines created, engines taken warm from the
/// pool, runs made on the caller's thread, runs and their duration by trigger and outcome. The running totals are also readable here (tests and the
/// admin dashboard).
/// </summary>
/// <remarks>
/// The counters are observable: a run adds to plain totals and the meter reads them when it collects. As
/// <see cref="Counter{T}"/>s each run paid for three measurements (pool hit, inline run, runs by trigger and outcome),
/// each a tag lookup in every listening exporter, about 1 µs of a create with a before trigger (issue 9, item 10); the
/// exported series are the same monotonic sums. Only the duration stays a per-run histogram.
/// </remarks>
public sealed class FunctionRuntimeMetrics
{
    /// <summary>The one meter of the server (docs/deployment.md, Metrics); <see cref="IMeterFactory"/> hands every caller the same instance.</summary>
    public const string MeterName = "Baas";

    private static readonly RunTrigger[] Triggers = Enum.GetValues<RunTrigger>();
    private static readonly RunStatus[] Statuses = Enum.GetValues<RunStatus>();

    private readonly Histogram<double> _runDuration;

    // Runs by trigger and outcome: index (int)trigger * Statuses.Length + (int)status.
    private readonly long[] _runsByTriggerAndOutcome = new long[Triggers.Length * Statuses.Length];
    private long _modulesParsedTotal;
    private long _enginesCreatedTotal;
    private long _poolHitsTotal;
    private long _inlineRunsTotal;

    public FunctionRuntimeMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        Meter.CreateObservableCounter("baas.functions.modules_parsed", () => ModulesParsed, "{module}", "Function code parsed into a module (once per function version and node while it stays cached).");
        Meter.CreateObservableCounter("baas.functions.engines_created", () => EnginesCreated, "{engine}", "Jint engines created (a cold start: the module's top level runs).");
        Meter.CreateObservableCounter("baas.functions.engine_pool_hits", () => PoolHits, "{run}", "Runs that took a warm engine from the pool.");
        Meter.CreateObservableCounter("baas.functions.inline_runs", () => InlineRuns, "{run}", "Runs of bounded code (no loops, calls or other functions) made on the caller's thread rather than a run thread.");
        Meter.CreateObservableCounter("baas.functions.runs", RunsByTriggerAndOutcome, "{run}", "Function runs by trigger and outcome (succeeded, failed, timedOut, rejected).");
        _runDuration = Meter.CreateHistogram<double>("baas.functions.run.duration", "s", "Wall-clock time of function runs by trigger and outcome.");
    }

    public Meter Meter { get; }

    public long ModulesParsed => Interlocked.Read(ref _modulesParsedTotal);

    public long EnginesCreated => Interlocked.Read(ref _enginesCreatedTotal);

    public long PoolHits => Interlocked.Read(ref _poolHitsTotal);

    public long InlineRuns => Interlocked.Read(ref _inlineRunsTotal);

    internal void ModuleParsed() => Interlocked.Increment(ref _modulesParsedTotal);

    internal void EngineCreated() => Interlocked.Increment(ref _enginesCreatedTotal);

    internal void InlineRun() => Interlocked.Increment(ref _inlineRunsTotal);

    internal void PoolHit() => Interlocked.Increment(ref _poolHitsTotal);

    internal void RunEnded(RunTrigger trigger, RunStatus status, TimeSpan duration)
    {
        Interlocked.Increment(ref _runsByTriggerAndOutcome[((int)trigger * Statuses.Length) + (int)status]);
        if (_runDuration.Enabled)
        {
            _runDuration.Record(duration.TotalSeconds, new TagList { { "trigger", trigger.Name() }, { "outcome", status.Name() } });
        }
    }

    /// <summary>One measurement per trigger and outcome that has had a run (a series appears with its first run, as before).</summary>
    private IEnumerable<Measurement<long>> RunsByTriggerAndOutcome()
    {
        for (var t = 0; t < Triggers.Length; t++)
        {
            for (var s = 0; s < Statuses.Length; s++)
            {
                var count = Interlocked.Read(ref _runsByTriggerAndOutcome[(t * Statuses.Length) + s]);
                if (count > 0)
                {
                    yield return new Measurement<long>(count, new KeyValuePair<string, object?>("trigger", Triggers[t].Name()), new KeyValuePair<string, object?>("outcome", Statuses[s].Name()));
                }
            }
        }
    }
}
