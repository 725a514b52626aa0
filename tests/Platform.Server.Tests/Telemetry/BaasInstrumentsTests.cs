using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Functions;
using Platform.Server.Functions.Runtime;
using Platform.Server.Realtime;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Telemetry;

/// <summary>The realtime and function instruments on the one <c>Baas</c> meter: names, units, tags, values.</summary>
public sealed class BaasInstrumentsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, string? Unit, double Value, Dictionary<string, object?> Tags)> _measurements = [];
    private Meter? _meter;

    public BaasInstrumentsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        lock (_measurements)
        {
            _measurements.Add((instrument.Name, instrument.Unit, value, copy));
        }
    }

    private IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

    [Fact]
    public void RealtimeAndFunctionsAndStorage_ShareTheOneBaasMeter()
    {
        var realtime = new RealtimeMetrics(Factory);
        var functions = new FunctionRuntimeMetrics(Factory);
        using var storage = new StorageMetrics(Factory);

        Assert.Equal("Baas", realtime.Meter.Name);
        Assert.Same(realtime.Meter, functions.Meter);
        Assert.Same(realtime.Meter, storage.Meter);
    }

    [Fact]
    public void RealtimeInstruments_RecordConnectionsSubscriptionsDeliveriesAndDrops()
    {
        var metrics = new RealtimeMetrics(Factory);
        _meter = metrics.Meter;
        _listener.Start();

        metrics.ConnectionOpened();
        metrics.ConnectionOpened();
        metrics.ConnectionClosed();
        metrics.SubscriptionAdded();
        metrics.SubscriptionsRemoved(1);
        metrics.EventsSent(1);
        metrics.EventDropped("overflow");
        metrics.Overflowed();

        Assert.Equal(1, Sum("baas.realtime.connections"));
        Assert.Equal("{connection}", Unit("baas.realtime.connections"));
        Assert.Equal(0, Sum("baas.realtime.subscriptions"));
        Assert.Equal(1, Sum("baas.realtime.events_sent"));
        Assert.Equal(1, Sum("baas.realtime.overflows"));
        var drop = Assert.Single(_measurements, m => m.Instrument == "baas.realtime.events_dropped");
        Assert.Equal("overflow", drop.Tags["reason"]);
        Assert.Equal("{event}", drop.Unit);
    }

    [Fact]
    public void FunctionInstruments_RecordRunsAndDurationByTriggerAndOutcome()
    {
        var metrics = new FunctionRuntimeMetrics(Factory);
        _meter = metrics.Meter;
        _listener.Start();

        metrics.RunEnded(RunTrigger.Document, RunStatus.Succeeded, TimeSpan.FromMilliseconds(250));
        metrics.RunEnded(RunTrigger.Callable, RunStatus.TimedOut, TimeSpan.FromSeconds(2));
        metrics.RunEnded(RunTrigger.Document, RunStatus.Succeeded, TimeSpan.FromMilliseconds(50));
        _listener.RecordObservableInstruments();

        // The counter is observed: one cumulative measurement per trigger and outcome that has had a run.
        var runs = _measurements.Where(m => m.Instrument == "baas.functions.runs").ToList();
        Assert.Equal(2, runs.Count);
        Assert.Contains(runs, m => Equals(m.Tags["trigger"], "document") && Equals(m.Tags["outcome"], "succeeded") && m.Value == 2);
        Assert.Contains(runs, m => Equals(m.Tags["trigger"], "callable") && Equals(m.Tags["outcome"], RunStatus.TimedOut.Name()) && m.Value == 1);
        Assert.All(runs, m => Assert.Equal("{run}", m.Unit));
        var durations = _measurements.Where(m => m.Instrument == "baas.functions.run.duration").ToList();
        Assert.Equal([0.05, 0.25, 2.0], durations.Select(m => m.Value).Order());
        Assert.All(durations, m => Assert.Equal("s", m.Unit));
    }

    [Fact]
    public void FunctionRuntimeCounters_AreObservedAsRunningTotals()
    {
        var metrics = new FunctionRuntimeMetrics(Factory);
        _meter = metrics.Meter;
        _listener.Start();

        metrics.ModuleParsed();
        metrics.EngineCreated();
        metrics.EngineCreated();
        metrics.PoolHit();
        metrics.PoolHit();
        metrics.PoolHit();
        metrics.InlineRun();
        _listener.RecordObservableInstruments();
        metrics.PoolHit();
        _listener.RecordObservableInstruments();

        Assert.Equal([1, 1], Values("baas.functions.modules_parsed"));
        Assert.Equal([2, 2], Values("baas.functions.engines_created"));
        Assert.Equal([3, 4], Values("baas.functions.engine_pool_hits"));
        Assert.Equal([1, 1], Values("baas.functions.inline_runs"));
        Assert.Equal(4, metrics.PoolHits);
        Assert.Equal("{run}", Unit("baas.functions.engine_pool_hits"));
    }

    private double[] Values(string instrument) => [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Value)];

    private double Sum(string instrument) => _measurements.Where(m => m.Instrument == instrument).Sum(m => m.Value);

    private string? Unit(string instrument) => _measurements.First(m => m.Instrument == instrument).Unit;

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }
}
