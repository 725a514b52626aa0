using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Platform.Server.Functions;
using Platform.Server.Functions.Triggers;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Tests.Storage.Sqlite;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>
/// The after-trigger consumer on a real SQLite store and change feed, with fakes for the catalog and the executor and a
/// clock the tests move (retries, leases). Each test has its own data dir.
/// </summary>
public sealed class AfterTriggerServiceTests : IAsyncLifetime
{
    private const string Orders = "orders";

    private readonly SqliteStoreFixture _fixture = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeFunctionCatalog _catalog = new();
    private readonly FakeFunctionExecutor _executor;

    public AfterTriggerServiceTests() => _executor = new FakeFunctionExecutor(_clock);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IDocumentStore Store => _fixture.Store;

    public ValueTask InitializeAsync() => _fixture.InitializeAsync();

    public ValueTask DisposeAsync() => _fixture.DisposeAsync();

    private Task<TriggerNode> StartNodeAsync(FakeFunctionExecutor? executor = null, IDocumentStore? store = null, Platform.Server.Storage.Changes.IChangeFeed? feed = null) =>
        TriggerNode.StartAsync(store ?? Store, feed ?? _fixture.Feed, _catalog, executor ?? _executor, _clock);

    private static JsonObject Doc(string id, long version = 1, int n = 0) => new()
    {
        [SystemFields.Id] = id,
        [SystemFields.Version] = version,
        ["n"] = n,
    };

    private Task InsertAsync(string id, WriteOrigin? origin = null, string collection = Orders) =>
        Store.WriteAsync([new InsertOperation(collection, Doc(id)) { Origin = origin }], Ct);

    private Task ReplaceAsync(string id, long version, int n = 0) =>
        Store.WriteAsync([new ReplaceOperation(Orders, Doc(id, version, n), version - 1)], Ct);

    /// <summary>Saves the function and waits until its consumer holds the lease and has its first checkpoint (so later writes reach it).</summary>
    private async Task SaveAndAwaitStartAsync(TriggerNode node, FunctionDefinition function)
    {
        _catalog.Save(function);
        await EventuallyAsync(async () =>
            (await node.Leases.GetAsync(function.Name, Ct))?.Owner == node.Service.NodeId && await node.Checkpoints.GetAsync(function.Name, Ct) is not null);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, Action? step = null, TriggerNode? node = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s. " + string.Join("\n", node?.Logs.Lines ?? []));
            step?.Invoke();
            await Task.Delay(20, Ct);
        }
    }

    [Fact]
    public async Task Delivers_CreateUpdateDelete_ToTheFunctionsWhoseTriggersMatch_FromWhenTheyWereFirstSeen()
    {
        await InsertAsync("before-the-function");
        await using var node = await StartNodeAsync();
        await SaveAndAwaitStartAsync(node, FakeFunctionCatalog.AfterTrigger("on-write", Orders, TriggerOperation.Create, TriggerOperation.Update));
        await SaveAndAwaitStartAsync(node, FakeFunctionCatalog.AfterTrigger("on-delete", Orders, TriggerOperation.Delete));
        await SaveAndAwaitStartAsync(node, FakeFunctionCatalog.AfterTrigger("elsewhere", "invoices"));
        _catalog.Save(FakeFunctionCatalog.AfterTrigger("disabled", Orders) with { Enabled = false });

        await InsertAsync("o1");
        await ReplaceAsync("o1", 2, n: 5);
        await Store.WriteAsync([new DeleteOperation(Orders, "o1")], Ct);
        await InsertAsync("i1", collection: "invoices");
        var calls = await _executor.WaitForAsync(c => c.Count >= 4);

        var byFunction = calls.ToLookup(c => c.Function.Name);
        Assert.Equal([TriggerOperation.Create, TriggerOperation.Update], byFunction["on-write"].Select(c => c.Invocation.Event!.Type));
        var delete = Assert.Single(byFunction["on-delete"]).Invocation;
        Assert.Equal(("orders", "o1", TriggerOperation.Delete), (delete.Event!.Collection, delete.Event.DocumentId, delete.Event.Type));
        Assert.Equal(5, delete.Event.Before!["n"]!.GetValue<int>());
        Assert.Null(delete.Event.After);
        Assert.Equal("i1", Assert.Single(byFunction["elsewhere"]).Invocation.Event!.DocumentId);
        Assert.Empty(byFunction["disabled"]);
        Assert.DoesNotContain(calls, c => c.Invocation.Event!.DocumentId == "before-the-function");
        var update = byFunction["on-write"].Last().Invocation;
        Assert.Equal((RunTrigger.Document, 1, false, 0), (update.Trigger, update.Attempt, update.LastAttempt, update.Depth));
        Assert.Equal(0, update.Event!.Before!["n"]!.GetValue<int>());
        Assert.Equal(5, update.Event.After!["n"]!.GetValue<int>());
        Assert.Equal(4, calls.Select(c => c.Invocation.Event!.Id).Distinct().Count());
        Assert.Equal(4, calls.Select(c => c.Invocation.RunId).Distinct().Count());
    }

    [Fact]
    public async Task CaughtUp_EachNewCommit_ReachesTheFunction_WokenByTheCommit_NotByATimer()
    {
        await using var node = await StartNodeAsync();
        await SaveAndAwaitStartAsync(node, FakeFunctionCatalog.AfterTrigger("wake", Orders, TriggerOperation.Create));
        var clock = _clock.GetUtcNow();

        // The consumer has caught up and waits. The test clock never moves, so no timer the consumer (or the feed) set
        // on it can fire: each run below can only come from the store's commit signal.
        for (var i = 0; i < 5; i++)
        {
            var id = "w" + i;
            await InsertAsync(id);
            await _executor.WaitForAsync(c => c.Any(x => x.Invocation.Event!.DocumentId == id));
        }

        Assert.Equal(clock, _clock.GetUtcNow());
        Assert.Equal(5, _executor.Calls.Count(c => c.Function.Name == "wake"));
    }

    [Fact]
    public async Task Redelivery_AfterARestart_StartsAtTheCheckpoint_WithTheSameEventIds()
    {
        var function = FakeFunctionCatalog.AfterTrigger("audit", Orders);
        var hang = new TaskCompletionSource();
        _executor.Behavior = async (_, invocation, ct) =>
        {
            if (invocation.Event!.DocumentId == "stuck")
            {
                await hang.Task.WaitAsync(ct);
            }

            return RunStatus.Succeeded;
        };
        var first = await StartNodeAsync();
        await SaveAndAwaitStartAsync(first, function);
        await InsertAsync("done");
        await _executor.WaitForAsync(c => c.Count == 1);
        // The checkpoint past "done" itself, not merely moved: since positions carry the feed's epoch, the first
        // checkpoint was never "0", and a wait for that passed at once (under load "done" then came again).
        var handled = await _fixture.Feed.GetPositionAsync(Ct);
        await EventuallyAsync(async () => (await first.Checkpoints.GetAsync("audit", Ct))!.Position == handled);
        await InsertAsync("stuck");
        await InsertAsync("later");
        await _executor.WaitForAsync(c => c.Any(x => x.Invocation.Event!.DocumentId == "later"));

        // "stuck" never finishes on the first node: its checkpoint stays before it, though "later" is done.
        await first.DisposeAsync();
        var second = new FakeFunctionExecutor(_clock);
        await using var restarted = await StartNodeAsync(second);
        var redelivered = await second.WaitForAsync(c => c.Count >= 2);

        // Different documents run in parallel, so the two may finish in either order.
        var again = redelivered.ToDictionary(c => c.Invocation.Event!.DocumentId, c => c.Invocation.Event!.Id);
        Assert.Equal(["later", "stuck"], again.Keys.Order());
        var firstIds = _executor.Calls.ToDictionary(c => c.Invocation.Event!.DocumentId, c => c.Invocation.Event!.Id);
        Assert.Equal(firstIds["later"], again["later"]);
        Assert.Equal(AfterTriggerEvents.EventId(await ChangePositionAsync("stuck")), again["stuck"]);
        Assert.DoesNotContain(redelivered, c => c.Invocation.Event!.DocumentId == "done");
    }

    /// <summary>The feed position of the (only) insert of <paramref name="id"/>.</summary>
    private async Task<string> ChangePositionAsync(string id)
    {
        await foreach (var change in _fixture.Feed.ReadAsync("0", Ct))
        {
            if (change.Id == id)
            {
                return change.Sequence;
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    [Fact]
    public async Task Order_PerDocument_Holds_WhileDocumentsRunInParallel()
    {
        _executor.Behavior = async (_, invocation, ct) =>
        {
            // Earlier versions take longer, so a consumer that did not keep per-document order would finish them last.
            var version = invocation.Event!.After?[SystemFields.Version]?.GetValue<long>() ?? 99;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, 12 - (2 * version))), ct);
            return RunStatus.Succeeded;
        };
        await using var node = await StartNodeAsync();
        await SaveAndAwaitStartAsync(node, FakeFunctionCatalog.AfterTrigger("ordered", Orders));
        var ids = Enumerable.Range(0, 4).Select(i => "d" + i).ToList();
        foreach (var id in ids)
        {
            await InsertAsync(id);
        }

        for (var version = 2; version <= 5; version++)
        {
            foreach (var id in ids)
            {
                await ReplaceAsync(id, version);
            }
        }

        foreach (var id in ids)
        {
            await Store.WriteAsync([new DeleteOperation(Orders, id)], Ct);
        }

        var calls = await _executor.WaitForAsync(c => c.Count == ids.Count * 6);

        foreach (var id in ids)
        {
            var versions = calls.Where(c => c.Invocation.Event!.DocumentId == id).Select(c => c.Invocation.Event!.After?[SystemFields.Version]?.GetValue<long>() ?? 99);
            Assert.Equal([1L, 2, 3, 4, 5, 99], versions);
        }
    }

    [Fact]
    public async Task Retries_WithDoublingBackoff_UpToTheLastAttempt_WithoutHoldingUpOtherDocuments()
    {
        _executor.Behavior = (_, invocation, _) => Task.FromResult(invocation.Event!.DocumentId == "bad" ? RunStatus.Failed : RunStatus.Succeeded);
        await using var node = await StartNodeAsync();
        await SaveAndAwaitStartAsync(node, FakeFunctionCatalog.AfterTrigger("flaky", Orders) with { Retries = 3 });

        await InsertAsync("bad");
        await InsertAsync("good");
        await _executor.WaitForAsync(c => c.Any(x => x.Invocation.Event!.DocumentId == "good"));
        var calls = await _executor.WaitForAsync(c => c.Count(x => x.Invocation.Event!.DocumentId == "bad") == 4, () => _clock.Advance(TimeSpan.FromMilliseconds(250)));

        var bad = calls.Where(c => c.Invocation.Event!.DocumentId == "bad").ToList();
        Assert.Equal([1, 2, 3, 4], bad.Select(c => c.Invocation.Attempt));
        Assert.Equal([false, false, false, true], bad.Select(c => c.Invocation.LastAttempt));
        Assert.Single(bad.Select(c => c.Invocation.Event!.Id).Distinct());
        var gaps = bad.Zip(bad.Skip(1), (a, b) => b.At - a.At).ToList();

        // RetryDelay (1 s) doubling: each wait at least its delay and less than the next one (the clock moves in steps).
        Assert.InRange(gaps[0], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2) - TimeSpan.FromTicks(1));
        Assert.InRange(gaps[1], TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4) - TimeSpan.FromTicks(1));
        Assert.InRange(gaps[2], TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8) - TimeSpan.FromTicks(1));

        // The dead letter is handled: the checkpoint moves past both changes.
        var last = await _fixture.Feed.GetPositionAsync(Ct);
        await EventuallyAsync(async () => (await node.Checkpoints.GetAsync("flaky", Ct))!.Position == last);
    }

    [Fact]
    public async Task LoopGuard_SkipsTheFunctionsOwnWrites_AndOtherFunctionsWritesRunWithTheirDepth()
    {
        await using var node = await StartNodeAsync();
        await SaveAndAwaitStartAsync(node, FakeFunctionCatalog.AfterTrigger("counter", Orders));

        await InsertAsync("own", new WriteOrigin("counter", 1));
        await InsertAsync("chained", new WriteOrigin("other", 3));
        await InsertAsync("plain");
        var calls = await _executor.WaitForAsync(c => c.Count >= 2);

        var depths = calls.ToDictionary(c => c.Invocation.Event!.DocumentId, c => c.Invocation.Depth);
        Assert.Equal(new Dictionary<string, int> { ["chained"] = 3, ["plain"] = 0 }, depths);
    }

    [Fact]
    public async Task ChainDepth_AtTheLimit_DoesNotRun_AndIsRecordedAsOneFailedRun()
    {
        await using var node = await StartNodeAsync();
        await SaveAndAwaitStartAsync(node, FakeFunctionCatalog.AfterTrigger("deep", Orders));

        await InsertAsync("too-deep", new WriteOrigin("other", new FunctionOptions().MaxChainDepth));
        await InsertAsync("next");
        await _executor.WaitForAsync(c => c.Any(x => x.Invocation.Event!.DocumentId == "next"));

        var run = Assert.Single(await EventuallyRunsAsync("deep"));
        Assert.DoesNotContain(_executor.Calls, c => c.Invocation.Event!.DocumentId == "too-deep");
        Assert.Equal("failed", run["status"]!.GetValue<string>());
        Assert.True(run["deadLetter"]!.GetValue<bool>());
        Assert.StartsWith(TriggerRunRecorder.ChainDepthExceeded, run["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("too-deep", run["event"]!["documentId"]!.GetValue<string>());
        Assert.Equal(AfterTriggerEvents.EventId(await ChangePositionAsync("too-deep")), run["eventId"]!.GetValue<string>());
    }

    [Fact]
    public async Task RunRecords_OfRunsThatFinishWhileAWriteWaits_AreCommittedTogether()
    {
        using var store = new KillableStore(Store, _fixture.Feed);
        var writes = new ConcurrentQueue<IReadOnlyList<WriteOperation>>();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforeWrite = async operations =>
        {
            if (operations.Any(o => o.Collection == FunctionRunJson.Collection))
            {
                writes.Enqueue(operations);
                held.TrySetResult();
                await release.Task;
            }
        };
        await using var node = await StartNodeAsync(store: store, feed: store);
        await SaveAndAwaitStartAsync(node, FakeFunctionCatalog.AfterTrigger("grouped", Orders));
        string[] ids = ["g1", "g2", "g3", "g4", "g5", "g6"];
        foreach (var id in ids)
        {
            await InsertAsync(id);
        }

        // The first record's write is held up (as behind a busy writer) while every run finishes.
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await _executor.WaitForAsync(c => c.Count(x => x.Function.Name == "grouped") == ids.Length);
        release.SetResult();
        var last = await _fixture.Feed.GetPositionAsync(Ct);
        await EventuallyAsync(async () => (await node.Checkpoints.GetAsync("grouped", Ct))!.Position == last);

        var runs = await AllRunsAsync("grouped", "succeeded");
        Assert.Equal(ids.Order(StringComparer.Ordinal), runs.Select(r => r["event"]!["documentId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        foreach (var run in runs)
        {
            var documentId = run["event"]!["documentId"]!.GetValue<string>();
            Assert.Equal(AfterTriggerEvents.EventId(await ChangePositionAsync(documentId)), run["eventId"]!.GetValue<string>());
        }

        // Without group commit each record is a write of its own (6). With it: the held write, then the records that waited
        // in one write (a last run may finish just after the release: a third).
        Assert.True(writes.Count <= 3, $"{ids.Length} run records took {writes.Count} writes.");
        Assert.Contains(writes, w => w.Count(o => o.Collection == FunctionRunJson.Collection) > 1);
    }

    /// <summary>The failed runs of <paramref name="function"/> (the consumer records the fake executor's successful runs too).</summary>
    private Task<IReadOnlyList<JsonObject>> RunsAsync(string function) => AllRunsAsync(function, "failed");

    private async Task<IReadOnlyList<JsonObject>> AllRunsAsync(string function, string? status = null) =>
        (await Store.QueryAsync(FunctionRunJson.Collection, new DocumentQuery(MatchAllNode.Instance, [], 1000), Ct))
            .Where(r => r["function"]!.GetValue<string>() == function && (status is null || r["status"]!.GetValue<string>() == status))
            .ToList();

    [Theory]
    [InlineData("999999999")]
    [InlineData("0a0b0c0d0e0f-1")] // an epoch this database never had (a checkpoint of the timeline a restore discarded)
    public async Task MissedEvents_ACheckpointTheFeedNoLongerHolds_IsOneFailedRun_ThenConsumingGoesOnFromNow(string checkpoint)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await Store.WriteAsync(
            [new InsertOperation(FunctionCheckpoints.Collection, new JsonObject { ["_id"] = "gap", ["_version"] = 1L, ["_createdAt"] = now, ["_updatedAt"] = now, ["_createdBy"] = null, ["position"] = checkpoint })],
            Ct);
        await InsertAsync("before-the-start");
        await using var node = await StartNodeAsync();
        _catalog.Save(FakeFunctionCatalog.AfterTrigger("gap", Orders));
        var current = await _fixture.Feed.GetPositionAsync(Ct);
        await EventuallyAsync(async () => (await node.Checkpoints.GetAsync("gap", Ct))!.Position == current, node: node);

        await InsertAsync("after-the-gap");
        var call = Assert.Single(await _executor.WaitForAsync(c => c.Count >= 1));

        Assert.Equal("after-the-gap", call.Invocation.Event!.DocumentId);
        var run = Assert.Single(await RunsAsync("gap"));
        var message = run["error"]!["message"]!.GetValue<string>();
        Assert.StartsWith(TriggerRunRecorder.MissedEvents, message, StringComparison.Ordinal);
        Assert.Contains(checkpoint, message, StringComparison.Ordinal);
        Assert.Null(run["eventId"]);
    }

    private async Task<IReadOnlyList<JsonObject>> EventuallyRunsAsync(string function)
    {
        IReadOnlyList<JsonObject> runs = [];
        await EventuallyAsync(async () => (runs = await RunsAsync(function)).Count > 0);
        return runs;
    }

    [Fact]
    public async Task Lease_OneNodeConsumes_AndAnotherTakesOverWhenTheOwnerStopsRenewing()
    {
        using var firstStore = new KillableStore(Store, _fixture.Feed);
        var secondExecutor = new FakeFunctionExecutor(_clock);
        await using var first = await StartNodeAsync(store: firstStore, feed: firstStore);
        await SaveAndAwaitStartAsync(first, FakeFunctionCatalog.AfterTrigger("leased", Orders));
        await using var second = await StartNodeAsync(secondExecutor);

        await InsertAsync("while-first-owns");
        await _executor.WaitForAsync(c => c.Count == 1);

        // Handled means committed: the run's record and the checkpoint past it (only then is it not delivered again).
        var handled = await _fixture.Feed.GetPositionAsync(Ct);
        await EventuallyAsync(async () => (await first.Checkpoints.GetAsync("leased", Ct))!.Position == handled);
        var lease = await first.Leases.GetAsync("leased", Ct);
        Assert.Equal(first.Service.NodeId, lease!.Owner);

        // The owner dies: no renewal, no release. The other node takes over once the lease has expired.
        firstStore.Kill();
        await EventuallyAsync(
            async () => (await second.Leases.GetAsync("leased", Ct))?.Owner == second.Service.NodeId,
            () => _clock.Advance(TimeSpan.FromSeconds(5)));
        Assert.True(_clock.GetUtcNow() >= lease.ExpiresAt);
        await InsertAsync("after-takeover");
        var taken = await secondExecutor.WaitForAsync(c => c.Any(x => x.Invocation.Event!.DocumentId == "after-takeover"));

        Assert.DoesNotContain(_executor.Calls, c => c.Invocation.Event!.DocumentId == "after-takeover");
        Assert.All(secondExecutor.Calls, c => Assert.NotEqual("while-first-owns", c.Invocation.Event!.DocumentId));
        Assert.Single(taken, c => c.Invocation.Event!.DocumentId == "after-takeover");
    }

    [Fact]
    public async Task Lease_WhileHeld_TheOtherNodeRunsNothing()
    {
        var secondExecutor = new FakeFunctionExecutor(_clock);
        await using var first = await StartNodeAsync();
        await SaveAndAwaitStartAsync(first, FakeFunctionCatalog.AfterTrigger("single", Orders));
        await using var second = await StartNodeAsync(secondExecutor);

        var options = new AfterTriggerOptions();
        for (var i = 0; i < 20; i++)
        {
            await InsertAsync("doc" + i);
            _clock.Advance(TimeSpan.FromSeconds(5));

            // Fake time moves faster than the renewal's store write: before it moves on, the holder must have renewed
            // whenever a renewal was due, as it would have on a real clock (otherwise the lease expires in fake time
            // alone and a handover would be correct, not a failure of the lease).
            await EventuallyAsync(async () => (await first.Leases.GetAsync("single", Ct))!.ExpiresAt - _clock.GetUtcNow() >= options.LeaseDuration - options.LeaseRenewInterval);
        }

        await _executor.WaitForAsync(c => c.Count == 20);
        Assert.Empty(secondExecutor.Calls);
        Assert.Equal(first.Service.NodeId, (await first.Leases.GetAsync("single", Ct))!.Owner);
    }

    [Fact]
    public async Task Crash_InTheMiddleOfAStreamOfWrites_EveryCommittedWriteGetsARun_OnTheNodeThatTakesOver()
    {
        // In-process stand-in for the SIGKILL test: the first node is cut off from the store mid-stream (no checkpoint
        // save, no lease release, runs in flight abandoned), and a second node on the same data takes over.
        using var firstStore = new KillableStore(Store, _fixture.Feed);
        _executor.Behavior = async (_, _, ct) =>
        {
            await Task.Yield();
            return RunStatus.Succeeded;
        };
        var secondExecutor = new FakeFunctionExecutor(_clock);
        var first = await StartNodeAsync(store: firstStore, feed: firstStore);
        await SaveAndAwaitStartAsync(first, FakeFunctionCatalog.AfterTrigger("stream", Orders));
        await using var second = await StartNodeAsync(secondExecutor);

        var written = new List<string>();
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var writer = Task.Run(
            async () =>
            {
                for (var i = 0; i < 400; i++)
                {
                    await InsertAsync("w" + i);
                    lock (written)
                    {
                        written.Add("w" + i);
                    }
                }
            },
            Ct);
        await _executor.WaitForAsync(c => c.Count >= 50);
        firstStore.Kill();
        await writer;
        await EventuallyAsync(
            async () => (await second.Leases.GetAsync("stream", Ct))?.Owner == second.Service.NodeId,
            () => _clock.Advance(TimeSpan.FromSeconds(5)));

        // Every acknowledged write reaches a run: the second node's checkpoint gets to the end of the feed, and only
        // after each change before it was handled.
        var end = await _fixture.Feed.GetPositionAsync(Ct);
        await EventuallyAsync(async () => (await second.Checkpoints.GetAsync("stream", Ct))?.Position == end, node: second);
        var ran = _executor.Calls.Concat(secondExecutor.Calls).Select(c => c.Invocation.Event!.DocumentId).ToHashSet();
        Assert.Equal(400, written.Count);
        Assert.DoesNotContain(written, id => !ran.Contains(id));
        Assert.NotEmpty(_executor.Calls);
        Assert.NotEmpty(secondExecutor.Calls);
        await first.DisposeAsync();
    }

    [Fact]
    public async Task DisablingAFunction_StopsItsFeed_AndForgetsItsCheckpoint()
    {
        await using var node = await StartNodeAsync();
        var function = FakeFunctionCatalog.AfterTrigger("toggled", Orders);
        await SaveAndAwaitStartAsync(node, function);

        _catalog.Save(function with { Enabled = false, Version = 2 });
        await EventuallyAsync(async () => await node.Checkpoints.GetAsync("toggled", Ct) is null && await node.Leases.GetAsync("toggled", Ct) is null);
        await InsertAsync("while-disabled");
        await SaveAndAwaitStartAsync(node, function with { Version = 3 });
        await InsertAsync("after-enabling");
        var calls = await _executor.WaitForAsync(c => c.Count >= 1);

        Assert.Equal(["after-enabling"], calls.Select(c => c.Invocation.Event!.DocumentId));
        Assert.Equal(3, calls[0].Function.Version);
    }
}
