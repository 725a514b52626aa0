using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
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
    public async Task ConcurrentPatchesWithoutIfMatch_OfOneDocument_EachReadItOnce_AndAllApply()
    {
        var ct = TestContext.Current.CancellationToken;
        await _registry.CreateAsync(new CollectionDefinition(Counters, null, [], new Dictionary<string, string> { ["get"] = "true", ["update"] = "true" }), ct);
        await _service.ExecuteAsync(new CreateCommand(Counters, new JsonObject { ["_id"] = "c", ["n"] = 0 }), Caller.Service, ct);
        var user = new Caller("u", Privileged: false, new JsonObject { ["id"] = "u", ["roles"] = new JsonArray() });

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
        Assert.Equal(Writers, _reads);
        var stored = await _store.GetAsync(Counters, "c", ct);
        Assert.Equal(Writers, stored!["n"]!.GetValue<long>());
        Assert.Equal(Writers + 1, stored["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task ACancelledWaiter_LeavesTheTurn_AndTheNextWriterGetsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await _registry.CreateAsync(new CollectionDefinition(Counters, null, [], new Dictionary<string, string>()), ct);
        await _service.ExecuteAsync(new CreateCommand(Counters, new JsonObject { ["_id"] = "c", ["n"] = 0 }), Caller.Service, ct);

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.AfterGet = async (collection, _) =>
        {
            if (collection == Counters && firstRead.TrySetResult())
            {
                await release.Task;
            }
        };

        var inc = new JsonObject { ["$inc"] = new JsonObject { ["n"] = 1 } };
        var holder = _service.ExecuteAsync(new ReplaceCommand(Counters, "c", new JsonObject { ["n"] = 10 }), Caller.Service, ct);
        await firstRead.Task.WaitAsync(ct);
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

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.AfterGet = async (collection, _) =>
        {
            if (collection == Counters && firstRead.TrySetResult())
            {
                await release.Task;
            }
        };

        var holder = _service.ExecuteAsync(new PatchCommand(Counters, "c", new JsonObject { ["m"] = 1 }), Caller.Service, ct);
        await firstRead.Task.WaitAsync(ct);
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
}
