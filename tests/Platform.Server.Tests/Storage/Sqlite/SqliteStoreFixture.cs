using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>A SQLite store in a fresh temporary data dir, removed afterwards.</summary>
public sealed class SqliteStoreFixture : IStoreFixture, IAsyncLifetime
{
    private SqliteDocumentStore? _store;

    public string DataDir { get; } = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-" + Guid.NewGuid().ToString("N"));

    public string? SkipReason => null;

    public StoreCapabilities Capabilities { get; } = new(SortsArraysByElement: false);

    public IDocumentStore Store => _store ?? throw new InvalidOperationException("The fixture is not initialized.");

    public string NewCollectionName() => "t" + Guid.NewGuid().ToString("N")[..20];

    public static SqliteDocumentStore Open(string dataDir, string fileName = "baas.db") =>
        new(
            Options.Create(new StorageOptions { SqliteFileName = fileName }),
            Options.Create(new BaasOptions { DataDir = dataDir }),
            NullLogger<SqliteDocumentStore>.Instance);

    public async ValueTask InitializeAsync()
    {
        _store = Open(DataDir);
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
