using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Sqlite;
using Platform.Server.Tests.Storage.Changes;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>
/// What only the SQLite feed promises: positions (an epoch and a decimal sequence) that survive restarts but not a
/// restore, pruning by count and age.
/// </summary>
public sealed class SqliteChangeFeedTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-feed-" + Guid.NewGuid().ToString("N"));

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

    private static JsonObject Doc(string id, long version = 1) => new() { [SystemFields.Id] = id, [SystemFields.Version] = version };

    private static async Task InsertAsync(SqliteDocumentStore store, string collection, params string[] ids)
    {
        foreach (var id in ids)
        {
            await store.WriteAsync([new InsertOperation(collection, Doc(id))], Ct);
        }
    }

    private static async Task<List<StoredChange>> ReadAsync(IChangeFeed feed, string after, int count)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        var changes = new List<StoredChange>();
        await foreach (var change in feed.ReadAsync(after, limit.Token))
        {
            changes.Add(change);
            if (changes.Count == count)
            {
                break;
            }
        }

        return changes;
    }

    private void BackUp(string file)
    {
        // Online, with SQLite's backup API, as docs/deployment.md says.
        using var source = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False");
        using var target = new SqliteConnection($"Data Source={file};Pooling=False");
        source.Open();
        target.Open();
        source.BackupDatabase(target);
    }

    private void Restore(string file)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(Path.Combine(_dataDir, "baas.db" + suffix));
        }

        File.Copy(file, Path.Combine(_dataDir, "baas.db"));
    }

    [Fact]
    public async Task Resume_AfterRestoringABackup_RefusesPositionsPastTheBackup_AndKeepsThoseBeforeIt()
    {
        var backup = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-backup-" + Guid.NewGuid().ToString("N") + ".db");
        string beforeBackup;
        string lost;
        using (var store = SqliteStoreFixture.Open(_dataDir))
        {
            await store.InitializeAsync(Ct);
            await InsertAsync(store, "things", "a1", "a2");
            beforeBackup = await store.GetPositionAsync(Ct);
            await InsertAsync(store, "things", "a3");
            BackUp(backup);
            await InsertAsync(store, "things", "lost1");
            lost = await store.GetPositionAsync(Ct);
            await InsertAsync(store, "things", "lost2");
        }

        try
        {
            Restore(backup);
            using var restored = SqliteStoreFixture.Open(_dataDir);
            await restored.InitializeAsync(Ct);

            // The restored log numbers its next changes as the lost ones were: lost1's number is new1's now.
            await InsertAsync(restored, "things", "new1", "new2", "new3");
            Assert.Equal(SqlitePositions.Sequence(lost) + 2, SqlitePositions.Sequence(await restored.GetPositionAsync(Ct)));

            // A reader holding lost1's position would skip new1: it is told to start over instead.
            await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadAsync(restored, lost, 1));
            Assert.Null(restored.ComparePositions(lost, await restored.GetPositionAsync(Ct)));
            await Assert.ThrowsAsync<ArgumentException>(() => restored.SetHoldAsync("functions:x", lost, Ct));

            // A position from before the backup is in both histories: it resumes with what followed it in the restored one.
            Assert.Equal(["a3", "new1", "new2", "new3"], (await ReadAsync(restored, beforeBackup, 4)).Select(c => c.Id));
        }
        finally
        {
            File.Delete(backup);
        }
    }

    [Fact]
    public async Task Positions_OfEarlierStarts_StillResume_AndOrderWithNewOnes()
    {
        string first;
        using (var store = SqliteStoreFixture.Open(_dataDir))
        {
            await store.InitializeAsync(Ct);
            await InsertAsync(store, "things", "a");
            first = await store.GetPositionAsync(Ct);
        }

        using (var store = SqliteStoreFixture.Open(_dataDir))
        {
            await store.InitializeAsync(Ct);
            await InsertAsync(store, "things", "b");
        }

        using var reopened = SqliteStoreFixture.Open(_dataDir);
        await reopened.InitializeAsync(Ct);
        await InsertAsync(reopened, "things", "c");
        var now = await reopened.GetPositionAsync(Ct);
        Assert.NotEqual(first[..first.LastIndexOf('-')], now[..now.LastIndexOf('-')]);
        Assert.True(reopened.ComparePositions(first, now) < 0);
        Assert.Equal(["b", "c"], (await ReadAsync(reopened, first, 2)).Select(c => c.Id));

        // A bare number (a position handed out before epochs) reads as one of the current epoch.
        Assert.Equal(["b", "c"], (await ReadAsync(reopened, SqlitePositions.Sequence(first).ToString(CultureInfo.InvariantCulture), 2)).Select(c => c.Id));
    }

    private long CountEpochRows()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM baas_feed_epochs";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Start_DropsEpochsNoPositionResumesFrom_AndKeepsTheRest()
    {
        // Five starts, one change each: epoch i hands out position i + 1 and ends where start i + 1 began.
        var clock = new AdjustableTimeProvider();
        var options = new ChangeFeedOptions();
        var positions = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var store = SqliteStoreFixture.Open(_dataDir, changes: options, time: clock);
            await store.InitializeAsync(Ct);
            await InsertAsync(store, "things", "a" + i.ToString(CultureInfo.InvariantCulture));
            positions.Add(await store.GetPositionAsync(Ct));
            if (i == 4)
            {
                // Retention passes: the log keeps change 5 only (the high-water mark).
                clock.Advance(options.Retention + TimeSpan.FromMinutes(1));
                Assert.Equal(4, await store.PruneChangesAsync(Ct));
            }
        }

        Assert.Equal(5, CountEpochRows());
        using var reopened = SqliteStoreFixture.Open(_dataDir, changes: options, time: clock);
        await reopened.InitializeAsync(Ct);

        // Epochs 0-2 end at 1-3: the changes after those ends are gone, so no position of theirs resumes. Epoch 3 ends
        // at 4 (change 5 is held), epoch 4 at 5, the last sequence; then the current one.
        Assert.Equal(3, CountEpochRows());
        foreach (var gone in positions.Take(3))
        {
            await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadAsync(reopened, gone, 1));
        }

        Assert.Equal(["a4"], (await ReadAsync(reopened, positions[3], 1)).Select(c => c.Id));
        await InsertAsync(reopened, "things", "b");
        Assert.Equal(["b"], (await ReadAsync(reopened, positions[4], 1)).Select(c => c.Id));
        Assert.True(reopened.ComparePositions(positions[3], await reopened.GetPositionAsync(Ct)) < 0);
    }

    [Fact]
    public async Task Start_KeepsTheEpochOfAHeldPosition()
    {
        var clock = new AdjustableTimeProvider();
        var options = new ChangeFeedOptions();
        string held;
        using (var store = SqliteStoreFixture.Open(_dataDir, changes: options, time: clock))
        {
            await store.InitializeAsync(Ct);
            await InsertAsync(store, "things", "a");
            held = await store.GetPositionAsync(Ct);
            await store.SetHoldAsync("functions:audit", held, Ct);
        }

        for (var i = 0; i < 3; i++)
        {
            using var store = SqliteStoreFixture.Open(_dataDir, changes: options, time: clock);
            await store.InitializeAsync(Ct);
            await InsertAsync(store, "things", "b" + i.ToString(CultureInfo.InvariantCulture));
            clock.Advance(options.Retention + TimeSpan.FromMinutes(1));
            await store.PruneChangesAsync(Ct);
        }

        using var reopened = SqliteStoreFixture.Open(_dataDir, changes: options, time: clock);
        await reopened.InitializeAsync(Ct);

        // The hold (an after trigger's checkpoint) kept every change after it, so every epoch still resumes.
        Assert.Equal(5, CountEpochRows());
        Assert.Equal(["b0", "b1", "b2"], (await ReadAsync(reopened, held, 3)).Select(c => c.Id));
    }

    private long CountLogRows()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM baas_changes";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Positions_AreConsecutiveDecimals_StartingAtZero()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);

        Assert.Equal(0, SqlitePositions.Sequence(await store.GetPositionAsync(Ct)));
        await store.WriteAsync([new InsertOperation("things", Doc("a")), new InsertOperation("things", Doc("b"))], Ct);
        await InsertAsync(store, "things", "c");

        Assert.Equal([1L, 2L, 3L], (await ReadAsync(store, "0", 3)).Select(c => SqlitePositions.Sequence(c.Sequence)));
        Assert.Equal(3, SqlitePositions.Sequence(await store.GetPositionAsync(Ct)));
    }

    [Fact]
    public async Task Positions_SurviveReopen_AndAreNeverReused_EvenAfterEverythingExpired()
    {
        var clock = new AdjustableTimeProvider();
        var options = new ChangeFeedOptions();
        using (var store = SqliteStoreFixture.Open(_dataDir, changes: options, time: clock))
        {
            await store.InitializeAsync(Ct);
            await InsertAsync(store, "things", "a", "b", "c");
            clock.Advance(options.Retention + TimeSpan.FromMinutes(1));

            // All three expired; the newest stays as the high-water mark of the numbering.
            Assert.Equal(2, await store.PruneChangesAsync(Ct));
            Assert.Equal(0, await store.PruneChangesAsync(Ct));
        }

        Assert.Equal(1, CountLogRows());
        using var reopened = SqliteStoreFixture.Open(_dataDir, changes: options, time: clock);
        await reopened.InitializeAsync(Ct);

        Assert.Equal(3, SqlitePositions.Sequence(await reopened.GetPositionAsync(Ct)));
        await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadAsync(reopened, "1", 1));
        await InsertAsync(reopened, "things", "d");
        Assert.Equal(4, SqlitePositions.Sequence(Assert.Single(await ReadAsync(reopened, "3", 1)).Sequence));
    }

    [Fact]
    public async Task Prune_KeepsTheNewestMaxRetained_AndOnlyWhatIsOlderThanRetention()
    {
        var clock = new AdjustableTimeProvider();
        using var store = SqliteStoreFixture.Open(_dataDir, changes: new ChangeFeedOptions { MaxRetained = 5, Retention = TimeSpan.FromMinutes(10) }, time: clock);
        await store.InitializeAsync(Ct);
        await InsertAsync(store, "things", "a", "b", "c");
        clock.Advance(TimeSpan.FromMinutes(9));
        await InsertAsync(store, "things", "d", "e", "f", "g", "h");

        // By count: 8 changes, 5 kept (4..8). Nothing is old enough for the time limit yet.
        Assert.Equal(3, await store.PruneChangesAsync(Ct));
        Assert.Equal(["d", "e", "f", "g", "h"], (await ReadAsync(store, "3", 5)).Select(c => c.Id));
        await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadAsync(store, "2", 1));

        // By age (10 minutes): d..h were committed at +9 min, so at +11 min they stay and at +20 min they go.
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, await store.PruneChangesAsync(Ct));
        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(4, await store.PruneChangesAsync(Ct));
        Assert.Equal(1, CountLogRows());
        await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadAsync(store, "6", 1));
        Assert.Equal("h", Assert.Single(await ReadAsync(store, "7", 1)).Id);
    }

    [Fact]
    public async Task Prune_RemovesLargeBacklogsInChunks()
    {
        using var store = SqliteStoreFixture.Open(_dataDir, changes: new ChangeFeedOptions { MaxRetained = 10 });
        await store.InitializeAsync(Ct);
        for (var batch = 0; batch < 5; batch++)
        {
            await store.WriteAsync(
                Enumerable.Range(0, 1000).Select(i => (WriteOperation)new InsertOperation("bulk", Doc($"{batch}-{i}"))).ToList(),
                Ct);
        }

        Assert.Equal(4990, await store.PruneChangesAsync(Ct));
        Assert.Equal(10, CountLogRows());
        Assert.Equal(10, (await ReadAsync(store, "4990", 10)).Count);
    }

    [Fact]
    public async Task DropCollection_LogsNothing()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        await InsertAsync(store, "dropped", "a", "b");
        var position = await store.GetPositionAsync(Ct);

        await store.DropCollectionAsync("dropped", Ct);
        await InsertAsync(store, "other", "marker");

        var change = Assert.Single(await ReadAsync(store, position, 1));
        Assert.Equal(("other", "marker"), (change.Collection, change.Id));
        Assert.Equal(SqlitePositions.Sequence(position) + 1, SqlitePositions.Sequence(change.Sequence));
    }

    [Fact]
    public async Task Read_ManyWaitingReaders_AreAllWokenByOneCommit()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        var position = await store.GetPositionAsync(Ct);

        var readers = Enumerable.Range(0, 20).Select(_ => ReadAsync(store, position, 1)).ToList();
        await InsertAsync(store, "things", "a");

        foreach (var reader in readers)
        {
            Assert.Equal("a", Assert.Single(await reader).Id);
        }
    }
}
