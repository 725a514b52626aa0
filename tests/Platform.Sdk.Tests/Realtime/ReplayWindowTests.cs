using Platform.Sdk.Admin;

namespace Platform.Sdk.Tests.Realtime;

/// <summary>A server that keeps one change for resumption (and none from the stored feed) and allows one subscription per connection.</summary>
public sealed class TinyReplayServerFixture : IAsyncLifetime
{
    private BaasTestServer? _server;

    public BaasTestServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public string ServiceKey { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await BaasTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Realtime:ReplayEvents"] = "1",
            ["Baas:Realtime:MaxSubscriptionsPerConnection"] = "1",

            // Off, so that a resume outside the one-change window gets the snapshot path (reset + snapshot) these tests
            // are about; resuming from the stored feed is covered by the server's SeveralNodesTests and RealtimeLimitsTests.
            ["Baas:Realtime:StoredResumeMaxChanges"] = "0",
        });
        using var admin = new BaasClient(new BaasClientOptions { BaseUrl = Server.BaseAddress });
        await admin.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword);
        ServiceKey = (await admin.Admin.ApiKeys.CreateAsync("replay-tests")).Key;
    }

    public BaasClient CreateClient(Uri? baseUrl = null) => new(new BaasClientOptions
    {
        BaseUrl = baseUrl ?? Server.BaseAddress,
        ApiKey = ServiceKey,
        Realtime = { ReconnectDelay = TimeSpan.FromMilliseconds(20), MaxReconnectDelay = TimeSpan.FromMilliseconds(200) },
    });

    public async Task<string> NewCollectionAsync(BaasClient client)
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..12];
        await client.Admin.Collections.CreateAsync(new CollectionDefinition { Name = name }, TestContext.Current.CancellationToken);
        return name;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class ReplayWindowTests(TinyReplayServerFixture fixture) : IClassFixture<TinyReplayServerFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WatchAsync_ResumeOutsideTheReplayWindow_ResetsAndDeliversASnapshot()
    {
        using var writer = fixture.CreateClient();
        var items = writer.Collection<Item>(await fixture.NewCollectionAsync(writer));
        await items.AddAsync(new Item { Id = "start" }, Token);
        await items.AddAsync(new Item { Id = "gone" }, Token);
        await using var proxy = new TcpProxy(fixture.Server.BaseAddress);
        using var watcher = fixture.CreateClient(proxy.BaseUrl);
        await using var changes = new WatchReader<Item>(watcher.Collection<Item>(items.Name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await changes.ExpectAsync(DocumentChangeType.Added, "gone");
        await changes.ExpectAsync(DocumentChangeType.Added, "start");

        proxy.Refusing = true;
        proxy.Cut();
        await items.DeleteAsync("gone", cancellationToken: Token);
        await items.UpdateAsync("start", new { N = 5 }, cancellationToken: Token);
        await items.AddAsync(new Item { Id = "new", N = 1 }, Token);
        proxy.Refusing = false;

        var reset = await changes.NextAsync();
        Assert.Equal(DocumentChangeType.Reset, reset.Type);
        Assert.Null(reset.Document);
        var snapshot = new[] { await changes.NextAsync(), await changes.NextAsync() };
        Assert.All(snapshot, c => Assert.Equal(DocumentChangeType.Added, c.Type));
        Assert.Equal(["new", "start"], snapshot.Select(c => c.Id));
        Assert.Equal(5, snapshot[1].Data!.N);

        await items.UpdateAsync("new", new { N = 2 }, cancellationToken: Token);
        Assert.Equal(2, (await changes.ExpectAsync(DocumentChangeType.Modified, "new")).Data!.N);
    }

    [Fact]
    public async Task WatchAsync_EndingTheEnumeration_Unsubscribes()
    {
        using var client = fixture.CreateClient();
        var items = client.Collection<Item>(await fixture.NewCollectionAsync(client));
        await items.AddAsync(new Item { Id = "x" }, Token);

        // The server allows one subscription per connection, so each watch below needs the one before it gone.
        for (var i = 0; i < 3; i++)
        {
            await using var changes = new WatchReader<Item>(items.WatchAsync(new WatchOptions { Snapshot = true }, Token));
            await changes.ExpectAsync(DocumentChangeType.Added, "x");
        }

        await using var held = new WatchReader<Item>(items.WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await held.ExpectAsync(DocumentChangeType.Added, "x");
        await using var second = new WatchReader<Item>(items.WatchAsync(Token));
        var refusal = await Assert.ThrowsAsync<BaasException>(second.NextAsync);
        Assert.Equal("too_many_subscriptions", refusal.Code);
    }
}
