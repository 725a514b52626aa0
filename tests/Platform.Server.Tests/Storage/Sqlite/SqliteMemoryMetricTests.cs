using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary><c>baas.storage.sqlite.memory</c>: what SQLite's allocator holds, published once per meter by the SQLite store.</summary>
public sealed class SqliteMemoryMetricTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-memory-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
    }

    [Fact]
    public async Task SqliteMemoryGauge_IsPublishedOncePerMeter_AndReportsWhatSqliteHolds()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new StorageMetrics(services.GetRequiredService<IMeterFactory>());
        var published = 0;
        var readings = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == "baas.storage.sqlite.memory")
            {
                published++;
                Assert.Equal("By", instrument.Unit);
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => readings.Add(value));
        listener.Start();

        using var first = Open(metrics);
        using var second = Open(metrics);
        await first.InitializeAsync(Ct);
        await first.WriteAsync([new InsertOperation("tasks", new System.Text.Json.Nodes.JsonObject { ["_id"] = "a", ["_version"] = 1 })], Ct);
        listener.RecordObservableInstruments();

        Assert.Equal(1, published);
        // Process-wide (other tests' connections count too), but never nothing while this store has connections open.
        Assert.True(Assert.Single(readings) > 0);
    }

    private SqliteDocumentStore Open(StorageMetrics metrics) => new(
        Options.Create(new StorageOptions()),
        Options.Create(new BaasOptions { DataDir = _dataDir }),
        Options.Create(new ChangeFeedOptions()),
        TimeProvider.System,
        NullLogger<SqliteDocumentStore>.Instance,
        metrics);
}
