using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Realtime;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Realtime;

public sealed class RealtimeLimitsFixture : IAsyncLifetime
{
    private RealtimeTestServer? _server;

    public RealtimeTestServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Baas:Realtime:ReplayEvents"] = "3",
        ["Baas:Realtime:MaxSubscriptionsPerConnection"] = "2",
        ["Baas:Realtime:SnapshotLimit"] = "3",
    });

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>Resume, limits and clean-up, on a server with a tiny replay window (tests of a class run one at a time).</summary>
public sealed class RealtimeLimitsTests(RealtimeLimitsFixture fixture) : IClassFixture<RealtimeLimitsFixture>
{
    private RealtimeTestServer Server => fixture.Server;

    [Fact]
    public async Task ResumeAfter_WithinTheWindow_ReplaysExactlyTheMissedEvents()
    {
        var collection = await Server.NewCollectionAsync();
        string seen;
        await using (var before = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey))
        {
            var first = await before.SubscribeAsync(collection);
            await Server.CreateAsync(collection, """{ "_id": "a", "n": 1 }""");
            seen = (await before.NextAsync()).Sequence;
        }

        await Server.CreateAsync(collection, """{ "_id": "b", "n": 1 }""");
        await Server.ReplaceAsync(collection, "a", """{ "n": 2 }""");
        await Server.DeleteAsync(collection, "b");

        await using var after = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var resumed = await after.SubscribeAsync(collection, resumeAfter: seen);
        Assert.True(resumed.Resumed);
        Assert.Null(resumed.Documents);
        await after.ExpectAsync(resumed.SubscriptionId, RealtimeEvents.Added, "b");
        var modified = await after.ExpectAsync(resumed.SubscriptionId, RealtimeEvents.Modified, "a");
        Assert.Equal(2, modified!["n"]!.GetValue<long>());
        var last = await after.NextAsync();
        Assert.Equal((RealtimeEvents.Removed, "b", resumed.Sequence), (last.Type, last.Id, last.Sequence));

        // Then live events, with nothing repeated in between.
        await Server.CreateAsync(collection, """{ "_id": "c" }""");
        await after.ExpectAsync(resumed.SubscriptionId, RealtimeEvents.Added, "c");
    }

    [Fact]
    public async Task ResumeAfter_OutsideTheWindow_ResumesFromTheStoredFeed()
    {
        var collection = await Server.NewCollectionAsync();
        string seen;
        await using (var before = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey))
        {
            await before.SubscribeAsync(collection);
            await Server.CreateAsync(collection, """{ "_id": "a" }""");
            seen = (await before.NextAsync()).Sequence;
        }

        // Four more changes push the one after 'seen' out of a window of three.
        await Server.CreateAsync(collection, """{ "_id": "b" }""");
        await Server.CreateAsync(collection, """{ "_id": "c" }""");
        await Server.DeleteAsync(collection, "c");
        await Server.ReplaceAsync(collection, "b", """{ "v": 2 }""");

        await using var after = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var result = await after.SubscribeAsync(collection, resumeAfter: seen);

        // The change log still holds them (issue 12 item 8): exactly the missed events, no snapshot.
        Assert.True(result.Resumed);
        Assert.Null(result.Documents);
        await after.ExpectAsync(result.SubscriptionId, RealtimeEvents.Added, "b");
        await after.ExpectAsync(result.SubscriptionId, RealtimeEvents.Added, "c");
        await after.ExpectAsync(result.SubscriptionId, RealtimeEvents.Removed, "c");
        await after.ExpectAsync(result.SubscriptionId, RealtimeEvents.Modified, "b");
        await Server.CreateAsync(collection, """{ "_id": "d" }""");
        await after.ExpectAsync(result.SubscriptionId, RealtimeEvents.Added, "d");
    }

    [Fact]
    public async Task ResumeAfter_UnknownPosition_AnswersResumedFalse()
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var result = await client.SubscribeAsync(collection, resumeAfter: "not-a-position");
        Assert.False(result.Resumed);
        Assert.Empty(result.Documents!);
    }

    [Fact]
    public async Task Subscribe_OverTheLimit_IsRefusedAndUnsubscribeFreesASlot()
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var first = await client.SubscribeAsync(collection);
        await client.SubscribeAsync(collection);
        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(collection));
        Assert.StartsWith("too_many_subscriptions: ", HubClient.Refusal(error), StringComparison.Ordinal);
        await client.Connection.InvokeAsync("Unsubscribe", first.SubscriptionId, TestContext.Current.CancellationToken);
        await client.SubscribeAsync(collection);
    }

    [Fact]
    public async Task Subscribe_SnapshotOverTheLimit_IsRefused()
    {
        var collection = await Server.NewCollectionAsync();
        for (var i = 0; i < 4; i++)
        {
            await Server.CreateAsync(collection, $$"""{ "_id": "d{{i}}" }""");
        }

        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(collection, snapshot: true));
        Assert.StartsWith("snapshot_too_large: ", HubClient.Refusal(error), StringComparison.Ordinal);
        var narrowed = await client.SubscribeAsync(collection, HubClient.Filter("""{ "_id": { "$in": ["d1", "d2"] } }"""), snapshot: true);
        Assert.Equal(2, narrowed.Documents!.Count);
    }

    [Fact]
    public async Task Disconnect_ForgetsTheConnectionAndItsSubscriptions()
    {
        var collection = await Server.NewCollectionAsync();
        var dispatcher = Server.Server.Services.GetRequiredService<RealtimeDispatcher>();
        using var metrics = new MetricWaiter(Server);
        var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var connectionId = client.Connection.ConnectionId!;
        await client.SubscribeAsync(collection);
        await client.SubscribeAsync(collection, id: "x");
        Assert.Equal(2, dispatcher.SubscriptionCount(connectionId));

        await client.DisposeAsync();
        while (dispatcher.SubscriptionCount(connectionId) is not null)
        {
            await metrics.WaitAsync("baas.realtime.connections", -1);
        }

        Assert.Null(dispatcher.SubscriptionCount(connectionId));
    }
}

/// <summary>Tests on a fake change feed, which they publish to and break directly.</summary>
public sealed class RealtimeFakeFeedTests
{
    [Fact]
    public async Task SlowClient_QueueOverflow_GetsResyncThenIsDisconnected()
    {
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Realtime:SendQueueCapacity"] = "1",
        }, fakeFeed: true);
        using var metrics = new MetricWaiter(server);
        var collection = await server.NewCollectionAsync();
        var dispatcher = server.Server.Services.GetRequiredService<RealtimeDispatcher>();

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.HubUrl + "?apikey=" + server.ApiKey), HttpTransportType.WebSockets)
            // The blocked receive loop below reads no message, so after the client's server timeout (30 s) the client
            // would close the connection itself; on a loaded machine the overflow can take longer than that to come, and
            // a closed connection is never counted as an overflow (seen once in CI: the wait ran out after 2 min).
            .WithServerTimeout(TimeSpan.FromMinutes(3))
            .Build();
        var client = new HubClient(connection);
        // The first event blocks the client's receive loop: from then on it reads nothing.
        connection.On<ChangeEvent>(RealtimeEvents.Change, async _ =>
        {
            Interlocked.Increment(ref received);
            await release.Task;
        });
        await connection.StartAsync(TestContext.Current.CancellationToken);
        var subscribed = await client.SubscribeAsync(collection);

        // Read now: the client forgets its id once the server has closed the connection.
        var connectionId = connection.ConnectionId!;
        // The wait starts before the publishing, which pushes up to 500 MiB of events through the dispatcher: on a loaded
        // machine that alone took longer than the usual patience (15 s) before the overflow was counted.
        var overflowed = metrics.WaitAsync("baas.realtime.overflows", 1, TimeSpan.FromMinutes(2));
        var big = new string('x', 256 * 1024);
        var published = 0;
        while (!overflowed.IsCompleted && published < 2000)
        {
            var document = new JsonObject { ["_id"] = "d" + published, ["payload"] = big };
            server.Feed.Publish(collection, "d" + published, ChangeKind.Insert, null, document);
            published++;
            // Let the dispatcher catch up now and then, so the overflow comes from the client, not from the test.
            if (published % 8 == 0)
            {
                await Task.Yield();
            }
        }

        await overflowed;
        Assert.True(dispatcher.SubscriptionCount(connectionId) is null or 0);
        release.TrySetResult();

        Assert.Equal(RealtimeDispatcher.OverflowReason, await client.Resync.Task.WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken));
        await client.Closed.Task.WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);
        Assert.True(received < published, $"received {received} of {published}");
    }

    [Fact]
    public async Task FeedError_RestartsTheReadWithoutLosingChanges()
    {
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Realtime:RetryDelay"] = "00:00:00.010",
        }, fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        var subscribed = await client.SubscribeAsync(collection);
        server.Feed.FailReads(2);
        server.Feed.BreakReads();
        await server.CreateAsync(collection, """{ "_id": "after-outage" }""");
        await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "after-outage");
        await server.CreateAsync(collection, """{ "_id": "next" }""");
        await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "next");
    }

    [Fact]
    public async Task Connect_OverTheNodeLimit_IsClosedWithTooManyConnections()
    {
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Realtime:MaxConnections"] = "1",
        });
        await using var first = await server.ConnectAsync();
        var collection = await server.NewCollectionAsync(new { list = "true" });
        await first.SubscribeAsync(collection);

        var second = new HubClient(new HubConnectionBuilder().WithUrl(server.HubUrl, HttpTransportType.WebSockets).Build());
        await using (second)
        {
            try
            {
                await second.Connection.StartAsync(TestContext.Current.CancellationToken);
            }
            catch (Exception ex) when (ex is HubException or InvalidOperationException or IOException)
            {
                Assert.Contains("too_many_connections", ex.Message, StringComparison.Ordinal);
                return;
            }

            var closed = await second.Closed.Task.WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);
            Assert.Contains("too_many_connections", closed?.Message, StringComparison.Ordinal);
        }
    }
}
