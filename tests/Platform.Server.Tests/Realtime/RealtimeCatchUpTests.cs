using System.Text.Json.Nodes;
using Platform.Server.Realtime;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// <c>Subscribe</c> when this node's change feed reader is behind what the store has committed (issue: CI once saw
/// <c>Subscribe_Id_ReceivesThatDocumentOnlyWithSnapshot</c> get an <c>added</c> for a document already in its
/// snapshot). The fake feed holds its reader back, so the gap is certain, not a matter of timing: without the wait for
/// the reader (<c>SubscribeCatchUp</c>) the subscription is registered before the committed change and gets it again
/// as an event; with it, every change after the snapshot arrives once and none before it.
/// </summary>
public sealed class RealtimeCatchUpTests
{
    // Long enough that a loaded machine never falls back to starting where the reader is.
    private static readonly Dictionary<string, string?> Settings = new() { ["Baas:Realtime:SubscribeCatchUpTimeout"] = "00:01:00" };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Subscribe_ChangeCommittedButNotYetRead_IsInTheSnapshotAndNeverAnEvent(bool byId)
    {
        await using var server = await RealtimeTestServer.StartAsync(Settings, fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        server.Feed.HoldReads();
        await server.CreateAsync(collection, """{ "_id": "one", "v": 1 }""");

        var subscribing = byId
            ? client.SubscribeAsync(collection, id: "one", snapshot: true)
            : client.SubscribeAsync(collection, HubClient.Filter("""{ "v": { "$gte": 1 } }"""), snapshot: true);
        await ReleaseOnceAskedAsync(server, subscribing);
        var subscribed = await subscribing;
        var snapshot = Assert.Single(subscribed.Documents!);
        Assert.Equal(1, HubClient.Document(snapshot)!["v"]!.GetValue<long>());

        await server.ReplaceAsync(collection, "one", """{ "v": 2 }""");
        var modified = await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Modified, "one");
        Assert.Equal(2, modified!["v"]!.GetValue<long>());
    }

    [Fact]
    public async Task Subscribe_ResumeAfterAPositionNotReadHereYet_ResumesWithoutThatChangeAgain()
    {
        await using var server = await RealtimeTestServer.StartAsync(Settings, fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);

        // The client saw "one" on another node, whose reader was ahead of this one's.
        server.Feed.HoldReads();
        var seen = server.Feed.Publish(collection, "one", ChangeKind.Insert, null, Document("one"));

        var subscribing = client.SubscribeAsync(collection, resumeAfter: seen.Sequence);
        await ReleaseOnceAskedAsync(server, subscribing);
        var subscribed = await subscribing;
        Assert.True(subscribed.Resumed);
        Assert.Null(subscribed.Documents);

        server.Feed.Publish(collection, "two", ChangeKind.Insert, null, Document("two"));
        await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "two");
    }

    [Fact]
    public async Task Subscribe_SnapshotWithTheReaderStuck_DoesNotWait_AndSendsTheSnapshotsChangeOnce()
    {
        // A minute of allowed catch-up: a snapshot subscription that waited for the stuck reader would outlast the patience.
        await using var server = await RealtimeTestServer.StartAsync(Settings, fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        server.Feed.HoldReads();
        await server.CreateAsync(collection, """{ "_id": "one", "v": 1 }""");

        // Registered behind the committed change, but the snapshot's position is after it, so it does not come again.
        var subscribed = await client.SubscribeAsync(collection, snapshot: true).WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);
        Assert.Single(subscribed.Documents!);
        Assert.Equal("1", subscribed.Sequence);
        server.Feed.ReleaseReads();
        await server.CreateAsync(collection, """{ "_id": "two", "v": 1 }""");
        await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "two");
    }

    [Fact]
    public async Task Subscribe_ResumeAfterWithTheReaderStuckPastTheTimeout_StopsWaitingAtTheBound()
    {
        await using var server = await RealtimeTestServer.StartAsync(
            new Dictionary<string, string?> { ["Baas:Realtime:SubscribeCatchUpTimeout"] = "00:00:00.200" }, fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        server.Feed.HoldReads();
        var seen = server.Feed.Publish(collection, "one", ChangeKind.Insert, null, Document("one"));

        // Never released while it subscribes: the wait ends at its bound, and the call answers (a resume or a snapshot).
        var subscribed = await client.SubscribeAsync(collection, resumeAfter: seen.Sequence).WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);
        server.Feed.ReleaseReads();
        server.Feed.Publish(collection, "two", ChangeKind.Insert, null, Document("two"));
        await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "two");
    }

    // Lets the reader go on once the subscription asked the store for its position (with the wait), or answered (without).
    private static async Task ReleaseOnceAskedAsync(RealtimeTestServer server, Task subscribing)
    {
        await Task.WhenAny(subscribing, server.Feed.PositionRead).WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);
        server.Feed.ReleaseReads();
    }

    private static JsonObject Document(string id) => new() { ["_id"] = id, ["_version"] = 1 };
}
