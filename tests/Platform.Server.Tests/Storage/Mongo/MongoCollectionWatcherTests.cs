using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using Platform.Server.Storage;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>
/// Issue 12: pre-images across nodes. Two stores on one database stand for two nodes; node A runs its
/// <see cref="MongoCollectionWatcher"/>. Runs when <c>BAAS_TEST_MONGO</c> names a replica set; skipped with the reason otherwise.
/// </summary>
public sealed class MongoCollectionWatcherTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string ConnectionString() => MongoStoreFixture.RequireConnectionString("pre-images across nodes need a MongoDB replica set");

    private static MongoDocumentStore Store(string connectionString, string database) => MongoStoreFixture.OpenStore(connectionString, database);

    private static InsertOperation Insert(string collection, string id) => new(collection, new JsonObject { ["_id"] = id, ["_version"] = 1 });

    private static async Task<bool> PreImagesOnAsync(IMongoDatabase database, string collection)
    {
        using var cursor = await database.ListCollectionsAsync(new ListCollectionsOptions { Filter = new BsonDocument("name", collection) }, Ct);
        return MongoChangeStream.PreImagesOf(await cursor.FirstOrDefaultAsync(Ct)) == PreImagesState.On;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Bound);
        while (!await condition())
        {
            Assert.False(timeout.IsCancellationRequested, $"{what} did not happen within {Bound}.");
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, CancellationToken.None);
        }
    }

    private static async Task WithTwoNodesAsync(Func<MongoDocumentStore, MongoDocumentStore, IMongoDatabase, Task> test)
    {
        var connectionString = ConnectionString();
        var name = MongoStoreFixture.NewDatabaseName();
        using var client = new MongoClient(connectionString);
        using var nodeA = Store(connectionString, name);
        using var nodeB = Store(connectionString, name);
        await nodeA.InitializeAsync(Ct);
        await nodeB.InitializeAsync(Ct);
        using var watcher = new MongoCollectionWatcher(nodeA, TimeProvider.System, NullLogger<MongoCollectionWatcher>.Instance);
        await watcher.StartAsync(Ct);
        try
        {
            await test(nodeA, nodeB, client.GetDatabase(name));
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
            await client.DropDatabaseAsync(name, CancellationToken.None);
        }
    }

    [Fact]
    public Task ADropOnAnotherNode_IsForgotten_SoTheNextInsertCreatesTheCollectionWithPreImages() =>
        WithTwoNodesAsync(async (nodeA, nodeB, database) =>
        {
            var collection = "t" + Guid.NewGuid().ToString("N")[..20];
            await nodeA.WriteAsync([Insert(collection, "a")], Ct);
            Assert.True(nodeA.IsPreImagesVerified(collection));

            await nodeB.DropCollectionAsync(collection, Ct);
            await WaitUntilAsync(() => Task.FromResult(!nodeA.IsPreImagesVerified(collection)), "node A forgetting the dropped collection");

            // Before the fix node A inserted straight away and MongoDB created the collection without pre-images.
            await nodeA.WriteAsync([Insert(collection, "b")], Ct);
            Assert.True(await PreImagesOnAsync(database, collection));
        });

    [Fact]
    public Task ACollectionCreatedWithoutPreImages_ByAnotherWriter_GetsThemOnEveryWatchingNode() =>
        WithTwoNodesAsync(async (nodeA, _, database) =>
        {
            // What a write racing a drop does: MongoDB creates the collection implicitly, with default options.
            var collection = "t" + Guid.NewGuid().ToString("N")[..20];
            await database.GetCollection<BsonDocument>(collection).InsertOneAsync(new BsonDocument { { "_id", "x" }, { "_version", 1 } }, cancellationToken: Ct);

            await WaitUntilAsync(() => PreImagesOnAsync(database, collection), "node A turning pre-images on");
        });
}
