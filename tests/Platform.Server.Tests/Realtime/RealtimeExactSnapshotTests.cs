using System.Text.Json.Nodes;
using Platform.Server.Realtime;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// A change committed while <c>Subscribe</c> runs, after the subscription is registered and before its snapshot is
/// read, reaches the client exactly once: in the snapshot, never again as an event (session 10's "noticed and left
/// alone"). The fake feed runs the write right before the snapshot read (<see cref="FakeChangeFeed.BeforeNextSnapshot"/>),
/// so the race is certain; with the reader held, the change is dispatched only after the result has gone (the
/// subscription is active), without it usually while the subscription still holds its events. Each test then writes a
/// marker and asserts it is the first event.
/// </summary>
public sealed class RealtimeExactSnapshotTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Subscribe_ChangeCommittedBetweenRegistrationAndSnapshot_IsInTheSnapshotOnly(bool byId, bool holdReader)
    {
        await using var server = await RealtimeTestServer.StartAsync(fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        if (holdReader)
        {
            server.Feed.HoldReads();
        }

        server.Feed.BeforeNextSnapshot(() => server.CreateAsync(collection, """{ "_id": "one", "v": 1 }"""));
        var subscribed = byId
            ? await client.SubscribeAsync(collection, id: "one", snapshot: true)
            : await client.SubscribeAsync(collection, HubClient.Filter("""{ "v": { "$gte": 1 } }"""), snapshot: true);
        server.Feed.ReleaseReads();

        var snapshot = Assert.Single(subscribed.Documents!);
        Assert.Equal("one", HubClient.Document(snapshot)!["_id"]!.GetValue<string>());
        Assert.Equal(await server.Feed.GetPositionAsync(TestContext.Current.CancellationToken), subscribed.Sequence);

        // The first event is the next change, not the one the snapshot holds.
        if (byId)
        {
            await server.ReplaceAsync(collection, "one", """{ "v": 2 }""");
            var modified = await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Modified, "one");
            Assert.Equal(2, modified!["_version"]!.GetValue<long>());
        }
        else
        {
            await server.CreateAsync(collection, """{ "_id": "two", "v": 1 }""");
            await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "two");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Subscribe_ResumeAfter_ChangeCommittedBetweenRegistrationAndSnapshot_IsInTheSnapshotOnly(bool resumable)
    {
        await using var server = await RealtimeTestServer.StartAsync(fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);

        // Resumable: the client saw "zero" and resumes after it with a snapshot as well; else its position is one this
        // node never had, so it gets a snapshot instead of the missed events.
        // Seen by another client first: dispatched on this node before its reader is held.
        await using (var watcher = await server.ConnectAsync(query: "apikey=" + server.ApiKey))
        {
            var watch = await watcher.SubscribeAsync(collection);
            await server.CreateAsync(collection, """{ "_id": "zero", "v": 1 }""");
            await watcher.ExpectAsync(watch.SubscriptionId, RealtimeEvents.Added, "zero");
        }

        var seen = resumable ? await server.Feed.GetPositionAsync(TestContext.Current.CancellationToken) : "999999";
        server.Feed.HoldReads();
        server.Feed.BeforeNextSnapshot(() => server.CreateAsync(collection, """{ "_id": "one", "v": 1 }"""));
        var subscribed = await client.SubscribeAsync(collection, snapshot: resumable ? true : null, resumeAfter: seen);
        server.Feed.ReleaseReads();

        Assert.Equal(resumable, subscribed.Resumed);
        Assert.Equal(["one", "zero"], subscribed.Documents!.Select(d => HubClient.Document(d)!["_id"]!.GetValue<string>()));

        await server.CreateAsync(collection, """{ "_id": "two", "v": 1 }""");
        await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "two");
    }

    [Fact]
    public async Task Subscribe_WithoutSnapshot_SequenceIsWhereItsEventsStart()
    {
        await using var server = await RealtimeTestServer.StartAsync(fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        await server.CreateAsync(collection, """{ "_id": "zero", "v": 1 }""");

        var subscribed = await client.SubscribeAsync(collection, snapshot: false);
        Assert.Null(subscribed.Documents);
        var created = server.Feed.Publish(collection, "one", ChangeKind.Insert, null, new JsonObject { ["_id"] = "one", ["_version"] = 1 });

        // The first event is the first change after the sequence, and the sequence resumes exactly there.
        Assert.Equal(1, server.Feed.ComparePositions(created.Sequence, subscribed.Sequence));
        var change = await client.NextAsync();
        Assert.Equal(("one", created.Sequence), (change.Id, change.Sequence));
    }
}
