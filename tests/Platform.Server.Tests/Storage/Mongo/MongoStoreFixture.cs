using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MongoDB.Driver;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Mongo;
using Platform.Server.Tests.Storage.Changes;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>
/// A MongoDB store on the replica set named by <c>BAAS_TEST_MONGO</c>, in a database of its own that is
/// dropped afterwards. Without the variable every conformance test is skipped with the reason.
/// </summary>
public sealed class MongoStoreFixture : IChangeFeedFixture, IAsyncLifetime
{
    public const string Variable = "BAAS_TEST_MONGO";

    private readonly string? _connectionString = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;
    private MongoDocumentStore? _store;
    private MongoChangeFeed? _feed;

    public string DatabaseName { get; } = NewDatabaseName();

    /// <summary>A database name of its own for one test, dropped by that test.</summary>
    public static string NewDatabaseName() => "baas_test_" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>
    /// The replica set's connection string from <c>BAAS_TEST_MONGO</c>; skips the calling test, naming
    /// <paramref name="need"/> ("explain() needs a MongoDB server"), when it is not set.
    /// </summary>
    public static string RequireConnectionString(string need)
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value))
        {
            Assert.Skip($"{Variable} is not set: {need}");
        }

        return value;
    }

    /// <summary>A store (not yet initialized) on <paramref name="database"/> of the server at <paramref name="connectionString"/>.</summary>
    public static MongoDocumentStore OpenStore(string connectionString, string database) =>
        new(Options.Create(new StorageOptions { Provider = StorageProvider.Mongo, ConnectionString = connectionString, Database = database }),
            NullLogger<MongoDocumentStore>.Instance);

    public string? SkipReason => _connectionString is null
        ? $"{Variable} is not set: MongoDB conformance needs a replica-set connection string"
        : null;

    public StoreCapabilities Capabilities { get; } = new(
        SortsArraysByElement: true,
        SortsObjectsFieldByField: true,
        FoldsCaseByUnicode: true,
        UniqueIndexKeysEachElement: true,
        DropsTheFractionOfIntegralNumbers: true,
        FiltersFieldNamesWithQuotes: true);

    public IDocumentStore Store => _store ?? throw new InvalidOperationException("The fixture is not initialized.");

    public IChangeFeed Feed => _feed ?? throw new InvalidOperationException("The fixture is not initialized.");

    public string? CannotForgetHistoryReason => "MongoDB's change history is the oplog, which a test cannot truncate";

    public Task<string> ForgetHistoryAsync(string collection) => throw new NotSupportedException(CannotForgetHistoryReason);

    public string NewCollectionName() => "t" + Guid.NewGuid().ToString("N")[..20];

    public async ValueTask InitializeAsync()
    {
        if (_connectionString is null)
        {
            return;
        }

        _store = OpenStore(_connectionString, DatabaseName);
        await _store.InitializeAsync(TestContext.Current.CancellationToken);
        _feed = new MongoChangeFeed(_store, NullLogger<MongoChangeFeed>.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is null)
        {
            return;
        }

        _store.Dispose();
        using var client = new MongoClient(_connectionString);
        await client.DropDatabaseAsync(DatabaseName);
    }
}
