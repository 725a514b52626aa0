using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Realtime;

public sealed class Item
{
    public string? Id { get; set; }

    public int N { get; set; }

    public string Status { get; set; } = "open";

    public Nested? Deep { get; set; }
}

public sealed record Nested(double Pi, bool Ok, List<string> Tags);

/// <summary>Reads a watch with a time limit per change, so a missing event fails the test instead of hanging it.</summary>
public sealed class WatchReader<T> : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private readonly IAsyncEnumerator<DocumentChange<T>> _changes;
    private Task<bool>? _pending;

    public WatchReader(IAsyncEnumerable<DocumentChange<T>> watch) => _changes = watch.GetAsyncEnumerator(_stop.Token);

    public async Task<DocumentChange<T>> NextAsync()
    {
        _pending = _changes.MoveNextAsync().AsTask();
        try
        {
            Assert.True(await _pending.WaitAsync(Patience, TestContext.Current.CancellationToken), "the watch ended");
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no change within {Patience.TotalSeconds} s");
        }

        _pending = null;
        return _changes.Current;
    }

    public async Task<DocumentChange<T>> ExpectAsync(DocumentChangeType type, string id)
    {
        var change = await NextAsync();
        Assert.True(change.Type == type && change.Id == id, $"expected {type} {id}, got {change.Type} {change.Id}");
        return change;
    }

    public async ValueTask DisposeAsync()
    {
        // An async iterator cannot be disposed while a MoveNextAsync is running: end that one first.
        await _stop.CancelAsync();
        if (_pending is not null)
        {
            await Task.WhenAny(_pending);
        }

        await _changes.DisposeAsync();
        _stop.Dispose();
    }
}

public sealed class WatchTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WatchAsync_Query_SeesAddedModifiedRemovedAndEnterLeave()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        await items.AddAsync(new Item { Id = "start", N = 0 }, Token);
        await using var changes = new WatchReader<Item>(items.Where(i => i.Status == "open").WatchAsync(new WatchOptions { Snapshot = true }, Token));
        var snapshot = await changes.ExpectAsync(DocumentChangeType.Added, "start");
        Assert.Equal("start", snapshot.Data!.Id);

        await items.AddAsync(new Item { Id = "a", N = 1 }, Token);
        var added = await changes.ExpectAsync(DocumentChangeType.Added, "a");
        Assert.Equal(1, added.Data!.N);
        Assert.Equal(1, added.Document!.Version);

        await items.UpdateAsync("a", new { N = 2 }, cancellationToken: Token);
        Assert.Equal(2, (await changes.ExpectAsync(DocumentChangeType.Modified, "a")).Data!.N);

        await items.UpdateAsync("a", new { Status = "done" }, cancellationToken: Token);
        var left = await changes.ExpectAsync(DocumentChangeType.Removed, "a");
        Assert.Equal("open", left.Data!.Status);

        await items.AddAsync(new Item { Id = "b", Status = "draft" }, Token);
        await items.UpdateAsync("b", new { Status = "open" }, cancellationToken: Token);
        await changes.ExpectAsync(DocumentChangeType.Added, "b");

        await items.DeleteAsync("b", cancellationToken: Token);
        await changes.ExpectAsync(DocumentChangeType.Removed, "b");
    }

    [Fact]
    public async Task WatchAsync_Document_SeesOnlyThatDocument_WithAnAdminToken()
    {
        var name = await fixture.NewCollectionAsync();
        var items = fixture.Client.Collection<Item>(name);
        await items.AddAsync(new Item { Id = "one", N = 1 }, Token);
        using var admin = new BaasClient(new BaasClientOptions { BaseUrl = fixture.BaseUrl });
        await admin.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword, Token);

        await using var changes = new WatchReader<Item>(admin.Collection<Item>(name).WatchAsync("one", new WatchOptions { Snapshot = true }, Token));
        Assert.Equal(1, (await changes.ExpectAsync(DocumentChangeType.Added, "one")).Data!.N);

        await items.AddAsync(new Item { Id = "two", N = 1 }, Token);
        await items.UpdateAsync("two", new { N = 2 }, cancellationToken: Token);
        await items.UpdateAsync("one", new { N = 2 }, cancellationToken: Token);
        Assert.Equal(2, (await changes.ExpectAsync(DocumentChangeType.Modified, "one")).Data!.N);

        await items.DeleteAsync("one", cancellationToken: Token);
        await changes.ExpectAsync(DocumentChangeType.Removed, "one");
        await items.AddAsync(new Item { Id = "one", N = 3 }, Token);
        Assert.Equal(3, (await changes.ExpectAsync(DocumentChangeType.Added, "one")).Data!.N);
    }

    [Fact]
    public async Task WatchAsync_Snapshot_DeliversTheMatchesFirstThenLiveChanges()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        await items.AddAsync(new Item { Id = "b", N = 5 }, Token);
        await items.AddAsync(new Item { Id = "a", N = 7 }, Token);
        await items.AddAsync(new Item { Id = "c", N = 1 }, Token);

        await using var changes = new WatchReader<Item>(items.Where(i => i.N > 2).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        var first = await changes.ExpectAsync(DocumentChangeType.Added, "a");
        var second = await changes.ExpectAsync(DocumentChangeType.Added, "b");
        Assert.Equal(first.Sequence, second.Sequence);

        await items.AddAsync(new Item { Id = "d", N = 9 }, Token);
        var live = await changes.ExpectAsync(DocumentChangeType.Added, "d");
        Assert.NotEqual(first.Sequence, live.Sequence);
    }

    [Fact]
    public async Task WatchAsync_MessagePack_CarriesTheSameDocuments()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        await items.AddAsync(new Item { Id = "start" }, Token);
        using var client = fixture.CreateClient(o => o.Realtime.ConfigureConnection = hub => hub.AddMessagePackProtocol());

        await using var changes = new WatchReader<Item>(client.Collection<Item>(items.Name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await changes.ExpectAsync(DocumentChangeType.Added, "start");
        await items.AddAsync(new Item { Id = "x", N = 1, Deep = new Nested(3.5, true, ["t"]) }, Token);
        var added = await changes.ExpectAsync(DocumentChangeType.Added, "x");
        Assert.Equal(new Nested(3.5, true, ["t"]).Pi, added.Data!.Deep!.Pi);
        Assert.True(added.Data.Deep.Ok);
        Assert.Equal(["t"], added.Data.Deep.Tags);
    }

    [Fact]
    public async Task WatchAsync_UnknownCollection_ThrowsTheRefusal()
    {
        var watch = fixture.Client.Collection<Item>("nosuch" + Guid.NewGuid().ToString("N")[..8]).WatchAsync(Token);
        await using var changes = new WatchReader<Item>(watch);
        var error = await Assert.ThrowsAsync<BaasException>(changes.NextAsync);
        Assert.Equal("collection_not_found", error.Code);
        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task WatchAsync_SlowReader_StillSeesEveryChangeOnceInOrder()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        await items.AddAsync(new Item { Id = "start" }, Token);
        using var client = fixture.CreateClient(o => o.Realtime.BufferCapacity = 2);

        await using var changes = new WatchReader<Item>(client.Collection<Item>(items.Name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await changes.ExpectAsync(DocumentChangeType.Added, "start");
        for (var i = 0; i < 20; i++)
        {
            await items.AddAsync(new Item { Id = $"d{i:00}", N = i }, Token);
        }

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(i, (await changes.ExpectAsync(DocumentChangeType.Added, $"d{i:00}")).Data!.N);
        }

        await items.AddAsync(new Item { Id = "end" }, Token);
        await changes.ExpectAsync(DocumentChangeType.Added, "end");
    }

    /// <summary>Issue 5, item 7: a connection dropped in the middle of a stream of writes loses and repeats nothing.</summary>
    [Fact]
    public async Task WatchAsync_ConnectionCutMidStream_SeesExactlyTheWritesInOrder()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        await items.AddAsync(new Item { Id = "start" }, Token);
        await using var proxy = new TcpProxy(fixture.BaseUrl);
        using var watcher = fixture.CreateClient(o =>
        {
            o.BaseUrl = proxy.BaseUrl;
            o.Realtime.ReconnectDelay = TimeSpan.FromMilliseconds(20);
            o.Realtime.MaxReconnectDelay = TimeSpan.FromMilliseconds(200);
        });
        await using var changes = new WatchReader<Item>(watcher.Collection<Item>(items.Name).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        await changes.ExpectAsync(DocumentChangeType.Added, "start");

        // What the writes must produce, in order: every document is created, updated, and every third one deleted.
        var expected = new List<(DocumentChangeType, string, int)>();
        for (var i = 0; i < 60; i++)
        {
            var id = $"d{i:00}";
            expected.Add((DocumentChangeType.Added, id, 0));
            expected.Add((DocumentChangeType.Modified, id, 1));
            if (i % 3 == 0)
            {
                expected.Add((DocumentChangeType.Removed, id, 1));
            }
        }

        async Task WriteAsync(DocumentChangeType type, string id, int n)
        {
            switch (type)
            {
                case DocumentChangeType.Added:
                    await items.AddAsync(new Item { Id = id, N = n }, Token);
                    break;
                case DocumentChangeType.Modified:
                    await items.UpdateAsync(id, new { N = n }, cancellationToken: Token);
                    break;
                default:
                    Assert.True(await items.DeleteAsync(id, cancellationToken: Token));
                    break;
            }
        }

        var connections = proxy.Accepted;
        var writing = Task.Run(
            async () =>
            {
                foreach (var (type, id, n) in expected)
                {
                    await WriteAsync(type, id, n);
                }
            },
            Token);

        var seen = new List<(DocumentChangeType, string, int)>();
        while (seen.Count < expected.Count)
        {
            var change = await changes.NextAsync();
            seen.Add((change.Type, change.Id, change.Data?.N ?? -1));
            if (seen.Count is 30 or 100)
            {
                proxy.Cut();
            }
        }

        await writing;
        Assert.Equal(expected, seen);
        Assert.True(proxy.Accepted > connections, "the watch never reconnected");

        // Nothing repeated after the last write either: the next change is the sentinel's.
        await items.AddAsync(new Item { Id = "end" }, Token);
        await changes.ExpectAsync(DocumentChangeType.Added, "end");
    }

    /// <summary>
    /// A document in the snapshot that is deleted and created again with the same id starts over at version 1, below the
    /// snapshot's version: the watch skips events whose state the snapshot already held by version, and must not take
    /// the new document for one of them, live or replayed after a reconnect.
    /// </summary>
    [Fact]
    public async Task WatchAsync_SnapshotDocumentDeletedAndCreatedAgain_IsDeliveredLiveAndAfterAReconnect_Once()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        await items.AddAsync(new Item { Id = "x", N = 1 }, Token);
        await items.UpdateAsync("x", new { N = 2 }, cancellationToken: Token);
        await items.UpdateAsync("x", new { N = 3 }, cancellationToken: Token);
        await using var proxy = new TcpProxy(fixture.BaseUrl);
        using var watcher = fixture.CreateClient(o =>
        {
            o.BaseUrl = proxy.BaseUrl;
            o.Realtime.ReconnectDelay = TimeSpan.FromMilliseconds(20);
            o.Realtime.MaxReconnectDelay = TimeSpan.FromMilliseconds(200);
        });
        await using var changes = new WatchReader<Item>(watcher.Collection<Item>(items.Name).Where(i => i.N >= 1).WatchAsync(new WatchOptions { Snapshot = true }, Token));
        Assert.Equal(3, (await changes.ExpectAsync(DocumentChangeType.Added, "x")).Document!.Version);

        // Live.
        Assert.True(await items.DeleteAsync("x", cancellationToken: Token));
        await items.AddAsync(new Item { Id = "x", N = 4 }, Token);
        await changes.ExpectAsync(DocumentChangeType.Removed, "x");
        var again = await changes.ExpectAsync(DocumentChangeType.Added, "x");
        Assert.Equal((1L, 4), (again.Document!.Version, again.Data!.N));

        // While the watch is disconnected: the resume replays the same, once.
        proxy.Refusing = true;
        var connections = proxy.Accepted;
        proxy.Cut();
        Assert.True(await items.DeleteAsync("x", cancellationToken: Token));
        await items.AddAsync(new Item { Id = "x", N = 5 }, Token);
        await items.UpdateAsync("x", new { N = 6 }, cancellationToken: Token);
        proxy.Refusing = false;
        await changes.ExpectAsync(DocumentChangeType.Removed, "x");
        Assert.Equal(5, (await changes.ExpectAsync(DocumentChangeType.Added, "x")).Data!.N);
        Assert.Equal(6, (await changes.ExpectAsync(DocumentChangeType.Modified, "x")).Data!.N);
        Assert.True(proxy.Accepted > connections, "the watch never reconnected");

        await items.AddAsync(new Item { Id = "end", N = 1 }, Token);
        await changes.ExpectAsync(DocumentChangeType.Added, "end");
    }
}

/// <summary>Waiting for a watch to be live, and what disposing the client does to running watches.</summary>
public sealed class WatchLifetimeTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SubscribeAsync_ReturnsOnceLive_SoTheNextWriteIsDelivered()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        await using var watch = await items.Where(i => i.N > 0).SubscribeAsync(cancellationToken: Token);

        // No waiting, no retry loop: the subscription exists on the server once SubscribeAsync returns.
        await items.AddAsync(new Item { Id = "a", N = 1 }, Token);
        await using var changes = new WatchReader<Item>(watch);
        await changes.ExpectAsync(DocumentChangeType.Added, "a");
    }

    [Fact]
    public async Task SubscribeAsync_Refused_Throws_WithTheServersCode()
    {
        var missing = fixture.Client.Collection<Item>("missing-" + Guid.NewGuid().ToString("N")[..8]);
        var ex = await Assert.ThrowsAsync<BaasException>(() => missing.Where(i => i.N > 0).SubscribeAsync(cancellationToken: Token));
        Assert.Equal("collection_not_found", ex.Code);
    }

    [Fact]
    public async Task SubscribeAsync_Refused_CarriesTheFieldAtFault_LikeARestProblem()
    {
        var items = fixture.Client.Collection<Item>(await fixture.NewCollectionAsync());
        var ex = await Assert.ThrowsAsync<BaasException>(() => items.SubscribeAsync("not/an-id", cancellationToken: Token));
        Assert.Equal("invalid_id", ex.Code);
        Assert.Equal(400, ex.Status);
        Assert.Equal("id", ex.Field);

        var filter = await Assert.ThrowsAsync<BaasException>(() => items.Where("n", "in", Enumerable.Range(0, 1001).ToArray()).SubscribeAsync(cancellationToken: Token));
        Assert.Equal("filter_too_complex", filter.Code);
        Assert.Equal("filter.n.$in", filter.Field);
    }

    [Fact]
    public async Task DisposingTheClient_EndsRunningWatches_LikeCancellation()
    {
        var name = await fixture.NewCollectionAsync();
        var client = fixture.CreateClient();
        await using var watch = await client.Collection<Item>(name).SubscribeAsync("x", cancellationToken: Token);
        var reading = Task.Run(async () =>
        {
            await foreach (var change in watch.WithCancellation(Token))
            {
                Assert.Fail($"unexpected change {change.Id}");
            }
        }, Token);

        await client.DisposeAsync();

        var ended = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(TimeSpan.FromSeconds(20), Token));
        Assert.IsNotType<ObjectDisposedException>(ended);
    }

    [Fact]
    public async Task DisposingTheClient_EndsAnAwaitForeachOverWatchAsync_WithOperationCanceled()
    {
        var name = await fixture.NewCollectionAsync();
        var client = fixture.CreateClient();
        var started = new TaskCompletionSource();
        var reading = Task.Run(async () =>
        {
            var query = client.Collection<Item>(name).Where(i => i.N > 0);
            await using var watch = await query.SubscribeAsync(cancellationToken: Token);
            started.SetResult();
            await foreach (var change in watch)
            {
                Assert.Fail($"unexpected change {change.Id}");
            }
        }, Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20), Token);

        client.Dispose();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(TimeSpan.FromSeconds(20), Token));
    }
}
