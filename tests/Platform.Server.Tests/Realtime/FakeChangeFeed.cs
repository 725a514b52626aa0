using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// An in-memory <see cref="IChangeFeed"/> for tests: changes are published by <see cref="RecordingStore"/> (every
/// write through the real store) or directly by a test (<see cref="Publish"/>). Sequences are decimal counters.
/// </summary>
public sealed class FakeChangeFeed(TimeProvider time) : IChangeFeed
{
    private readonly Lock _gate = new();
    private readonly List<StoredChange> _changes = [];
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _failures;
    private int _breaks;
    private TaskCompletionSource _readsHeld = Open();
    private TaskCompletionSource _positionRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Func<Task>? _beforeSnapshot;

    /// <summary>
    /// Taken by <see cref="RecordingStore"/> from a write's commit to its publication, and by
    /// <see cref="QuerySnapshotAsync"/> around its read: a snapshot never sees a write whose change is not published yet.
    /// </summary>
    internal SemaphoreSlim Commits { get; } = new(1, 1);

    /// <summary>The store <see cref="QuerySnapshotAsync"/> reads (set by the <see cref="RecordingStore"/> that publishes here).</summary>
    internal IDocumentStore? Store { get; set; }

    /// <summary>
    /// Runs <paramref name="action"/> once, at the next <see cref="QuerySnapshotAsync"/>, before it reads: in
    /// <c>Subscribe</c> that is after the subscription is registered, so a write made there commits in between.
    /// </summary>
    public void BeforeNextSnapshot(Func<Task> action) => Interlocked.Exchange(ref _beforeSnapshot, action);

    public async Task<FeedSnapshot> QuerySnapshotAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _beforeSnapshot, null) is { } action)
        {
            await action();
        }

        var store = Store ?? throw new InvalidOperationException("No RecordingStore publishes to this feed.");
        await Commits.WaitAsync(cancellationToken);
        try
        {
            var documents = await store.QueryAsync(collection, query, cancellationToken);
            lock (_gate)
            {
                return new FeedSnapshot(documents, _changes.Count.ToString(CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            Commits.Release();
        }
    }

    /// <summary>
    /// Readers yield nothing more until <see cref="ReleaseReads"/>: changes published meanwhile are committed (in
    /// <see cref="GetPositionAsync"/>) but not read, as when the realtime reader lags behind the writers.
    /// </summary>
    public void HoldReads()
    {
        lock (_gate)
        {
            if (_readsHeld.Task.IsCompleted)
            {
                _readsHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _positionRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Lets readers go on (<see cref="HoldReads"/>).</summary>
    public void ReleaseReads()
    {
        lock (_gate)
        {
            _readsHeld.TrySetResult();
        }
    }

    /// <summary>Completes at the first <see cref="GetPositionAsync"/> since <see cref="HoldReads"/>.</summary>
    public Task PositionRead
    {
        get
        {
            lock (_gate)
            {
                return _positionRead.Task;
            }
        }
    }

    public bool PositionIsLatestChange => true;

    public int? ComparePositions(string a, string b) =>
        int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var left) && int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var right)
            ? left.CompareTo(right)
            : null;

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    /// <summary>The next <paramref name="count"/> reads fail as a store outage would.</summary>
    public void FailReads(int count) => Interlocked.Exchange(ref _failures, count);

    /// <summary>The reads in progress fail, as when the connection to the store drops.</summary>
    public void BreakReads()
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            Interlocked.Exchange(ref _breaks, 1);
            signal = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }

    public StoredChange Publish(string collection, string id, ChangeKind kind, JsonObject? before, JsonObject? after)
    {
        StoredChange change;
        TaskCompletionSource signal;
        lock (_gate)
        {
            change = new StoredChange((_changes.Count + 1).ToString(CultureInfo.InvariantCulture), collection, id, kind, before, after, time.GetUtcNow());
            _changes.Add(change);
            signal = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
        return change;
    }

    public Task<string> GetPositionAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _positionRead.TrySetResult();
            return Task.FromResult(_changes.Count.ToString(CultureInfo.InvariantCulture));
        }
    }

    public async IAsyncEnumerable<StoredChange> ReadAsync(string after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            throw new InvalidOperationException("The fake store is down.");
        }

        if (!int.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            throw new ChangeHistoryUnavailableException(after, "Not a position of this feed.");
        }

        while (true)
        {
            StoredChange[] ready;
            Task next;
            Task held;
            lock (_gate)
            {
                held = _readsHeld.Task;
            }

            await held.WaitAsync(cancellationToken);
            lock (_gate)
            {
                ready = [.. _changes.Skip(position)];
                next = _next.Task;
            }

            foreach (var change in ready)
            {
                yield return change;
            }

            position += ready.Length;
            if (ready.Length == 0)
            {
                await next.WaitAsync(cancellationToken);
                if (Interlocked.Exchange(ref _breaks, 0) == 1)
                {
                    throw new InvalidOperationException("The fake store dropped the connection.");
                }
            }
        }
    }
}

/// <summary>The real store, publishing each committed write of a user collection to a <see cref="FakeChangeFeed"/>.</summary>
public sealed class RecordingStore : IDocumentStore
{
    private readonly IDocumentStore inner;
    private readonly FakeChangeFeed feed;

    public RecordingStore(IDocumentStore inner, FakeChangeFeed feed)
    {
        this.inner = inner;
        this.feed = feed;
        feed.Store = inner;
    }

    public Task InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken = default) => inner.PingAsync(cancellationToken);

    public Task CreateCollectionAsync(string collection, CancellationToken cancellationToken = default) => inner.CreateCollectionAsync(collection, cancellationToken);

    public Task DropCollectionAsync(string collection, CancellationToken cancellationToken = default) => inner.DropCollectionAsync(collection, cancellationToken);

    public Task ApplyIndexesAsync(string collection, IReadOnlyList<IndexDefinition> indexes, CancellationToken cancellationToken = default) =>
        inner.ApplyIndexesAsync(collection, indexes, cancellationToken);

    public Task<JsonObject?> GetAsync(string collection, string id, CancellationToken cancellationToken = default) => inner.GetAsync(collection, id, cancellationToken);

    public Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default) =>
        inner.QueryAsync(collection, query, cancellationToken);

    public Task<long> CountAsync(string collection, FilterNode filter, TimeSpan? timeout, CancellationToken cancellationToken = default) => inner.CountAsync(collection, filter, timeout, cancellationToken);

    public bool CombinedWritesAreCheap => inner.CombinedWritesAreCheap;

    public async Task WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken cancellationToken = default)
    {
        // One writer at a time, so the before-images read here are the ones the write replaces, and no snapshot between
        // a write's commit and its publication.
        await feed.Commits.WaitAsync(cancellationToken);
        try
        {
            var state = new Dictionary<(string, string), JsonObject?>();
            var changes = new List<(string Collection, string Id, ChangeKind Kind, JsonObject? Before, JsonObject? After)>();
            foreach (var operation in operations)
            {
                var (id, kind, after) = operation switch
                {
                    InsertOperation insert => (insert.Document["_id"]!.GetValue<string>(), ChangeKind.Insert, insert.Document),
                    ReplaceOperation replace => (replace.Document["_id"]!.GetValue<string>(), ChangeKind.Replace, replace.Document),
                    DeleteOperation delete => (delete.Id, ChangeKind.Delete, (JsonObject?)null),
                    _ => throw new NotSupportedException(operation.GetType().Name),
                };
                var key = (operation.Collection, id);
                if (!state.TryGetValue(key, out var before))
                {
                    before = kind == ChangeKind.Insert ? null : await inner.GetAsync(operation.Collection, id, cancellationToken);
                }

                var copy = after?.DeepClone().AsObject();
                state[key] = copy;
                changes.Add((operation.Collection, id, kind, before, copy));
            }

            await inner.WriteAsync(operations, cancellationToken);
            foreach (var change in changes.Where(c => !c.Collection.StartsWith('_')))
            {
                feed.Publish(change.Collection, change.Id, change.Kind, change.Before, change.After);
            }
        }
        finally
        {
            feed.Commits.Release();
        }
    }
}
