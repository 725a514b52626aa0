using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Platform.Server.Functions;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>A function catalog over a list, raising <see cref="Changed"/> on every save (stands in for the API part's catalog).</summary>
internal sealed class FakeFunctionCatalog : IFunctionCatalog
{
    private readonly ConcurrentDictionary<string, FunctionDefinition> _functions = new(StringComparer.Ordinal);

    public event Action<string>? Changed;

    public void Save(FunctionDefinition function)
    {
        _functions[function.Name] = function;
        Changed?.Invoke(function.Name);
    }

    public void Delete(string name)
    {
        _functions.TryRemove(name, out _);
        Changed?.Invoke(name);
    }

    public Task<FunctionDefinition?> GetAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_functions.TryGetValue(name, out var function) ? function : null);

    public Task<FunctionDefinition?> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default) =>
        Task.FromResult(_functions.TryGetValue(name, out var function) && function.Version == version ? function : null);

    public Task<IReadOnlyList<FunctionDefinition>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<FunctionDefinition>>([.. _functions.Values]);

    public static FunctionDefinition AfterTrigger(string name, string collection, params TriggerOperation[] on) => new()
    {
        Name = name,
        Code = "export default async function (ctx) {}",
        Triggers = [new FunctionTrigger(collection, on.Length == 0 ? [TriggerOperation.Create, TriggerOperation.Update, TriggerOperation.Delete] : on, TriggerPhase.After)],
        Version = 1,
    };
}

/// <summary>One call the executor received, with the fake clock's time when it arrived.</summary>
internal sealed record ExecutorCall(FunctionDefinition Function, FunctionInvocation Invocation, DateTimeOffset At, RunStatus Status);

/// <summary>
/// An executor that runs a C# delegate instead of JavaScript and records every call; tests wait for calls with
/// <see cref="WaitForAsync"/> (woken by each call, bounded by a timeout).
/// </summary>
internal sealed class FakeFunctionExecutor(TimeProvider time) : IFunctionExecutor
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<ExecutorCall> _calls = new();
    private TaskCompletionSource _called = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What a run does; returns its status. Default: succeeds at once.</summary>
    public Func<FunctionDefinition, FunctionInvocation, CancellationToken, Task<RunStatus>> Behavior { get; set; } =
        (_, _, _) => Task.FromResult(RunStatus.Succeeded);

    public IReadOnlyList<ExecutorCall> Calls => [.. _calls];

    public async Task<FunctionRunRecord> ExecuteAsync(FunctionDefinition function, FunctionInvocation invocation, CancellationToken cancellationToken = default)
    {
        var at = time.GetUtcNow();
        var status = await Behavior(function, invocation, cancellationToken);
        _calls.Enqueue(new ExecutorCall(function, invocation, at, status));
        Interlocked.Exchange(ref _called, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return new FunctionRunRecord(
            invocation.RunId, function.Name, function.Version, invocation.Trigger, invocation.Event?.Id, invocation.Attempt, status,
            at, 0, [], status == RunStatus.Succeeded ? null : new FunctionError("failed"), null, null,
            DeadLetter: status != RunStatus.Succeeded && invocation.LastAttempt, invocation.Args, invocation.Event);
    }

    /// <summary>The fake never stores records, so running unrecorded is the same call.</summary>
    public Task<FunctionRunRecord> RunUnrecordedAsync(FunctionDefinition function, FunctionInvocation invocation, CancellationToken cancellationToken = default) =>
        ExecuteAsync(function, invocation, cancellationToken);

    public Task<FunctionRunRecord?> RetryAsync(string function, string runId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The trigger consumer never replays runs.");

    /// <summary>Waits until <paramref name="condition"/> holds over the calls so far; <paramref name="step"/> runs between checks (e.g. moves a clock).</summary>
    public async Task<IReadOnlyList<ExecutorCall>> WaitForAsync(Func<IReadOnlyList<ExecutorCall>, bool> condition, Action? step = null)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            var called = Volatile.Read(ref _called).Task;
            var calls = Calls;
            if (condition(calls))
            {
                return calls;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met after {calls.Count} calls: {string.Join(", ", calls.Select(c => $"{c.Function.Name}:{c.Invocation.Event?.DocumentId}:{c.Invocation.Event?.Type}#{c.Invocation.Attempt}"))}");
            }

            if (step is null)
            {
                await called.WaitAsync(WaitLimit, TestContext.Current.CancellationToken);
            }
            else
            {
                step();

                // The consumer reacts to the step on its own threads: give it a moment, or the next call, whichever is first.
                await Task.WhenAny(called, Task.Delay(20, TestContext.Current.CancellationToken));
            }
        }
    }
}

/// <summary>
/// A store and feed that can be cut off, as a node that died or lost its network sees it: after <see cref="Kill"/>
/// every store call fails and feed reads stop delivering, while the data stays for the next node.
/// </summary>
internal sealed class KillableStore(IDocumentStore store, IChangeFeed feed) : IDocumentStore, IChangeFeed, IDisposable
{
    private readonly CancellationTokenSource _killed = new();

    public void Kill() => _killed.Cancel();

    public void Dispose() => _killed.Dispose();

    private void ThrowIfKilled()
    {
        if (_killed.IsCancellationRequested)
        {
            throw new StorageUnavailableException("This node is dead.");
        }
    }

    public Task InitializeAsync(CancellationToken cancellationToken = default) => store.InitializeAsync(cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken = default) => Task.FromResult(!_killed.IsCancellationRequested);

    public Task CreateCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        return store.CreateCollectionAsync(collection, cancellationToken);
    }

    public Task DropCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        return store.DropCollectionAsync(collection, cancellationToken);
    }

    public Task ApplyIndexesAsync(string collection, IReadOnlyList<IndexDefinition> indexes, CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        return store.ApplyIndexesAsync(collection, indexes, cancellationToken);
    }

    public Task<JsonObject?> GetAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        return store.GetAsync(collection, id, cancellationToken);
    }

    public Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        return store.QueryAsync(collection, query, cancellationToken);
    }

    public Task<long> CountAsync(string collection, FilterNode filter, TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        return store.CountAsync(collection, filter, timeout, cancellationToken);
    }

    /// <summary>Awaited before each write reaches the store (a test holds writes back or counts them here).</summary>
    public Func<IReadOnlyList<WriteOperation>, Task>? BeforeWrite { get; set; }

    public bool CombinedWritesAreCheap => store.CombinedWritesAreCheap;

    public async Task WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        if (BeforeWrite is { } before)
        {
            await before(operations);
        }

        await store.WriteAsync(operations, cancellationToken);
    }

    public Task<FeedSnapshot> QuerySnapshotAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        return feed.QuerySnapshotAsync(collection, query, cancellationToken);
    }

    public Task<string> GetPositionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        return feed.GetPositionAsync(cancellationToken);
    }

    public async IAsyncEnumerable<StoredChange> ReadAsync(string after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfKilled();
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _killed.Token);
        var changes = feed.ReadAsync(after, both.Token).GetAsyncEnumerator(both.Token);
        try
        {
            while (true)
            {
                try
                {
                    if (!await changes.MoveNextAsync())
                    {
                        yield break;
                    }
                }
                catch (OperationCanceledException) when (_killed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                yield return changes.Current;
            }
        }
        finally
        {
            await changes.DisposeAsync();
        }

        // Dead: nothing more arrives, until the reader gives up.
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
