using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Documents;
using Platform.Server.Realtime;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// A subscription's initial snapshot is a store query like <c>POST .../query</c>, so it obeys the same time budget and
/// the same cap on concurrent queries of app users and visitors (issue 11).
/// </summary>
public sealed class RealtimeSnapshotBudgetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // 150 case-insensitive substring scans of every document: far past 10 ms on thousands of documents.
    private static readonly Dictionary<string, object?> ExpensiveFilter = HubClient.Filter("{\"$or\": ["
        + string.Join(",", Enumerable.Range(0, 150).Select(i => "{\"name\": {\"$containsi\": \"zz" + i + "q\"}}"))
        + "]}");

    private static Task<RealtimeTestServer> StartAsync(string timeout, string serviceTimeout = "00:00:30", string maxConcurrent = "4") =>
        RealtimeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Query:Timeout"] = timeout,
            ["Baas:Query:ServiceTimeout"] = serviceTimeout,
            ["Baas:Query:MaxConcurrent"] = maxConcurrent,
            ["Baas:Query:QueueTimeout"] = "00:00:00",
            ["Baas:Realtime:MaxFilterCost"] = "100000",
            ["Baas:Realtime:MaxConnectionFilterCost"] = "1000000",
            ["Baas:Realtime:SnapshotLimit"] = "10000",
        });

    /// <summary>A collection anyone may list, filled straight through the store.</summary>
    private static async Task<string> OpenCollectionAsync(RealtimeTestServer server, int documents)
    {
        var name = await server.NewCollectionAsync(new { list = "true", get = "true" });
        var store = server.Server.Services.GetRequiredService<IDocumentStore>();
        for (var start = 0; start < documents; start += 1000)
        {
            await store.WriteAsync(
                [.. Enumerable.Range(start, Math.Min(1000, documents - start)).Select(i => (WriteOperation)new InsertOperation(name, new JsonObject
                {
                    [SystemFields.Id] = "d" + i,
                    [SystemFields.Version] = 1,
                    [SystemFields.CreatedAt] = "2026-01-01T00:00:00.000Z",
                    [SystemFields.UpdatedAt] = "2026-01-01T00:00:00.000Z",
                    [SystemFields.CreatedBy] = null,
                    ["name"] = $"Name number {i} of many",
                }))],
                Ct);
        }

        return name;
    }

    [Fact]
    public async Task Subscribe_SnapshotPastTheBudget_IsRefusedWithQueryTimeout_AndNotKept()
    {
        await using var server = await StartAsync(timeout: "00:00:00.010");
        var collection = await OpenCollectionAsync(server, 5000);
        await using var visitor = await server.ConnectAsync();
        using var metrics = new MetricWaiter(server);

        var error = await Assert.ThrowsAsync<HubException>(() => visitor.SubscribeAsync(collection, ExpensiveFilter, snapshot: true));

        var refusal = HubClient.Refusal(error);
        Assert.StartsWith("query_timeout: ", refusal, StringComparison.Ordinal);
        Assert.Contains("10 ms", refusal, StringComparison.Ordinal);

        // The refused subscription was removed again, and the connection still works. (Without a snapshot: under a
        // loaded machine even a one-document snapshot can outlast this test's 10 ms budget.)
        await metrics.WaitAsync("baas.realtime.subscriptions", -1);
        var cheap = await visitor.SubscribeAsync(collection, HubClient.Filter("""{ "_id": "after" }"""));
        await server.CreateAsync(collection, """{ "_id": "after", "name": "written after the refusal" }""");
        await visitor.ExpectAsync(cheap.SubscriptionId, RealtimeEvents.Added, "after");
    }

    [Fact]
    public async Task Subscribe_ServiceKeySnapshot_GetsTheServiceBudget()
    {
        await using var server = await StartAsync(timeout: "00:00:00.010", serviceTimeout: "00:05:00");
        var collection = await OpenCollectionAsync(server, 2000);
        await using var visitor = await server.ConnectAsync();
        await using var service = await server.ConnectAsync(query: "apikey=" + server.ApiKey);

        var error = await Assert.ThrowsAsync<HubException>(() => visitor.SubscribeAsync(collection, ExpensiveFilter, snapshot: true));
        Assert.StartsWith("query_timeout: ", HubClient.Refusal(error), StringComparison.Ordinal);

        var result = await service.SubscribeAsync(collection, ExpensiveFilter, snapshot: true);
        Assert.Empty(result.Documents!);
    }

    [Fact]
    public async Task Subscribe_VisitorSnapshot_TakesAQueryPlace_AndIsRefusedWhenNoneIsFree()
    {
        await using var server = await StartAsync(timeout: "00:00:05", maxConcurrent: "1");
        var collection = await OpenCollectionAsync(server, 10);
        var limiter = server.Server.Services.GetRequiredService<QueryLimiter>();
        await using var visitor = await server.ConnectAsync();
        await using var service = await server.ConnectAsync(query: "apikey=" + server.ApiKey);

        using (await limiter.EnterAsync(Ct))
        {
            var error = await Assert.ThrowsAsync<HubException>(() => visitor.SubscribeAsync(collection, snapshot: true));
            Assert.StartsWith("server_busy: ", HubClient.Refusal(error), StringComparison.Ordinal);

            // Service keys never wait for a place; nor do subscriptions without a snapshot.
            Assert.Equal(10, (await service.SubscribeAsync(collection, snapshot: true)).Documents!.Count);
            await visitor.SubscribeAsync(collection);
        }

        Assert.Equal(10, (await visitor.SubscribeAsync(collection, snapshot: true)).Documents!.Count);
        Assert.Equal(1, limiter.Available);
    }
}
