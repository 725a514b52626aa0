using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Sqlite;
using Platform.Server.Tests.Storage.Changes;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>Issue 11 item 4: the change log is bounded in bytes, and holds keep what consumers still need.</summary>
public sealed class SqliteChangeLogBoundsTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-bounds-" + Guid.NewGuid().ToString("N"));

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

    private static JsonObject Doc(string id, long version, string payload) =>
        new() { [SystemFields.Id] = id, [SystemFields.Version] = version, ["payload"] = payload };

    private (long Rows, long Bytes) LogOnDisk()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), IFNULL(sum(IFNULL(length(CAST(before AS BLOB)), 0) + IFNULL(length(CAST(after AS BLOB)), 0)), 0) FROM baas_changes";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
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

    [Fact]
    public async Task ThousandUpsertsOfALargeDocument_KeepTheLogUnderMaxBytes()
    {
        const long maxBytes = 4 * 1024 * 1024;
        var payload = new string('x', 256 * 1024);
        using var store = SqliteStoreFixture.Open(_dataDir, changes: new ChangeFeedOptions { MaxBytes = maxBytes });
        await store.InitializeAsync(Ct);
        await store.WriteAsync([new InsertOperation("big", Doc("d", 1, payload))], Ct);
        long peak = 0;
        for (var version = 2; version <= 1000; version++)
        {
            await store.WriteAsync([new ReplaceOperation("big", Doc("d", version, payload), version - 1)], Ct);
            peak = Math.Max(peak, store.ChangeLogBytes);
        }

        // Each change holds two images of ~256 KiB; the bound allows about eight of them at a time.
        Assert.True(peak <= maxBytes + (600 * 1024), $"the log held {peak} bytes at its peak");
        var (rows, bytes) = LogOnDisk();
        Assert.Equal(bytes, store.ChangeLogBytes);
        Assert.True(bytes <= maxBytes, $"the log holds {bytes} bytes");
        Assert.InRange(rows, 2, 16);

        // What is kept is the newest, contiguous and readable.
        var changes = await ReadAsync(store, (1000 - rows).ToString(System.Globalization.CultureInfo.InvariantCulture), (int)rows);
        Assert.Equal(1000, changes[^1].After![SystemFields.Version]!.GetValue<long>());
        await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadAsync(store, "1", 1));
    }

    [Fact]
    public async Task ByteCount_SurvivesReopen_AndALoweredBoundPrunesAtTheNextRound()
    {
        var payload = new string('y', 64 * 1024);
        using (var store = SqliteStoreFixture.Open(_dataDir))
        {
            await store.InitializeAsync(Ct);
            for (var i = 0; i < 20; i++)
            {
                await store.WriteAsync([new InsertOperation("big", Doc("d" + i, 1, payload))], Ct);
            }
        }

        var (_, before) = LogOnDisk();
        using var reopened = SqliteStoreFixture.Open(_dataDir, changes: new ChangeFeedOptions { MaxBytes = 256 * 1024 });
        await reopened.InitializeAsync(Ct);
        Assert.Equal(before, reopened.ChangeLogBytes);

        await reopened.PruneChangesAsync(Ct);
        var (rows, bytes) = LogOnDisk();
        Assert.True(bytes <= 256 * 1024, $"the log holds {bytes} bytes");
        Assert.Equal(bytes, reopened.ChangeLogBytes);
        Assert.True(rows >= 1);
    }

    [Fact]
    public async Task Hold_KeepsChangesPastRetention_UntilMovedOrReleased()
    {
        var clock = new AdjustableTimeProvider();
        using var store = SqliteStoreFixture.Open(_dataDir, changes: new ChangeFeedOptions { Retention = TimeSpan.FromMinutes(10) }, time: clock);
        await store.InitializeAsync(Ct);
        for (var i = 1; i <= 5; i++)
        {
            await store.WriteAsync([new InsertOperation("things", Doc("d" + i, 1, "p"))], Ct);
        }

        await store.SetHoldAsync("functions:onThing", "2", Ct);
        Assert.Equal(2, SqlitePositions.Sequence(Assert.Single(await store.GetHoldsAsync(Ct), hold => hold.Key == "functions:onThing").Value));
        clock.Advance(TimeSpan.FromMinutes(11));

        // Everything is past retention; the hold at 2 keeps 3..5.
        Assert.Equal(2, await store.PruneChangesAsync(Ct));
        Assert.Equal(["d3", "d4", "d5"], (await ReadAsync(store, "2", 3)).Select(c => c.Id));

        await store.SetHoldAsync("functions:onThing", "4", Ct);
        Assert.Equal(2, await store.PruneChangesAsync(Ct));
        Assert.Equal("d5", Assert.Single(await ReadAsync(store, "4", 1)).Id);

        await store.ReleaseHoldAsync("functions:onThing", Ct);
        Assert.Empty(await store.GetHoldsAsync(Ct));
        Assert.Equal(0, await store.PruneChangesAsync(Ct)); // the newest change always stays
    }

    [Fact]
    public async Task Hold_IsDurable_ButTheBoundsWinOverIt()
    {
        using (var store = SqliteStoreFixture.Open(_dataDir))
        {
            await store.InitializeAsync(Ct);
            await store.WriteAsync([new InsertOperation("things", Doc("a", 1, "p"))], Ct);
            await store.SetHoldAsync("realtime:replay", "0", Ct);
        }

        using var reopened = SqliteStoreFixture.Open(_dataDir, changes: new ChangeFeedOptions { MaxRetained = 3 });
        await reopened.InitializeAsync(Ct);
        Assert.Equal(0, SqlitePositions.Sequence((await reopened.GetHoldsAsync(Ct))["realtime:replay"]));
        for (var i = 0; i < 5; i++)
        {
            await reopened.WriteAsync([new InsertOperation("things", Doc("b" + i, 1, "p"))], Ct);
        }

        Assert.Equal(3, await reopened.PruneChangesAsync(Ct));

        // The holder reads from its position and is told the history is gone: it records a gap.
        await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadAsync(reopened, "0", 1));
    }

    [Fact]
    public async Task SetHold_RefusesPositionsOfNoFeed()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        await Assert.ThrowsAsync<ArgumentException>(() => store.SetHoldAsync("x", "abc", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SetHoldAsync("x", "99", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SetHoldAsync("", "0", Ct));
    }
}
