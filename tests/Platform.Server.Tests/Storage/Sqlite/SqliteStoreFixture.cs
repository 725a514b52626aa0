using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Sqlite;
using Platform.Server.Tests.Storage.Changes;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>A SQLite store in a fresh temporary data dir, removed afterwards, on a clock the tests can move forward.</summary>
public sealed class SqliteStoreFixture : IChangeFeedFixture, IAsyncLifetime
{
    private SqliteDocumentStore? _store;

    /// <summary>The change log's retention and bounds (the defaults unless a test sets them before initializing).</summary>
    public ChangeFeedOptions Changes { get; init; } = new();

    /// <summary>The SQLite store itself: its holds (<see cref="IChangeFeedRetention"/>) and the pruner.</summary>
    public SqliteDocumentStore Sqlite => _store ?? throw new InvalidOperationException("The fixture is not initialized.");

    public AdjustableTimeProvider Clock { get; } = new();

    public string DataDir { get; } = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-" + Guid.NewGuid().ToString("N"));

    public string? SkipReason => null;

    public StoreCapabilities Capabilities { get; } = new(SortsArraysByElement: false);

    public IDocumentStore Store => _store ?? throw new InvalidOperationException("The fixture is not initialized.");

    public IChangeFeed Feed => _store ?? throw new InvalidOperationException("The fixture is not initialized.");

    public string? CannotForgetHistoryReason => null;

    /// <summary>
    /// Moves the clock past the retention period and prunes: everything committed so far is forgotten but the newest
    /// change, which the store keeps as the high-water mark of its numbering. So two changes: the first one is gone.
    /// </summary>
    public async Task<string> ForgetHistoryAsync(string collection)
    {
        var position = await Feed.GetPositionAsync(TestContext.Current.CancellationToken);
        foreach (var id in new[] { "forgotten", "kept" })
        {
            await Store.WriteAsync([new InsertOperation(collection, new JsonObject { [SystemFields.Id] = id, [SystemFields.Version] = 1 })], TestContext.Current.CancellationToken);
        }

        Clock.Advance(Changes.Retention + TimeSpan.FromSeconds(1));
        await _store!.PruneChangesAsync(TestContext.Current.CancellationToken);
        return position;
    }

    public string NewCollectionName() => "t" + Guid.NewGuid().ToString("N")[..20];

    public static SqliteDocumentStore Open(string dataDir, string fileName = "baas.db", ChangeFeedOptions? changes = null, TimeProvider? time = null, StorageOptions? storage = null) =>
        new(
            Options.Create(storage ?? new StorageOptions { SqliteFileName = fileName }),
            Options.Create(new BaasOptions { DataDir = dataDir }),
            Options.Create(changes ?? new ChangeFeedOptions()),
            time ?? TimeProvider.System,
            NullLogger<SqliteDocumentStore>.Instance);

    public async ValueTask InitializeAsync()
    {
        _store = Open(DataDir, changes: Changes, time: Clock);
        await _store.InitializeAsync(TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _store?.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }

        return ValueTask.CompletedTask;
    }
}
