using System.Net;
using MongoDB.Driver;
using Platform.Server.Realtime;
using Platform.Server.Tests.Infrastructure;
using Platform.Server.Tests.Storage.Mongo;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// Two server nodes on one MongoDB database (DESIGN.md section 8, docs/realtime.md "Scaling"): each node reads the
/// database's change stream itself, so a client on either node receives every change, whichever node wrote it.
/// Runs when <c>BAAS_TEST_MONGO</c> names a replica set; skipped with the reason otherwise.
/// </summary>
public sealed class RealtimeTwoNodeMongoTests
{
    [Fact]
    public async Task TwoNodes_EachDeliversChangesWrittenThroughTheOther()
    {
        var connectionString = MongoStoreFixture.RequireConnectionString("the two-node realtime test needs a MongoDB replica set");
        var database = MongoStoreFixture.NewDatabaseName();
        var settings = new Dictionary<string, string?>
        {
            ["Baas:Storage:Provider"] = "Mongo",
            ["Baas:Storage:ConnectionString"] = connectionString,
            ["Baas:Storage:Database"] = database,
        };
        try
        {
            // One after the other: the first node seeds the admin and the signing key, the second finds them.
            await using var nodeA = await RealtimeTestServer.StartAsync(settings);
            await using var nodeB = await RealtimeTestServer.StartAsync(settings);
            var collection = await nodeA.NewCollectionAsync(new { list = "auth != null && doc._createdBy == auth.id", create = "auth != null" });

            await using var onB = await nodeB.ConnectAsync(query: "apikey=" + nodeB.ApiKey);
            var watchB = await onB.SubscribeAsync(collection);
            await using var onA = await nodeA.ConnectAsync(query: "apikey=" + nodeA.ApiKey);
            var watchA = await onA.SubscribeAsync(collection);

            // A write through node A reaches the subscriber on node B, and the other way round, in commit order.
            await nodeA.CreateAsync(collection, """{ "_id": "a1", "n": 1 }""");
            await onB.ExpectAsync(watchB.SubscriptionId, RealtimeEvents.Added, "a1");
            await onA.ExpectAsync(watchA.SubscriptionId, RealtimeEvents.Added, "a1");

            await nodeB.ReplaceAsync(collection, "a1", """{ "n": 2 }""");
            await nodeB.DeleteAsync(collection, "a1");
            var modified = await onA.ExpectAsync(watchA.SubscriptionId, RealtimeEvents.Modified, "a1");
            Assert.Equal(2, modified!["n"]!.GetValue<long>());
            await onA.ExpectAsync(watchA.SubscriptionId, RealtimeEvents.Removed, "a1");
            await onB.ExpectAsync(watchB.SubscriptionId, RealtimeEvents.Modified, "a1");
            await onB.ExpectAsync(watchB.SubscriptionId, RealtimeEvents.Removed, "a1");

            // The signing key is shared through the store: a user token minted by node A opens a watch on node B,
            // and the owner rule holds there. Service-key writes have no _createdBy, so the user's first event is
            // the document the user wrote through node A after them: the others were never sent.
            var token = nodeA.UserToken("u1");
            await using var userOnB = await nodeB.ConnectAsync(token: token);
            var userWatch = await userOnB.SubscribeAsync(collection);
            await nodeA.CreateAsync(collection, """{ "_id": "hidden", "n": 3 }""");
            using var user = nodeA.Server.CreateClient();
            user.DefaultRequestHeaders.Authorization = new("Bearer", token);
            using var created = await user.PostJsonAsync($"/api/collections/{collection}/documents", """{ "_id": "mine", "n": 4 }""");
            await HttpAssert.StatusAsync(HttpStatusCode.Created, created);

            var mine = await userOnB.ExpectAsync(userWatch.SubscriptionId, RealtimeEvents.Added, "mine");
            Assert.Equal("u1", mine!["_createdBy"]!.GetValue<string>());
            await onB.ExpectAsync(watchB.SubscriptionId, RealtimeEvents.Added, "hidden");
            await onB.ExpectAsync(watchB.SubscriptionId, RealtimeEvents.Added, "mine");
        }
        finally
        {
            using var client = new MongoClient(connectionString);
            await client.DropDatabaseAsync(database, CancellationToken.None);
        }
    }
}
