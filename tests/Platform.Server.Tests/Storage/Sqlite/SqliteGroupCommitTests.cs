using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Data.Sqlite;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>
/// Issue 13, item 2: concurrent writes share one transaction and commit, each fails or succeeds on its own, a batch
/// stays all-or-nothing, and a caller hears of its write only after the commit. Each test holds SQLite's write lock
/// from another connection so that the writes queue up behind it, then lets go and looks at what one commit did.
/// </summary>
public sealed class SqliteGroupCommitTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-group-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
    }

    private static JsonObject Doc(string id, long version = 1, string? extra = null) =>
        JsonNode.Parse($$"""{"_id":"{{id}}","_version":{{version}}{{(extra is null ? "" : "," + extra)}}}""")!.AsObject();

    private static InsertOperation Insert(string collection, string id, string? extra = null) => new(collection, Doc(id, 1, extra));

    /// <summary>Holds SQLite's write lock from a second connection until disposed.</summary>
    private SqliteConnection HoldWriteLock()
    {
        var blocker = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False");
        blocker.Open();
        using var begin = blocker.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        begin.ExecuteNonQuery();
        return blocker;
    }

    /// <summary>
    /// Starts <paramref name="first"/> (it is taken and waits for SQLite's lock inside its own commit), then the others,
    /// waits until they are all queued behind it, and releases the lock.
    /// </summary>
    private async Task<Task[]> QueueBehindABlockedCommitAsync(SqliteDocumentStore store, IReadOnlyList<WriteOperation> first, params IReadOnlyList<WriteOperation>[] others)
    {
        var blocker = HoldWriteLock();
        try
        {
            var head = store.WriteAsync(first, Ct);
            await WaitUntilAsync(() => store.QueuedWork == 0);
            var rest = others.Select(operations => store.WriteAsync(operations, Ct)).ToArray();
            await WaitUntilAsync(() => store.QueuedWork == others.Length);
            Assert.All(rest, task => Assert.False(task.IsCompleted));
            using (var rollback = blocker.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK";
                rollback.ExecuteNonQuery();
            }

            await head.WaitAsync(Patience, Ct);
            return rest;
        }
        finally
        {
            blocker.Dispose();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Patience);
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    private static async Task<Exception?> Outcome(Task write)
    {
        try
        {
            await write.WaitAsync(Patience, Ct);
            return null;
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            return ex;
        }
    }

    [Fact]
    public async Task ConcurrentWrites_ShareOneCommit()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Insert("tasks", "seed")], Ct);
        var before = store.Commits;

        var rest = await QueueBehindABlockedCommitAsync(
            store,
            [Insert("tasks", "head")],
            [.. Enumerable.Range(0, 20).Select(i => (IReadOnlyList<WriteOperation>)[Insert("tasks", "w" + i)])]);
        await Task.WhenAll(rest).WaitAsync(Patience, Ct);

        // The head alone, then the twenty that queued behind it together.
        Assert.Equal(2, store.Commits - before);
        Assert.Equal(22, await store.CountAsync("tasks", MatchAllNode.Instance, Ct));
    }

    [Fact]
    public async Task Commits_RunOnTheStoresOwnWriterThread_NotOnTheThreadPool()
    {
        // Under steady writes the loop never waits: on a pool thread it would hold one of a small machine's two for good.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new StorageMetrics(services.GetRequiredService<IMeterFactory>());
        var committedOn = new System.Collections.Concurrent.ConcurrentQueue<(string? Name, bool Pool)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == "baas.storage.sqlite.commit.writes")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => committedOn.Enqueue((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread)));
        listener.Start();
        using var store = await OpenWithMetricsAsync(metrics);

        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => store.WriteAsync([Insert("tasks", "w" + i)], Ct)));

        Assert.NotEmpty(committedOn);
        Assert.All(committedOn, c =>
        {
            Assert.False(c.Pool);
            Assert.Equal("baas-sqlite-writer", c.Name);
        });
    }

    [Fact]
    public async Task FailingWritesInAGroup_FailAlone_AndBatchesStayAtomic()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        await store.ApplyIndexesAsync("tasks", [new IndexDefinition([new SortField("code")], Unique: true)], Ct);
        await store.WriteAsync([Insert("tasks", "existing", "\"code\":\"X\""), Insert("tasks", "versioned")], Ct);
        var position = await store.GetPositionAsync(Ct);
        var before = store.Commits;

        var rest = await QueueBehindABlockedCommitAsync(
            store,
            [Insert("tasks", "head")],
            [Insert("tasks", "ok1")],
            [Insert("tasks", "existing")],
            [new ReplaceOperation("tasks", Doc("versioned", 3, "\"edited\":true"), ExpectedVersion: 2)],
            [Insert("tasks", "batch-a"), Insert("tasks", "batch-b"), Insert("tasks", "existing")],
            [Insert("brand-new", "n1"), Insert("tasks", "existing")],
            [Insert("tasks", "dup-code", "\"code\":\"X\"")],
            [new DeleteOperation("tasks", "versioned", ExpectedVersion: 7)],
            [Insert("tasks", "ok2"), new ReplaceOperation("tasks", Doc("versioned", 2, "\"edited\":true"), ExpectedVersion: 1)]);
        var outcomes = await Task.WhenAll(rest.Select(Outcome));

        Assert.Null(outcomes[0]);
        Assert.Equal("existing", Assert.IsType<DuplicateIdException>(outcomes[1]).Id);
        Assert.IsType<VersionMismatchException>(outcomes[2]);
        Assert.Equal(2, Assert.IsType<DuplicateIdException>(outcomes[3]).OpIndex);
        Assert.Equal(1, Assert.IsType<DuplicateIdException>(outcomes[4]).OpIndex);
        Assert.Equal("ux_code", Assert.IsType<UniqueIndexViolationException>(outcomes[5]).IndexName);
        Assert.IsType<VersionMismatchException>(outcomes[6]);
        Assert.Null(outcomes[7]);
        Assert.Equal(2, store.Commits - before);

        var ids = (await store.QueryAsync("tasks", new DocumentQuery(MatchAllNode.Instance, [new SortField("_id")], 100), Ct))
            .Select(d => (string)d["_id"]!).ToList();
        Assert.Equal(["existing", "head", "ok1", "ok2", "versioned"], ids);
        Assert.True((bool)(await store.GetAsync("tasks", "versioned", Ct))!["edited"]!);
        Assert.Null(await store.GetAsync("brand-new", "n1", Ct));

        // The change log holds exactly the committed writes, numbered without gaps.
        var changes = new List<string>();
        using var read = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        read.CancelAfter(Patience);
        await foreach (var change in store.ReadAsync(position, read.Token))
        {
            changes.Add(change.Kind + ":" + change.Id);
            if (changes.Count == 4)
            {
                break;
            }
        }

        Assert.Equal(["Insert:head", "Insert:ok1", "Insert:ok2", "Replace:versioned"], changes);
        Assert.Equal(SqlitePositions.Sequence(await store.GetPositionAsync(Ct)), SqlitePositions.Sequence(position) + 4);
    }

    [Fact]
    public async Task GroupWithAFailingWriteInTheMiddle_IsRunAgainWithSavepoints_AndTheChangeLogHasNoGapOrDuplicate()
    {
        // A group runs without savepoints first; the failing write rolls the whole transaction back, and the rerun (a
        // savepoint per write) commits the others once. Each committed write must appear in the change log exactly once,
        // numbered right after the one before, and the feed's position must follow the rerun's numbers, not the first run's.
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new StorageMetrics(services.GetRequiredService<IMeterFactory>());
        var reruns = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == "baas.storage.sqlite.commit.reruns")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref reruns, value));
        listener.Start();
        using var store = await OpenWithMetricsAsync(metrics);
        await store.WriteAsync([Insert("tasks", "existing"), Insert("tasks", "versioned")], Ct);
        var position = await store.GetPositionAsync(Ct);

        var clean = await QueueBehindABlockedCommitAsync(store, [Insert("tasks", "head")], [Insert("tasks", "c1")], [Insert("tasks", "c2")]);
        await Task.WhenAll(clean).WaitAsync(Patience, Ct);
        Assert.Equal(0, Interlocked.Read(ref reruns));

        var before = store.Commits;
        var rest = await QueueBehindABlockedCommitAsync(
            store,
            [Insert("tasks", "head2")],
            [Insert("tasks", "ok1")],
            [new ReplaceOperation("tasks", Doc("versioned", 2, "\"edited\":true"), ExpectedVersion: 1)],
            [Insert("fresh", "f1")],
            [Insert("tasks", "existing")],
            [Insert("tasks", "ok2", "\"tags\":[\"blue\"]")],
            [new DeleteOperation("tasks", "c1")]);
        var outcomes = await Task.WhenAll(rest.Select(Outcome));

        Assert.Equal(1, Interlocked.Read(ref reruns));
        Assert.Equal(2, store.Commits - before);
        Assert.Null(outcomes[0]);
        Assert.Null(outcomes[1]);
        Assert.Null(outcomes[2]);
        var duplicate = Assert.IsType<DuplicateIdException>(outcomes[3]);
        Assert.Equal(("tasks", "existing", 0), (duplicate.Collection, duplicate.Id, duplicate.OpIndex));
        Assert.Null(outcomes[4]);
        Assert.Null(outcomes[5]);
        Assert.NotNull(await store.GetAsync("fresh", "f1", Ct));
        Assert.Null(await store.GetAsync("tasks", "c1", Ct));
        await store.WriteAsync([Insert("tasks", "later")], Ct);

        var changes = new List<StoredChange>();
        using var read = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        read.CancelAfter(Patience);
        await foreach (var change in store.ReadAsync(position, read.Token))
        {
            changes.Add(change);
            if (changes.Count == 10)
            {
                break;
            }
        }

        Assert.Equal(
            ["Insert:head", "Insert:c1", "Insert:c2", "Insert:head2", "Insert:ok1", "Replace:versioned", "Insert:f1", "Insert:ok2", "Delete:c1", "Insert:later"],
            changes.Select(c => c.Kind + ":" + c.Id));
        var start = SqlitePositions.Sequence(position);
        Assert.Equal(
            Enumerable.Range(1, 10).Select(i => start + i),
            changes.Select(c => SqlitePositions.Sequence(c.Sequence)));
        Assert.Equal(start + 10, SqlitePositions.Sequence(await store.GetPositionAsync(Ct)));
    }

    [Fact]
    public async Task RolledBackWriteInAGroup_LeavesTheArrayPathsItPublished_Recorded()
    {
        using (var store = SqliteStoreFixture.Open(_dataDir))
        {
            await store.InitializeAsync(Ct);
            await store.WriteAsync([Insert("tasks", "existing")], Ct);

            var rest = await QueueBehindABlockedCommitAsync(
                store,
                [Insert("tasks", "head")],
                [Insert("tasks", "fails", "\"tags\":[\"red\"]"), Insert("tasks", "existing")],
                [Insert("tasks", "kept", "\"tags\":[\"blue\"]")]);
            var outcomes = await Task.WhenAll(rest.Select(Outcome));
            Assert.IsType<DuplicateIdException>(outcomes[0]);
            Assert.Null(outcomes[1]);
        }

        await AssertBlueTagsMatchAfterRestartAsync("kept");
    }

    /// <summary>After a restart the store knows "tags" only from its table: the array must still be matched by element.</summary>
    private async Task AssertBlueTagsMatchAfterRestartAsync(string expectedId, string? untaggedId = null)
    {
        using var reopened = SqliteStoreFixture.Open(_dataDir);
        await reopened.InitializeAsync(Ct);
        var found = await reopened.QueryAsync("tasks", new DocumentQuery(FilterParser.Parse("""{"tags":"blue"}"""), [new SortField("_id")], 10), Ct);
        Assert.Equal(expectedId, (string)Assert.Single(found)["_id"]!);
        if (untaggedId is not null)
        {
            Assert.Null((await reopened.GetAsync("tasks", untaggedId, Ct))!["tags"]);
        }
    }

    [Fact]
    public async Task FailedLoneInsertInAGroup_KeepsTheArrayPathItPublished_ForLaterWrites()
    {
        // A lone insert that fails in a group: the array path it published to readers must still be in the table, or
        // a later write with an array there (which skips the path, known in memory) would leave the path unknown after
        // a restart.
        using (var store = SqliteStoreFixture.Open(_dataDir))
        {
            await store.InitializeAsync(Ct);
            await store.WriteAsync([Insert("tasks", "existing")], Ct);

            var rest = await QueueBehindABlockedCommitAsync(
                store,
                [Insert("tasks", "head")],
                [Insert("tasks", "existing", "\"tags\":[\"red\"]")],
                [Insert("tasks", "ok")]);
            var outcomes = await Task.WhenAll(rest.Select(Outcome));
            Assert.IsType<DuplicateIdException>(outcomes[0]);
            Assert.Null(outcomes[1]);
            await store.WriteAsync([Insert("tasks", "later", "\"tags\":[\"blue\"]")], Ct);
        }

        await AssertBlueTagsMatchAfterRestartAsync("later", untaggedId: "existing");
    }

    [Fact]
    public async Task QueuedWrite_CancelledBeforeItsGroup_NeverRuns()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Insert("tasks", "seed")], Ct);

        var blocker = HoldWriteLock();
        try
        {
            var head = store.WriteAsync([Insert("tasks", "head")], Ct);
            await WaitUntilAsync(() => store.QueuedWork == 0);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var cancelled = store.WriteAsync([Insert("tasks", "cancelled")], cancel.Token);
            await WaitUntilAsync(() => store.QueuedWork == 1);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Patience, Ct));
            using (var rollback = blocker.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK";
                rollback.ExecuteNonQuery();
            }

            await head.WaitAsync(Patience, Ct);
        }
        finally
        {
            blocker.Dispose();
        }

        await store.WriteAsync([Insert("tasks", "after")], Ct);
        Assert.Null(await store.GetAsync("tasks", "cancelled", Ct));
        Assert.NotNull(await store.GetAsync("tasks", "after", Ct));
    }

    [Fact]
    public async Task GroupCommitMaxOperations_One_CommitsEveryWriteAlone()
    {
        using var store = SqliteStoreFixture.Open(_dataDir, storage: new StorageOptions { SqliteGroupCommitMaxOperations = 1 });
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Insert("tasks", "seed")], Ct);
        var before = store.Commits;

        var rest = await QueueBehindABlockedCommitAsync(
            store,
            [Insert("tasks", "head")],
            [.. Enumerable.Range(0, 5).Select(i => (IReadOnlyList<WriteOperation>)[Insert("tasks", "w" + i)])]);
        await Task.WhenAll(rest).WaitAsync(Patience, Ct);

        Assert.Equal(6, store.Commits - before);
    }

    [Fact]
    public async Task Dispose_CommitsQueuedWork_AndRefusesLaterOnes()
    {
        var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Insert("tasks", "seed")], Ct);
        Task[] queued;
        var blocker = HoldWriteLock();
        try
        {
            var head = store.WriteAsync([Insert("tasks", "head")], Ct);
            await WaitUntilAsync(() => store.QueuedWork == 0);
            queued = [head, store.WriteAsync([Insert("tasks", "queued")], Ct)];
            await WaitUntilAsync(() => store.QueuedWork == 1);
        }
        finally
        {
            blocker.Dispose();
        }

        store.Dispose();
        await Task.WhenAll(queued).WaitAsync(Patience, Ct);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.WriteAsync([Insert("tasks", "late")], Ct));

        using var reopened = SqliteStoreFixture.Open(_dataDir);
        await reopened.InitializeAsync(Ct);
        Assert.NotNull(await reopened.GetAsync("tasks", "queued", Ct));
    }

    private async Task<SqliteDocumentStore> OpenWithMetricsAsync(StorageMetrics metrics)
    {
        var store = new SqliteDocumentStore(
            Options.Create(new StorageOptions()),
            Options.Create(new BaasOptions { DataDir = _dataDir }),
            Options.Create(new ChangeFeedOptions()),
            TimeProvider.System,
            NullLogger<SqliteDocumentStore>.Instance,
            metrics);
        await store.InitializeAsync(Ct);
        return store;
    }
}
