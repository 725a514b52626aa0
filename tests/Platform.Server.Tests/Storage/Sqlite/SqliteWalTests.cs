using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>
/// The write-ahead log stays within <c>Baas:Storage:SqliteMaxWalBytes</c> under steady reads and writes (issue 11), and
/// no write waits for a long checkpoint or a long reader (issue 13, item 6).
/// </summary>
public sealed class SqliteWalTests : IDisposable
{
    private const long Bound = 4L * 1024 * 1024;

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-wal-" + Guid.NewGuid().ToString("N"));

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

    private SqliteDocumentStore Open() => Open(new StorageOptions { SqliteMaxWalBytes = Bound, SqliteCheckpointInterval = TimeSpan.FromMilliseconds(200) });

    /// <summary>A store whose own checkpoint loop never comes round during a test: the test runs the rounds.</summary>
    private SqliteDocumentStore OpenManual(TimeSpan? checkpointWait = null) => Open(new StorageOptions
    {
        SqliteMaxWalBytes = Bound,
        SqliteCheckpointInterval = TimeSpan.FromMinutes(10),
        SqliteCheckpointWait = checkpointWait ?? TimeSpan.FromMinutes(1),
    });

    private SqliteDocumentStore Open(StorageOptions options) => new(
        Options.Create(options),
        Options.Create(new BaasOptions { DataDir = _dataDir }),
        Options.Create(new ChangeFeedOptions()),
        TimeProvider.System,
        NullLogger<SqliteDocumentStore>.Instance);

    private static InsertOperation Insert(string id, int n) => new("items", new JsonObject
    {
        [SystemFields.Id] = id,
        [SystemFields.Version] = 1,
        ["status"] = n % 3 == 0 ? "open" : "done",
        ["n"] = n,
        ["text"] = new string('x', 600),
    });

    [Fact]
    public async Task Wal_StaysWithinItsBound_UnderContinuousReadsAndWrites()
    {
        using var store = Open();
        await store.InitializeAsync(Ct);
        await store.ApplyIndexesAsync("items", [new IndexDefinition([new SortField("status"), new SortField("n", Descending: true)])], Ct);
        await store.WriteAsync([.. Enumerable.Range(0, 500).Select(i => (WriteOperation)Insert("seed" + i, i))], Ct);

        // Enough single-document commits to write several times the bound through the log (each is a few pages).
        const int Writes = 3000;
        var written = 0;
        var enoughWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var query = new DocumentQuery(FilterParser.Parse("""{"status": "open"}"""), [new SortField("n", Descending: true), new SortField(SystemFields.Id)], 20);
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(
            async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    await store.WriteAsync([Insert($"w{w}-{i}", i)], CancellationToken.None);
                    if (Interlocked.Increment(ref written) == Writes)
                    {
                        enoughWritten.TrySetResult();
                    }
                }
            },
            CancellationToken.None));
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(
            async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Assert.Equal(20, (await store.QueryAsync("items", query, CancellationToken.None)).Count);
                    Assert.NotNull(await store.GetAsync("items", "seed7", CancellationToken.None));
                }
            },
            CancellationToken.None));
        var load = Task.WhenAll([.. writers, .. readers]);

        await Task.WhenAny(enoughWritten.Task, load).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        // A round that gave up after SqliteWalResetWait (a loaded machine) is followed by another; past the bound for
        // SqliteCheckpointWait the fallback resets the log.
        WalCheckpoint during;
        do
        {
            during = await store.CheckpointAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        }
        while (during.Outcome == WalCheckpointOutcome.Busy);

        await stop.CancelAsync();
        await load;
        var after = await store.CheckpointAsync(Ct);
        await store.WriteAsync([Insert("last", 1)], Ct);

        // The file may pass the bound by what one interval commits; the first commit after a reset trims it back.
        Assert.True(Volatile.Read(ref written) >= Writes, $"only {written} writes");
        Assert.True(during.LogBytes <= Bound, $"WAL {during} under load, bound {Bound}");
        // Once the writes stop, the round finds the log growing slowly and may leave it (up to the bound) to a later reset.
        Assert.True(after.LogBytes <= Bound, $"WAL {after} after the load, bound {Bound}");
        Assert.True(store.WalBytes() <= Bound, $"WAL file {store.WalBytes()} bytes, bound {Bound}");
    }

    [Fact]
    public async Task Checkpoint_ResetsTheLog_OnceItHoldsHalfTheBound()
    {
        using var store = OpenManual();
        await store.InitializeAsync(Ct);
        await FillLogAsync(store, "a", Bound * 6 / 10);

        var round = await store.CheckpointAsync(Ct);
        Assert.Equal(WalCheckpointOutcome.Reset, round.Outcome);

        // The next commit writes the log from its beginning instead of after what is already there.
        Assert.Equal(WalCheckpointOutcome.None, await AssertLogRestartsAsync(store));
    }

    [Fact]
    public async Task Checkpoint_LeavesASlowlyGrowingLogPastHalfTheBound()
    {
        // Each reset holds the writes queued after it back for a moment (issue 13, item 6): a log that grows by about a
        // tenth of the bound per round is not reset at half of it, only once it could reach the bound by the round
        // after next.
        using var store = OpenManual();
        await store.InitializeAsync(Ct);
        await FillLogAsync(store, "a", Bound / 20);

        // A reader in the log keeps it from restarting by itself at the first commit after a copy that left nothing to
        // copy (as the reads of a busy server do): the log grows from round to round, as it does under load.
        var rounds = new List<WalCheckpoint>();
        await using (var reader = await OpenSnapshotAsync())
        {
            for (var tenths = 1; tenths <= 5; tenths++)
            {
                await FillLogAsync(store, "b" + tenths, Bound * tenths / 10);
                rounds.Add(await store.CheckpointAsync(Ct));
            }

            await FillLogAsync(store, "c", Bound * 6 / 10);
        }

        var last = await store.CheckpointAsync(Ct);
        Assert.All(rounds, r => Assert.Equal(WalCheckpointOutcome.None, r.Outcome));
        Assert.True(last.LogBytes > Bound / 2, $"log {last} after {string.Join(", ", rounds)}");
        Assert.Equal(WalCheckpointOutcome.None, last.Outcome);

        // The same log after fast growth is reset at once (Checkpoint_ResetsTheLog_OnceItHoldsHalfTheBound).
    }

    [Fact]
    public async Task Checkpoint_AfterABurst_ResetsAtHalfTheBound_EvenWhenTheLastRoundWasSlow()
    {
        // Writes come in bursts: the pace is the fastest of the last rounds, so one slow round does not let the next
        // burst carry the log past the bound.
        using var store = OpenManual();
        await store.InitializeAsync(Ct);
        await FillLogAsync(store, "a", Bound / 20);
        WalCheckpoint burst, slow;
        await using (var reader = await OpenSnapshotAsync())
        {
            await FillLogAsync(store, "b", Bound * 45 / 100);
            burst = await store.CheckpointAsync(Ct);
            await FillLogAsync(store, "c", Bound * 52 / 100);
        }

        slow = await store.CheckpointAsync(Ct);
        Assert.Equal(WalCheckpointOutcome.None, burst.Outcome);
        Assert.Equal(WalCheckpointOutcome.Reset, slow.Outcome);
    }

    [Theory]
    [InlineData(64, 0, 64)]
    [InlineData(64, 4, 56)]
    [InlineData(64, 16, 32)]
    [InlineData(64, 40, 32)]
    [InlineData(64, -1, 64)]
    public void ResetThreshold_LeavesRoomForTwoRoundsAtTheLastPace_NeverUnderHalfTheBound(long boundMiB, long grownMiB, long expectedMiB)
    {
        const long MiB = 1024 * 1024;
        Assert.Equal(expectedMiB * MiB, SqliteDocumentStore.ResetThreshold(boundMiB * MiB, grownMiB * MiB));
    }

    [Fact]
    public async Task Checkpoint_HoldsWritesBackOnlyForTheResetWait_WhileALongReaderKeepsTheLogPastTheBound()
    {
        // The fallback waits a minute: an old-style round that held writes back for the reader would not return.
        using var store = OpenManual(checkpointWait: TimeSpan.FromMinutes(1));
        await store.InitializeAsync(Ct);
        await FillLogAsync(store, "a", Bound / 4);

        await using (var reader = await OpenSnapshotAsync())
        {
            await FillLogAsync(store, "b", Bound * 5 / 4);

            // Each round waits a little for the reader (SqliteWalResetWait), gives up and lets the writes go on.
            for (var i = 0; i < 3; i++)
            {
                var round = await store.CheckpointAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
                Assert.Equal(WalCheckpointOutcome.Busy, round.Outcome);
                Assert.True(round.LogBytes > Bound, $"log {round.LogBytes} bytes");
                await store.WriteAsync([Insert("during" + i, 1)], Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            }

            // Writes go on while the reader keeps its snapshot.
            await store.WriteAsync([Insert("after-rounds", 1)], Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.NotNull(await store.GetAsync("items", "after-rounds", Ct));
        }

        // The reader is gone: the next round resets the log, and the commit after it trims the file to the bound.
        Assert.Equal(WalCheckpointOutcome.Reset, (await store.CheckpointAsync(Ct)).Outcome);
        await AssertLogRestartsAsync(store);
    }

    /// <summary>After a reset, one commit writes the log from its start: small, and the file within the bound.</summary>
    private static async Task<WalCheckpointOutcome> AssertLogRestartsAsync(SqliteDocumentStore store)
    {
        await store.WriteAsync([Insert("after", 1)], Ct);
        var next = await store.CheckpointAsync(Ct);
        Assert.InRange(next.LogBytes, 1, Bound / 8);
        Assert.True(next.FileBytes <= Bound, $"WAL file {next.FileBytes} bytes, bound {Bound}");
        return next.Outcome;
    }

    [Fact]
    public async Task Checkpoint_PastTheBound_FallsBackToALongWaitOnlyAfterTheLogStayedOverTheBoundThatLong()
    {
        using var store = OpenManual(checkpointWait: TimeSpan.FromSeconds(2));
        await store.InitializeAsync(Ct);
        await FillLogAsync(store, "a", Bound / 4);

        await using (var reader = await OpenSnapshotAsync())
        {
            await FillLogAsync(store, "b", Bound * 5 / 4);

            // Rounds hold writes back only for SqliteWalResetWait until the log has stayed past the bound for
            // SqliteCheckpointWait; then one holds them back for up to that long, and gives up as this reader stays.
            var outcomes = new List<WalCheckpointOutcome>();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            WalCheckpoint round;
            do
            {
                round = await store.CheckpointAsync(timeout.Token);
                outcomes.Add(round.Outcome);
                await store.WriteAsync([Insert("during" + outcomes.Count, 1)], timeout.Token);
            }
            while (round.Outcome is WalCheckpointOutcome.Busy);

            Assert.Equal(WalCheckpointOutcome.ForcedBusy, round.Outcome);
            Assert.True(outcomes.Count > 1, "the fallback held writes back at the first round");
        }

        var last = await store.CheckpointAsync(Ct);
        Assert.True(last.Outcome is WalCheckpointOutcome.Reset or WalCheckpointOutcome.Forced, $"{last}");
    }

    /// <summary>Single-document commits until the log file holds at least <paramref name="bytes"/>.</summary>
    private static async Task FillLogAsync(SqliteDocumentStore store, string prefix, long bytes)
    {
        for (var i = 0; store.WalBytes() < bytes; i++)
        {
            Assert.True(i < 100_000, "the log does not grow");
            await store.WriteAsync([Insert($"{prefix}{i}", i)], Ct);
        }
    }

    /// <summary>A reader in the middle of a read transaction: it keeps the snapshot it started with until disposed.</summary>
    private async Task<SqliteConnection> OpenSnapshotAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dataDir, "baas.db"), Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN";
        await begin.ExecuteNonQueryAsync(Ct);
        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT count(*) FROM c_items";
        Assert.True(Convert.ToInt64(await read.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture) > 0);
        return connection;
    }
}
