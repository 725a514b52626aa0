using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>What the store does without a server: configuration, failure mapping and input checks.</summary>
public class MongoDocumentStoreTests
{
    // Nothing listens on the discard port; short timeouts make server selection fail fast.
    private const string Unreachable = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300&connectTimeoutMS=300";

    private static MongoDocumentStore Store(string? connectionString = Unreachable) =>
        new(Options.Create(new StorageOptions { Provider = StorageProvider.Mongo, ConnectionString = connectionString, Database = "baas_test" }), NullLogger<MongoDocumentStore>.Instance);

    [Fact]
    public void Constructor_Throws_WithoutAConnectionString() =>
        Assert.Throws<InvalidOperationException>(() => Store(connectionString: null));

    [Fact]
    public async Task PingAsync_ReturnsFalse_WhenNoServerAnswers()
    {
        using var store = Store();

        Assert.False(await store.PingAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InitializeAsync_ThrowsStorageUnavailable_WhenNoServerAnswers()
    {
        using var store = Store();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.InitializeAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task QueryAsync_ThrowsStorageUnavailable_WhenNoServerAnswers()
    {
        using var store = Store();
        var query = new DocumentQuery(MatchAllNode.Instance, [new SortField("_id")], 10);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.QueryAsync("todos", query, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WriteAsync_RejectsAMalformedOperation_BeforeTalkingToTheServer()
    {
        using var store = Store();
        WriteOperation[] operations =
        [
            new InsertOperation("todos", new JsonObject { ["_id"] = "a" }),
            new InsertOperation("todos", new JsonObject { ["title"] = "no id" }),
        ];

        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(operations, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WriteAsync_WithNoOperations_DoesNothing()
    {
        using var store = Store();

        await store.WriteAsync([], TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Topology_RecognizesReplicaSetsAndShardedClusters()
    {
        Assert.Equal("replica set rs0", MongoDocumentStore.Topology(BsonDocument.Parse("{isWritablePrimary: true, setName: 'rs0', ok: 1}")));
        Assert.Equal("sharded cluster", MongoDocumentStore.Topology(BsonDocument.Parse("{isWritablePrimary: true, msg: 'isdbgrid', ok: 1}")));
        Assert.Null(MongoDocumentStore.Topology(BsonDocument.Parse("{isWritablePrimary: true, ok: 1}")));
    }

    [Fact]
    public void IsUnavailable_CoversTimeoutsButNotServerErrors()
    {
        Assert.True(MongoDocumentStore.IsUnavailable(new TimeoutException()));

        // A pool paused by a network error (a failover) was a 500.
        Assert.True(MongoDocumentStore.IsUnavailable(new MongoConnectionPoolPausedException("The connection pool is in paused state for server db1:27017.")));
        Assert.True(MongoDocumentStore.IsUnavailable(new MongoWaitQueueFullException("full")));
        Assert.False(MongoDocumentStore.IsUnavailable(new MongoClientException("bad usage")));
        Assert.False(MongoDocumentStore.IsUnavailable(new InvalidOperationException()));
    }

    [Fact]
    public void FindAndCountOptions_CarryTheBudgetAsMaxTime()
    {
        var find = MongoDocumentStore.FindOptions(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), find.MaxTime);
        Assert.True(find.AllowDiskUse);
        Assert.Null(MongoDocumentStore.FindOptions(null).MaxTime);
        Assert.Equal(TimeSpan.FromSeconds(5), MongoDocumentStore.CountOptions(TimeSpan.FromSeconds(5)).MaxTime);
        Assert.Null(MongoDocumentStore.CountOptions(null).MaxTime);
    }

    [Fact]
    public void IsTimeout_RecognizesMaxTimeMSExpired_Only()
    {
        var connection = new ConnectionId(new ServerId(new ClusterId(), new DnsEndPoint("localhost", 27017)));
        Assert.True(MongoDocumentStore.IsTimeout(new MongoExecutionTimeoutException(connection, "operation exceeded time limit")));
        Assert.True(MongoDocumentStore.IsTimeout(new MongoCommandException(connection, "exceeded", new BsonDocument(), BsonDocument.Parse("{ok: 0, code: 50, codeName: 'MaxTimeMSExpired'}"))));
        Assert.False(MongoDocumentStore.IsTimeout(new MongoCommandException(connection, "other", new BsonDocument(), BsonDocument.Parse("{ok: 0, code: 2, codeName: 'BadValue'}"))));
        Assert.False(MongoDocumentStore.IsTimeout(new TimeoutException()));
    }
}
