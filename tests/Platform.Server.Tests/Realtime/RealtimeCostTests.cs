using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Realtime;

namespace Platform.Server.Tests.Realtime;

public sealed class RealtimeCostFixture : IAsyncLifetime
{
    private RealtimeTestServer? _server;

    public RealtimeTestServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Baas:Realtime:MaxFilterCost"] = "50",
        ["Baas:Realtime:MaxConnectionFilterCost"] = "100",
    });

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>Matching cost limits per subscription and per connection, connections per client, and the issue 11 attack at test scale.</summary>
public sealed class RealtimeCostTests(RealtimeCostFixture fixture) : IClassFixture<RealtimeCostFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RealtimeTestServer Server => fixture.Server;

    [Fact]
    public async Task Subscribe_FilterCostlierThanMaxFilterCost_IsRefused()
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);

        // 7 case-insensitive scans cost 56 > 50.
        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(collection, ContainsI(7)));

        var refusal = HubClient.Refusal(error);
        Assert.StartsWith("filter_too_costly: ", refusal, StringComparison.Ordinal);
        Assert.EndsWith("(at filter)", refusal, StringComparison.Ordinal);
        await client.SubscribeAsync(collection, ContainsI(6));
    }

    [Fact]
    public async Task Subscribe_TheListRuleCountsTowardsTheCost()
    {
        var collection = await Server.NewCollectionAsync(new { list = "doc.owner == auth.id" });
        await using var admin = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        await using var user = await Server.ConnectAsync(Server.UserToken("u" + Guid.NewGuid().ToString("N")));

        // 50 equalities cost exactly the limit; the user's bound rule adds one.
        await admin.SubscribeAsync(collection, Equalities(50));
        var error = await Assert.ThrowsAsync<HubException>(() => user.SubscribeAsync(collection, Equalities(50)));
        Assert.StartsWith("filter_too_costly: ", HubClient.Refusal(error), StringComparison.Ordinal);
        await user.SubscribeAsync(collection, Equalities(49));
    }

    [Fact]
    public async Task Subscribe_OverTheConnectionsBudget_IsRefusedAndUnsubscribeFreesIt()
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var first = await client.SubscribeAsync(collection, ContainsI(5));
        await client.SubscribeAsync(collection, ContainsI(5));

        // 80 of 100 spent: another 40 does not fit, on this connection.
        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(collection, ContainsI(5)));
        Assert.StartsWith("connection_cost_exceeded: ", HubClient.Refusal(error), StringComparison.Ordinal);
        await using (var other = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey))
        {
            await other.SubscribeAsync(collection, ContainsI(5));
        }

        await client.Connection.InvokeAsync("Unsubscribe", first.SubscriptionId, Ct);
        await client.SubscribeAsync(collection, ContainsI(5));
    }

    [Fact]
    public async Task Connect_OverThePerClientLimit_IsClosedWithTooManyClientConnections()
    {
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Realtime:MaxConnectionsPerClient"] = "2",
        });
        var collection = await server.NewCollectionAsync(new { list = "true" });
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        var subscribed = await first.SubscribeAsync(collection);

        var third = new HubClient(new HubConnectionBuilder().WithUrl(server.HubUrl, HttpTransportType.WebSockets).Build());
        await using (third)
        {
            var message = await RefusalAsync(third);
            Assert.Contains("too_many_client_connections", message, StringComparison.Ordinal);
        }

        // The first two still work.
        await server.CreateAsync(collection, """{ "_id": "still-served" }""");
        await first.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "still-served");
    }

    /// <summary>
    /// Issue 11's attack at test scale: anonymous connections fill themselves with the costliest filters the node
    /// allows (the 199-scan filter of the report is refused outright), while a service-key subscriber keeps getting
    /// every event promptly.
    /// </summary>
    [Fact]
    public async Task Attack_CostlyAnonymousSubscribers_DoNotHoldUpAnOrdinarySubscriber()
    {
        await using var server = await RealtimeTestServer.StartAsync();
        var limits = new RealtimeOptions();
        var collection = await server.NewCollectionAsync(new { list = "true" });
        var attackers = new List<HubClient>();
        try
        {
            var maximal = ContainsI(limits.MaxFilterCost / Platform.Server.Realtime.FilterCost.ContainsIgnoreCase);
            for (var i = 0; i < 8; i++)
            {
                var attacker = await server.ConnectAsync();
                attackers.Add(attacker);
                var reported = await Assert.ThrowsAsync<HubException>(() => attacker.SubscribeAsync(collection, ContainsI(199)));
                Assert.StartsWith("filter_too_costly: ", HubClient.Refusal(reported), StringComparison.Ordinal);

                var accepted = 0;
                HubException? refused = null;
                while (refused is null && accepted < 100)
                {
                    try
                    {
                        await attacker.SubscribeAsync(collection, maximal);
                        accepted++;
                    }
                    catch (HubException ex)
                    {
                        refused = ex;
                    }
                }

                Assert.Equal(limits.MaxConnectionFilterCost / limits.MaxFilterCost, accepted);
                Assert.StartsWith("connection_cost_exceeded: ", HubClient.Refusal(refused!), StringComparison.Ordinal);
            }

            await using var ordinary = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
            var subscription = await ordinary.SubscribeAsync(collection, HubClient.Filter("""{ "kind": "order" }"""));

            // Costly matching runs on the node's one background matcher. A work item of the test's own holds that thread,
            // so every attacker's match of the orders below waits behind it for as long as the test likes: the ordinary
            // subscriber must still get each order, since its matching never queues behind costly matching. The orders
            // match the attackers' filters too ("needle0"), so an attacker event before the release would mean its match
            // did not go to the matcher. Events, not a clock, decide.
            var matcher = server.Server.Services.GetRequiredService<CostlyMatcher>();
            using var gate = new ManualResetEventSlim();
            Task<bool>? held = null;
            try
            {
                held = matcher.RunAsync(() => gate.Wait(HubClient.Patience * 4), Ct);
                var text = "needle0 " + string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 200));
                for (var i = 0; i < 30; i++)
                {
                    var id = "o" + i;
                    await server.CreateAsync(collection, $$"""{ "_id": "{{id}}", "kind": "order", "text": "{{text}}" }""");
                    var change = await ordinary.NextAsync();
                    Assert.Equal((subscription.SubscriptionId, RealtimeEvents.Added, id), (change.SubscriptionId, change.Type, change.Id));
                }

                Assert.False(held.IsCompleted, "the matcher was released before the ordinary subscriber had every order");
                Assert.All(attackers, attacker => Assert.False(attacker.HasPendingChange, "an attacker's costly match did not wait for the matcher"));
            }
            finally
            {
                gate.Set();
            }

            await held;

            // Released, the attackers' matches run: the first one hears of o0, or is told to resync once its address has
            // spent its matching budget (every test client is on loopback).
            var next = attackers[0].NextAsync();
            if (await Task.WhenAny(next, attackers[0].Resync.Task) == next)
            {
                Assert.Equal((RealtimeEvents.Added, "o0"), ((await next).Type, (await next).Id));
            }
        }
        finally
        {
            foreach (var attacker in attackers)
            {
                await attacker.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Issue 11 item 2: a client address whose costly subscriptions spend its matching budget is told to resync
    /// (<c>match_budget_exceeded</c>) and closed, while an ordinary subscriber from the same address (every test client
    /// is on loopback), whose matching is cheap, keeps getting every event in order.
    /// </summary>
    [Fact]
    public async Task Attack_AddressOverItsMatchingBudget_IsToldToResyncWhileACheapSubscriberGetsEveryEventInOrder()
    {
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Realtime:CostlyMatchThreshold"] = "1000",
            ["Baas:Realtime:MatchBudgetPerClient"] = "5000",
        });
        var collection = await server.NewCollectionAsync(new { list = "true" });
        await using var ordinary = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        var watched = await ordinary.SubscribeAsync(collection, HubClient.Filter("""{ "kind": "order" }"""));
        await using var attacker = await server.ConnectAsync();

        // 2 × 50 scans cost 800; on a document of 5,400 characters (over 10 KiB in memory) a change costs over 8,000
        // units: more than the address may spend in a second, so the first costly match is refused.
        var costly = ContainsI(50);
        await attacker.SubscribeAsync(collection, costly);
        await attacker.SubscribeAsync(collection, costly);

        var text = string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 200));
        var ids = Enumerable.Range(0, 20).Select(i => $"b{i}").ToList();
        foreach (var id in ids)
        {
            await server.CreateAsync(collection, $$"""{ "_id": "{{id}}", "kind": "order", "text": "{{text}}" }""");
        }

        Assert.Equal(RealtimeDispatcher.MatchBudgetReason, await attacker.Resync.Task.WaitAsync(HubClient.Patience, Ct));
        await attacker.Closed.Task.WaitAsync(HubClient.Patience, Ct);
        foreach (var id in ids)
        {
            await ordinary.ExpectAsync(watched.SubscriptionId, RealtimeEvents.Added, id);
        }

        // Nothing of the address's cheap connection was touched.
        await server.CreateAsync(collection, """{ "_id": "after", "kind": "order" }""");
        await ordinary.ExpectAsync(watched.SubscriptionId, RealtimeEvents.Added, "after");
    }

    /// <summary>Costly subscriptions within the budget are still served completely and in commit order.</summary>
    [Fact]
    public async Task CostlySubscriber_WithinItsBudget_GetsEveryEventInCommitOrder()
    {
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Realtime:CostlyMatchThreshold"] = "10",
        });
        var collection = await server.NewCollectionAsync(new { list = "true" });
        await using var costly = await server.ConnectAsync();
        var subscribed = await costly.SubscribeAsync(collection, HubClient.Filter("""{ "$or": [ { "text": { "$containsi": "AMET" } }, { "text": { "$contains": "nothing" } } ] }"""));
        var text = string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 50));
        for (var i = 0; i < 10; i++)
        {
            await server.CreateAsync(collection, $$"""{ "_id": "c{{i}}", "text": "{{text}}" }""");
            await server.ReplaceAsync(collection, $"c{i}", """{ "text": "no match" }""");
        }

        for (var i = 0; i < 10; i++)
        {
            await costly.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, $"c{i}");
            await costly.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Removed, $"c{i}");
        }

        Assert.False(costly.Resync.Task.IsCompleted);
    }

    private static async Task<string?> RefusalAsync(HubClient client)
    {
        try
        {
            await client.Connection.StartAsync(Ct);
        }
        catch (Exception ex) when (ex is HubException or InvalidOperationException or IOException)
        {
            return ex.Message;
        }

        return (await client.Closed.Task.WaitAsync(HubClient.Patience, Ct))?.Message;
    }

    private static Dictionary<string, object?> ContainsI(int count) =>
        HubClient.Filter("{ \"$or\": [" + string.Join(", ", Enumerable.Range(0, count).Select(i => $$"""{ "text": { "$containsi": "needle{{i}}" } }""")) + "] }");

    private static Dictionary<string, object?> Equalities(int count) =>
        HubClient.Filter("{ " + string.Join(", ", Enumerable.Range(0, count).Select(i => $$"""
            "f{{i}}": {{i}}
            """)) + " }");
}
