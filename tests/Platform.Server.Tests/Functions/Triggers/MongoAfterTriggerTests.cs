using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Platform.Server.Functions;
using Platform.Server.Storage;
using Platform.Server.Storage.Mongo;
using Platform.Server.Tests.Storage.Mongo;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>
/// Two nodes on one MongoDB database (each with its own client, store and change stream): only the lease holder runs a
/// function, and the other takes over when it stops. Skipped without <c>BAAS_TEST_MONGO</c>.
/// </summary>
public sealed class MongoAfterTriggerTests(MongoStoreFixture fixture) : IClassFixture<MongoStoreFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoNodes_OnlyTheLeaseHolderConsumes_AndTheOtherTakesOverWhenItStops()
    {
        if (fixture.SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        var collection = fixture.NewCollectionName();
        await fixture.Store.CreateCollectionAsync(collection, Ct);
        using var otherStore = new MongoDocumentStore(
            Options.Create(new StorageOptions { Provider = StorageProvider.Mongo, ConnectionString = Environment.GetEnvironmentVariable(MongoStoreFixture.Variable), Database = fixture.DatabaseName }),
            NullLogger<MongoDocumentStore>.Instance);
        await otherStore.InitializeAsync(Ct);
        var otherFeed = new MongoChangeFeed(otherStore, NullLogger<MongoChangeFeed>.Instance);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var catalog = new FakeFunctionCatalog();
        var firstExecutor = new FakeFunctionExecutor(clock);
        var secondExecutor = new FakeFunctionExecutor(clock);
        var function = FakeFunctionCatalog.AfterTrigger("mongo-" + collection, collection);

        var first = await TriggerNode.StartAsync(fixture.Store, fixture.Feed, catalog, firstExecutor, clock);
        catalog.Save(function);
        await EventuallyAsync(async () => (await first.Leases.GetAsync(function.Name, Ct))?.Owner == first.Service.NodeId && await first.Checkpoints.GetAsync(function.Name, Ct) is not null);
        await using var second = await TriggerNode.StartAsync(otherStore, otherFeed, catalog, secondExecutor, clock);

        for (var i = 0; i < 10; i++)
        {
            await fixture.Store.WriteAsync([new InsertOperation(collection, new JsonObject { ["_id"] = "a" + i, ["_version"] = 1L })], Ct);
            clock.Advance(TimeSpan.FromSeconds(5));
        }

        await firstExecutor.WaitForAsync(c => c.Count == 10);
        Assert.Empty(secondExecutor.Calls);

        await first.DisposeAsync();
        await EventuallyAsync(async () => (await second.Leases.GetAsync(function.Name, Ct))?.Owner == second.Service.NodeId, () => clock.Advance(TimeSpan.FromSeconds(5)));
        await otherStore.WriteAsync([new InsertOperation(collection, new JsonObject { ["_id"] = "after", ["_version"] = 1L })], Ct);
        var calls = await secondExecutor.WaitForAsync(c => c.Any(x => x.Invocation.Event!.DocumentId == "after"));

        Assert.DoesNotContain(firstExecutor.Calls, c => c.Invocation.Event!.DocumentId == "after");
        Assert.Equal(firstExecutor.Calls.Select(c => c.Invocation.Event!.Id).Distinct().Count(), firstExecutor.Calls.Count);
        Assert.Contains(calls, c => c.Invocation.Event!.DocumentId == "after");
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, Action? step = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s.");
            step?.Invoke();
            await Task.Delay(20, Ct);
        }
    }
}
