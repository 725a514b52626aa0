using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Storage;
using Platform.Server.Tests.Auth;

namespace Platform.Server.Tests.Documents;

/// <summary>
/// Updates of one document without If-Match take turns on a node (<c>DocumentWriteTurns</c>): none of them reads a
/// version another is about to replace, so none loses a race, retries or, under load, gives up with write_conflict.
/// </summary>
public sealed class DocumentWriteTurnsTests
{
    private const string Counters = "counters";
    private const int Writers = 5;

    private readonly InMemoryDocumentStore _store = new();
    private readonly CollectionRegistry _registry;
    private readonly DocumentService _service;
    private int _reads;

    public DocumentWriteTurnsTests()
    {
        (_service, _registry) = DocumentServices.Create(_store);
    }

    [Fact]
    public async Task ConcurrentPatchesWithoutIfMatch_OfOneDocument_NeverLoseARace_AndAllApply()
    {
        var ct = TestContext.Current.CancellationToken;
        await _registry.CreateAsync(new CollectionDefinition(Counters, null, [], new Dictionary<string, string> { ["get"] = "true", ["update"] = "true" }), ct);
        await _service.ExecuteAsync(new CreateCommand(Counters, new JsonObject { ["_id"] = "c", ["n"] = 0 }), Caller.Service, ct);
        var user = new Caller("u", Privileged: false, new JsonObject { ["id"] = "u", ["roles"] = new JsonArray() });
        var writesBefore = _store.WriteCalls;

        // Each read waits until all writers have read, or 300 ms: writers that race all read version 1 (and all but one
        // then lose); writers that take turns read one after another, each the version the previous one wrote.
        var arrived = 0;
        var allRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.AfterGet = async (collection, _) =>
        {
            if (collection == Counters)
            {
                Interlocked.Increment(ref _reads);
                if (Interlocked.Increment(ref arrived) >= Writers)
                {
                    allRead.TrySetResult();
                }

                await Task.WhenAny(allRead.Task, Task.Delay(300, ct));
            }
        };

        var writes = Enumerable.Range(0, Writers).Select(_ => Task.Run(
            () => _service.ExecuteAsync(new PatchCommand(Counters, "c", new JsonObject { ["$inc"] = new JsonObject { ["n"] = 1 } }), user, ct), ct));
        var results = await Task.WhenAll(writes);

        Assert.All(results, r => Assert.Equal(200, r.Status));

        // Racing writers would all write against version 1 and all but one fail, then write again. Taking turns, each
        // writes once. A writer reads once to be allowed and, when it had to wait
        // for its turn, once more (the version its predecessors left), so at most twice.
        Assert.Equal(Writers, _store.WriteCalls - writesBefore);
        Assert.InRange(_reads, Writers, (2 * Writers) - 1);
        var stored = await _store.GetAsync(Counters, "c", ct);
        Assert.Equal(Writers, stored!["n"]!.GetValue<long>());
        Assert.Equal(Writers + 1, stored["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task RefusedWrites_NeverTakeTheTurn_SoAFloodOfThemDoesNotDelayAnAllowedWriter()
    {
        var ct = TestContext.Current.CancellationToken;
        await _registry.CreateAsync(new CollectionDefinition(Counters, null, [], new Dictionary<string, string> { ["get"] = "true", ["update"] = "auth != null" }), ct);
        await _service.ExecuteAsync(new CreateCommand(Counters, new JsonObject { ["_id"] = "c", ["n"] = 0 }), Caller.Service, ct);
        var user = new Caller("u", Privileged: false, new JsonObject { ["id"] = "u", ["roles"] = new JsonArray() });

        // The flood's reads are held until the allowed writer is done: a signed-out write that took the turn before its
        // rule ran would hold it through that read, and the allowed writer would queue behind the whole flood.
        const int Flood = 3;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        var allHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.AfterGet = async (collection, _) =>
        {
            if (collection == Counters && Interlocked.Increment(ref held) <= Flood)
            {
                if (Volatile.Read(ref held) == Flood)
                {
                    allHeld.TrySetResult();
                }

                await release.Task;
            }
        };

        var inc = new JsonObject { ["$inc"] = new JsonObject { ["n"] = 1 } };
        var flood = Enumerable.Range(0, Flood)
            .Select(_ => Task.Run(() => _service.ExecuteAsync(new PatchCommand(Counters, "c", (JsonObject)inc.DeepClone()), Caller.Anonymous, ct), ct))
            .ToList();
        await allHeld.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);

        var allowed = await _service.ExecuteAsync(new PatchCommand(Counters, "c", (JsonObject)inc.DeepClone()), user, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(1, allowed.Document!["n"]!.GetValue<long>());
        Assert.All(flood, f => Assert.False(f.IsCompleted));

        release.SetResult();
        foreach (var refused in flood)
        {
            var problem = await Assert.ThrowsAsync<DomainException>(() => refused);
            Assert.Equal(ErrorKind.Unauthenticated, problem.Kind);
        }

        Assert.Equal(0, _service.Turns.UsersOf(Counters, "c"));
    }

    [Fact]
    public async Task ARefusedWrite_DoesNotWaitForATurnHeldByAnAllowedWriter_AndAllowedWritersKeepTheirOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await _registry.CreateAsync(new CollectionDefinition(Counters, null, [], new Dictionary<string, string> { ["get"] = "true", ["update"] = "auth != null" }), ct);
        await _service.ExecuteAsync(new CreateCommand(Counters, new JsonObject { ["_id"] = "c", ["n"] = 0 }), Caller.Service, ct);
        var user = new Caller("u", Privileged: false, new JsonObject { ["id"] = "u", ["roles"] = new JsonArray() });

        // The first allowed write is held in the store while it holds the turn.
        var (release, writing) = HoldFirstStoreWrite();

        JsonObject Set(string writer) => new() { ["$inc"] = new JsonObject { ["n"] = 1 }, ["$push"] = new JsonObject { ["order"] = writer } };
        var first = Task.Run(() => _service.ExecuteAsync(new PatchCommand(Counters, "c", Set("first")), user, ct), ct);
        await writing.WaitAsync(TimeSpan.FromSeconds(30), ct);

        // Allowed writers queue behind it, one after the other: the next starts once the previous waits for the turn
        // (entering is not enough: a writer that entered first but is slower to plan would begin to wait second).
        var queued = new List<Task<CommandResult>>();
        foreach (var name in new[] { "second", "third" })
        {
            queued.Add(Task.Run(() => _service.ExecuteAsync(new PatchCommand(Counters, "c", Set(name)), user, ct), ct));
            while (_service.Turns.WaitingFor(Counters, "c") < queued.Count)
            {
                await Task.Yield();
                ct.ThrowIfCancellationRequested();
            }
        }

        // A signed-out write is refused at once, neither waiting for the turn nor joining its queue.
        var refused = await Assert.ThrowsAsync<DomainException>(
            () => _service.ExecuteAsync(new PatchCommand(Counters, "c", Set("anonymous")), Caller.Anonymous, ct).WaitAsync(TimeSpan.FromSeconds(30), ct));
        Assert.Equal(ErrorKind.Unauthenticated, refused.Kind);
        Assert.Equal(3, _service.Turns.UsersOf(Counters, "c"));
        Assert.False(first.IsCompleted);

        release.SetResult();
        await Task.WhenAll([first, .. queued]);
        var stored = await _store.GetAsync(Counters, "c", ct);
        Assert.Equal("""["first","second","third"]""", stored!["order"]!.ToJsonString());
        Assert.Equal(0, _service.Turns.UsersOf(Counters, "c"));
    }

    [Fact]
    public async Task ACancelledWaiter_LeavesTheTurn_AndTheNextWriterGetsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await _registry.CreateAsync(new CollectionDefinition(Counters, null, [], new Dictionary<string, string>()), ct);
        await _service.ExecuteAsync(new CreateCommand(Counters, new JsonObject { ["_id"] = "c", ["n"] = 0 }), Caller.Service, ct);

        // The holder is held in its store write, which it makes holding the turn.
        var (release, firstWrite) = HoldFirstStoreWrite();

        var inc = new JsonObject { ["$inc"] = new JsonObject { ["n"] = 1 } };
        var holder = _service.ExecuteAsync(new ReplaceCommand(Counters, "c", new JsonObject { ["n"] = 10 }), Caller.Service, ct);
        await firstWrite.WaitAsync(ct);
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var cancelled = _service.ExecuteAsync(new PatchCommand(Counters, "c", (JsonObject)inc.DeepClone()), Caller.Service, gone.Token);
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        release.SetResult();
        await holder;
        var after = await _service.ExecuteAsync(new PatchCommand(Counters, "c", (JsonObject)inc.DeepClone()), Caller.Service, ct);
        Assert.Equal(11, after.Document!["n"]!.GetValue<long>());
    }

    [Fact]
    public async Task AFunctionsOwnWrite_DoesNotWaitForATurnHeldByTheWriteThatRunsIt()
    {
        // A before trigger runs while its write holds the document's turn; a ctx.db write it (or another triggered
        // write) makes must not queue behind that turn, or two triggered writes of each other's documents wait on
        // each other until their budget.
        var ct = TestContext.Current.CancellationToken;
        await _registry.CreateAsync(new CollectionDefinition(Counters, null, [], new Dictionary<string, string>()), ct);
        await _service.ExecuteAsync(new CreateCommand(Counters, new JsonObject { ["_id"] = "c", ["n"] = 0 }), Caller.Service, ct);

        // The holder is held in its store write, which it makes holding the turn.
        var (release, firstWrite) = HoldFirstStoreWrite();

        var holder = _service.ExecuteAsync(new PatchCommand(Counters, "c", new JsonObject { ["m"] = 1 }), Caller.Service, ct);
        await firstWrite.WaitAsync(ct);
        var fromFunction = Caller.Service with { Origin = new Platform.Server.Functions.WriteOrigin("counter", 1) };
        var own = await _service
            .ExecuteAsync(new PatchCommand(Counters, "c", new JsonObject { ["$inc"] = new JsonObject { ["n"] = 1 } }), fromFunction, ct)
            .WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal("1", own.Document!["n"]!.ToJsonString());
        Assert.False(holder.IsCompleted);

        release.SetResult();
        var held = await holder;
        Assert.Equal("1", held.Document!["m"]!.ToJsonString());
        Assert.Equal("1", held.Document!["n"]!.ToJsonString());
    }

    /// <summary>Holds the first store write (made holding the document's turn) until <c>release</c> is set.</summary>
    private (TaskCompletionSource Release, Task Writing) HoldFirstStoreWrite()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.BeforeWrite = async _ =>
        {
            if (writing.TrySetResult())
            {
                await release.Task;
            }
        };
        return (release, writing.Task);
    }
}
