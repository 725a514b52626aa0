using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>
/// Issue 13, item 6: whatever else needs SQLite's write lock (change-log prune chunks, log resets, index builds, holds)
/// takes its turn among the writes, first come first served, on the store's writer thread. Before, the pruner took the
/// lock again right after each chunk, ahead of the writer thread it had just woken, and a write waited for the whole
/// prune (tens of thousands of changes every ten seconds under load). The tests record, with SQLite triggers, the order
/// in which the write connection deleted changes and inserted documents.
/// </summary>
public sealed class SqliteWriterTurnTests : IDisposable
{
    private const int Chunk = 500;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-turns-" + Guid.NewGuid().ToString("N"));

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

    private static InsertOperation Insert(string id) => new("tasks", new JsonObject { [SystemFields.Id] = id, [SystemFields.Version] = 1, ["title"] = "task " + id });

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False;Default Timeout=30");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>From now on, every change the store deletes and every document it inserts adds a row to <c>test_order</c>.</summary>
    private void RecordOrder()
    {
        using var connection = Connect();
        Execute(connection, "CREATE TABLE test_order (n INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL)");
        Execute(connection, "CREATE TRIGGER test_pruned AFTER DELETE ON baas_changes BEGIN INSERT INTO test_order (what) VALUES ('pruned'); END");
        Execute(connection, "CREATE TRIGGER test_written AFTER INSERT ON c_tasks BEGIN INSERT INTO test_order (what) VALUES (NEW.id); END");
    }

    private List<string> RecordedOrder()
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT what FROM test_order ORDER BY n";
        using var reader = command.ExecuteReader();
        var order = new List<string>();
        while (reader.Read())
        {
            order.Add(reader.GetString(0));
        }

        return order;
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

    /// <summary>
    /// Holds SQLite's write lock from another connection while the store's writer thread is inside a commit of
    /// <paramref name="head"/>, runs <paramref name="queue"/> (which queues work behind it), then lets go.
    /// </summary>
    private async Task QueueBehindABlockedCommitAsync(SqliteDocumentStore store, string head, Func<Task> queue)
    {
        using var blocker = Connect();
        Execute(blocker, "BEGIN IMMEDIATE");
        var headWrite = store.WriteAsync([Insert(head)], Ct);
        await WaitUntilAsync(() => store.QueuedWork == 0);
        await queue();
        Execute(blocker, "ROLLBACK");
        await headWrite.WaitAsync(Patience, Ct);
    }

    [Fact]
    public async Task WritesQueuedDuringAPrune_WaitForAtMostOneChunk()
    {
        using var store = SqliteStoreFixture.Open(_dataDir, changes: new ChangeFeedOptions { MaxRetained = 10 });
        await store.InitializeAsync(Ct);
        for (var batch = 0; batch < 20; batch++)
        {
            await store.WriteAsync([.. Enumerable.Range(0, Chunk).Select(i => (WriteOperation)Insert($"seed-{batch}-{i}"))], Ct);
        }

        RecordOrder();
        Task<long>? prune = null;
        Task[] writes = [];
        await QueueBehindABlockedCommitAsync(store, "head", async () =>
        {
            // The prune's first chunk queues behind the blocked commit, then four writes behind the chunk.
            prune = store.PruneChangesAsync(Ct);
            await WaitUntilAsync(() => store.QueuedWork == 1);
            writes = [.. Enumerable.Range(0, 4).Select(i => store.WriteAsync([Insert("w" + i)], Ct))];
            await WaitUntilAsync(() => store.QueuedWork == 5);
        });
        await Task.WhenAll(writes).WaitAsync(Patience, Ct);
        var removed = await prune!.WaitAsync(Patience, Ct);

        Assert.True(removed > 10 * Chunk, $"the prune removed {removed} changes: too few chunks to show anything");
        var order = RecordedOrder();
        var firstWrite = order.FindIndex(what => what.StartsWith('w'));
        var lastWrite = order.FindLastIndex(what => what.StartsWith('w'));
        Assert.True(firstWrite >= 0, "no write recorded");

        // The head, one chunk (the writes queued behind it), then the four writes as one group, then the rest.
        Assert.Equal("head", order[0]);
        Assert.Equal(Chunk, order.Take(firstWrite).Count(what => what == "pruned"));
        Assert.Equal(3, lastWrite - firstWrite);
        Assert.True(order.Skip(lastWrite).Count(what => what == "pruned") > 0, "the prune did not go on after the writes");
    }

    [Fact]
    public async Task WorkCancelledWhileQueued_NeverRuns_AndTheWriterGoesOn()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        var position = await store.GetPositionAsync(Ct);

        Task? hold = null;
        Task? write = null;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await QueueBehindABlockedCommitAsync(store, "head", async () =>
        {
            hold = store.SetHoldAsync("cancelled", position, cancel.Token);
            write = store.WriteAsync([Insert("after")], Ct);
            await WaitUntilAsync(() => store.QueuedWork == 2);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hold.WaitAsync(Patience, Ct));
        });

        await write!.WaitAsync(Patience, Ct);
        Assert.Empty(await store.GetHoldsAsync(Ct));
        Assert.NotNull(await store.GetAsync("tasks", "after", Ct));
    }

    [Fact]
    public async Task FailingWork_FailsItsCallerOnly_AndTheWriterGoesOn()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        await store.WriteAsync([Insert("a"), new InsertOperation("tasks", new JsonObject { [SystemFields.Id] = "b", [SystemFields.Version] = 1, ["title"] = "task a" })], Ct);

        // Two documents share a title: the unique index cannot be built.
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => store.ApplyIndexesAsync("tasks", [new IndexDefinition([new SortField("title")], Unique: true)], Ct));

        await store.WriteAsync([Insert("c")], Ct).WaitAsync(Patience, Ct);
        Assert.NotNull(await store.GetAsync("tasks", "c", Ct));
    }
}
