using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>
/// Hangfire.Mongo keeps the schedules' job storage in the data's database (<c>&lt;prefix&gt;.jobGraph</c>, <c>.locks</c>,
/// <c>.server</c>, a capped <c>.notifications</c>, ...). Those collections are not user collections: their writes never
/// reach the change feed and the store never turns their pre-images on. Runs when <c>BAAS_TEST_MONGO</c> names a replica
/// set; skipped with the reason otherwise.
/// </summary>
public sealed class MongoJobStorageCollectionsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string ConnectionString() => MongoStoreFixture.RequireConnectionString("the job storage's collections need a MongoDB replica set");

    private static MongoDocumentStore Store(string connectionString, string database) => MongoStoreFixture.OpenStore(connectionString, database);

    private static async Task<BsonDocument?> OptionsOfAsync(IMongoDatabase database, string collection)
    {
        using var cursor = await database.ListCollectionsAsync(new ListCollectionsOptions { Filter = new BsonDocument("name", collection) }, Ct);
        return (await cursor.FirstOrDefaultAsync(Ct))?["options"].AsBsonDocument;
    }

    [Fact]
    public async Task JobStorageWrites_NeverReachTheFeed_AndGetNoPreImages_AtStartUpOrAfter()
    {
        var connectionString = ConnectionString();
        var name = MongoStoreFixture.NewDatabaseName();
        using var client = new MongoClient(connectionString);
        var database = client.GetDatabase(name);
        try
        {
            // As Hangfire.Mongo lays them out: a capped notifications collection, locks with ObjectId ids, servers with
            // string ids (those are the ones that became changes of a collection "hangfire.server").
            await database.CreateCollectionAsync("hangfire.notifications", new CreateCollectionOptions { Capped = true, MaxSize = 1024 * 1024 }, Ct);
            await database.CreateCollectionAsync("hangfire.server", cancellationToken: Ct);
            using var store = Store(connectionString, name);
            await store.InitializeAsync(Ct);

            // Start-up's repair of pre-images leaves them alone.
            Assert.False((await OptionsOfAsync(database, "hangfire.notifications"))!.Contains("changeStreamPreAndPostImages"));
            Assert.False((await OptionsOfAsync(database, "hangfire.server"))!.Contains("changeStreamPreAndPostImages"));

            var feed = new MongoChangeFeed(store, NullLogger<MongoChangeFeed>.Instance);
            var start = await feed.GetPositionAsync(Ct);
            var locks = database.GetCollection<BsonDocument>("hangfire.locks");
            var servers = database.GetCollection<BsonDocument>("hangfire.server");
            await locks.InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "Resource", "recurring-jobs:lock" } }, cancellationToken: Ct);
            await locks.DeleteManyAsync(FilterDefinition<BsonDocument>.Empty, Ct);
            await servers.InsertOneAsync(new BsonDocument { { "_id", "host:1:abcd" }, { "LastHeartbeat", DateTime.UtcNow } }, cancellationToken: Ct);
            await servers.UpdateOneAsync(new BsonDocument("_id", "host:1:abcd"), new BsonDocument("$set", new BsonDocument("LastHeartbeat", DateTime.UtcNow)), cancellationToken: Ct);
            await database.GetCollection<BsonDocument>("hangfire.notifications").InsertOneAsync(new BsonDocument { { "_id", ObjectId.GenerateNewId() }, { "Type", 0 } }, cancellationToken: Ct);

            // A collection the job storage creates while the node runs (the locks above) gets no pre-images either.
            await store.ApplyCollectionEventAsync(MongoCollectionEvents.Read(BsonDocument.Parse(
                """{ "operationType": "create", "ns": { "db": "x", "coll": "hangfire.locks" } }""")), Ct);
            Assert.False((await OptionsOfAsync(database, "hangfire.locks"))!.Contains("changeStreamPreAndPostImages"));

            await store.WriteAsync([new InsertOperation("tasks", new JsonObject { ["_id"] = "last", ["_version"] = 1 })], Ct);

            var changes = new List<StoredChange>();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(Bound);
            await foreach (var change in feed.ReadAsync(start, limit.Token))
            {
                changes.Add(change);
                if (change is { Collection: "tasks", Id: "last" })
                {
                    break;
                }
            }

            Assert.Equal(["tasks"], changes.Select(c => c.Collection).Distinct());

            // And a later start-up (the collections now exist with data) still leaves them alone.
            using var restarted = Store(connectionString, name);
            await restarted.InitializeAsync(Ct);
            foreach (var collection in new[] { "hangfire.notifications", "hangfire.server", "hangfire.locks" })
            {
                Assert.False((await OptionsOfAsync(database, collection))!.Contains("changeStreamPreAndPostImages"), collection);
            }

            Assert.True((await OptionsOfAsync(database, "tasks"))!["changeStreamPreAndPostImages"]["enabled"].AsBoolean);
        }
        finally
        {
            await client.DropDatabaseAsync(name, CancellationToken.None);
        }
    }
}
