using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Functions;
using Platform.Server.Functions.Definitions;
using Platform.Server.Functions.Runs;
using Platform.Server.Storage;
using Platform.Server.Storage.Sqlite;
using Platform.Server.Tests.Storage.Sqlite;

namespace Platform.Server.Tests.Functions;

/// <summary>
/// Run records on SQLite: a table of their own, <c>baas_function_runs</c>, with one plain-column index
/// <c>(function, status, started_at, id)</c>; every runs read searches it in order (no table scan, no sort),
/// an older data dir's <c>_function_runs</c> collection is moved into it at start-up, and the reads merged per status
/// and per function list, find failures and delete old runs as one index per status and function would.
/// </summary>
public sealed class FunctionRunIndexTests : IDisposable
{
    private const string Table = SqliteDocumentStore.RunsTable;
    private const string RunsIndex = SqliteDocumentStore.RunsIndex;
    private const string OldTable = "c__function_runs";

    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "function-runs-" + Guid.NewGuid().ToString("N"));

    private readonly List<FunctionRunWriter> _writers = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (var writer in _writers)
        {
            writer.Dispose();
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
    }

    private static FunctionRunRecord Run(string id, string function, RunStatus status, DateTimeOffset startedAt, bool deadLetter = false) =>
        new(id, function, 1, RunTrigger.Document, "e-" + id, 1, status, startedAt, 3, ["line"],
            status is RunStatus.Failed or RunStatus.TimedOut ? new FunctionError("boom") : null,
            null, status == RunStatus.Rejected ? new FunctionRejection(400, "no") : null, deadLetter, null, null);

    private async Task<SqliteDocumentStore> OpenAsync()
    {
        var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        return store;
    }

    // Not started: records are written at once.
    private FunctionRunStore Runs(IDocumentStore store, IFunctionRunStorage storage)
    {
        var writer = new FunctionRunWriter(store, storage, Options.Create(new FunctionOptions()), TimeProvider.System, NullLogger<FunctionRunWriter>.Instance);
        _writers.Add(writer);
        return new FunctionRunStore(store, storage, writer);
    }

    private FunctionRunStore Runs(SqliteDocumentStore store) => Runs(store, new SqliteFunctionRunStorage(store));

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private List<string> Column(string sql)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private string Plan(string sql, object[] parameters)
    {
        using var session = SqliteSession.Open($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False", 1000);
        using var reader = session.Command("EXPLAIN QUERY PLAN " + sql, parameters).ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join("\n", lines);
    }

    /// <summary>One search of the runs index, in the read's order, and nothing else: no scan of the table, no sort.</summary>
    private static void AssertSearchesTheIndex(string plan, string searched)
    {
        Assert.Equal($"SEARCH {Table} USING INDEX {RunsIndex} ({searched})", plan);
    }

    [Fact]
    public async Task Startup_CreatesTheRunsTable_WithOnePlainColumnIndex_AndNoCollection()
    {
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store, new SqliteFunctionRunStorage(store)).RunAsync(Ct);
        }

        Assert.Equal([RunsIndex], Column($"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{Table}' AND sql IS NOT NULL"));
        Assert.Equal(
            [$"CREATE INDEX {RunsIndex} ON {Table} (function, status, started_at, id)"],
            Column($"SELECT sql FROM sqlite_master WHERE name = '{RunsIndex}'"));
        Assert.Empty(Column($"SELECT name FROM sqlite_master WHERE name = '{OldTable}'"));
    }

    [Fact]
    public async Task Startup_MovesTheRunsOfAnOlderDataDirsCollection_IntoTheTable_AndDropsTheCollection()
    {
        FunctionRunRecord[] old =
        [
            Run("old-1", "fn", RunStatus.Succeeded, Start),
            Run("old-2", "fn", RunStatus.Failed, Start.AddMinutes(1), deadLetter: true),
            Run("old-3", "other", RunStatus.TimedOut, Start.AddMinutes(2)),
        ];

        // Written as earlier versions did: documents of the _function_runs collection, with its expression index.
        using (var store = await OpenAsync())
        {
            var collection = new DocumentFunctionRunStorage(store);
            await collection.InitializeAsync(Ct);
            await Runs(store, collection).SaveAsync(old[0], Ct);
            await store.WriteAsync([collection.Insert(old[1]), collection.Insert(old[2])], Ct);
        }

        Assert.Equal(["old-1", "old-2", "old-3"], Column($"SELECT id FROM {OldTable} ORDER BY id"));

        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store, new SqliteFunctionRunStorage(store)).RunAsync(Ct);
            var runs = Runs(store);
            foreach (var run in old)
            {
                var moved = await runs.GetAsync(run.Function, run.Id, Ct);
                Assert.NotNull(moved);
                Assert.Equal(FunctionRunJson.ToJson(run).ToJsonString(), FunctionRunJson.ToJson(moved).ToJsonString());
            }

            Assert.Equal(["old-2", "old-1"], (await runs.ListAsync("fn", null, null, 10, null, Ct)).Items.Select(r => r.Id));
            Assert.Equal(["old-2"], (await runs.ListAsync("fn", null, deadLetter: true, 10, null, Ct)).Items.Select(r => r.Id));
            Assert.Equal(["old-3", "old-2"], (await runs.RecentFailuresAsync(10, Ct)).Select(r => r.Id));

            // The collection is gone from the store too, not only from the file.
            Assert.Null(await store.GetAsync(FunctionRunJson.Collection, "old-1", Ct));
        }

        Assert.Empty(Column($"SELECT name FROM sqlite_master WHERE name = '{OldTable}'"));
        Assert.Equal(["fn|succeeded|2026-12-01T12:00:00.000Z|0", "fn|failed|2026-12-01T12:01:00.000Z|1", "other|timedOut|2026-12-01T12:02:00.000Z|0"],
            Column($"SELECT function || '|' || status || '|' || started_at || '|' || dead_letter FROM {Table} ORDER BY id"));

        // Once: a second start finds nothing to move.
        using (var store = await OpenAsync())
        {
            Assert.Equal(3, (await Runs(store).DeleteOlderThanAsync(Start.AddDays(1), 10, Ct)));
        }
    }

    [Fact]
    public async Task Startup_ReplacesAnEarlierVersionsDescendingIndex_AndReadsTheSameRuns()
    {
        FunctionRunRecord[] runs =
        [
            Run("r-1", "fn", RunStatus.Succeeded, Start),
            Run("r-2", "fn", RunStatus.Succeeded, Start.AddMinutes(1)),
            Run("r-3", "fn", RunStatus.Failed, Start.AddMinutes(2)),
        ];
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store, new SqliteFunctionRunStorage(store)).RunAsync(Ct);
            await Runs(store).SaveAsync(runs[0], Ct);
        }

        // As the previous version left it: its descending index in place of this one.
        using (var connection = Connect())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"DROP INDEX {RunsIndex}; CREATE INDEX {SqliteDocumentStore.OldRunsIndex} ON {Table} (function, status, started_at DESC, id DESC)";
            command.ExecuteNonQuery();
        }

        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store, new SqliteFunctionRunStorage(store)).RunAsync(Ct);
            var reopened = Runs(store);
            await reopened.SaveAsync(runs[1], Ct);
            await reopened.SaveAsync(runs[2], Ct);
            Assert.Equal(["r-3", "r-2", "r-1"], (await reopened.ListAsync("fn", null, null, 10, null, Ct)).Items.Select(r => r.Id));
        }

        Assert.Equal([RunsIndex], Column($"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{Table}' AND sql IS NOT NULL"));
    }

    [Fact]
    public async Task ARecordsRow_LeavesOutTheCollectionsSystemFields_AndReadsBackTheSame()
    {
        var run = Run("r-1", "fn", RunStatus.Succeeded, Start) with { Result = new System.Text.Json.Nodes.JsonObject { ["data"] = new System.Text.Json.Nodes.JsonObject { ["n"] = 1 } } };
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store, new SqliteFunctionRunStorage(store)).RunAsync(Ct);
            var runs = Runs(store);
            await runs.SaveAsync(run, Ct);
            var read = await runs.GetAsync("fn", "r-1", Ct);
            Assert.Equal(FunctionRunJson.ToJson(run).ToJsonString(), FunctionRunJson.ToJson(read!).ToJsonString());
        }

        var data = System.Text.Json.Nodes.JsonNode.Parse(Assert.Single(Column($"SELECT data FROM {Table}")))!.AsObject();
        Assert.Equal("r-1", data[SystemFields.Id]!.GetValue<string>());
        Assert.DoesNotContain(data, p => p.Key is SystemFields.Version or SystemFields.CreatedAt or SystemFields.UpdatedAt or SystemFields.CreatedBy);
    }

    [Fact]
    public async Task EveryRead_SearchesTheIndex_InOrder_WithoutASort()
    {
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store, new SqliteFunctionRunStorage(store)).RunAsync(Ct);
        }

        var after = new RunKey("2026-12-01T12:00:00.000Z", "r1");
        var (sql, parameters) = SqliteFunctionRunStorage.NewestRead("fn", RunStatus.Succeeded, null, null, 51);
        AssertSearchesTheIndex(Plan(sql, parameters), "function=? AND status=?");
        (sql, parameters) = SqliteFunctionRunStorage.NewestRead("fn", RunStatus.Failed, null, after, 51);
        AssertSearchesTheIndex(Plan(sql, parameters), "function=? AND status=? AND (started_at,id)<(?,?)");

        // The dead-letter condition is checked on the rows the search finds (only failures are dead letters).
        (sql, parameters) = SqliteFunctionRunStorage.NewestRead("fn", RunStatus.Failed, true, null, 51);
        AssertSearchesTheIndex(Plan(sql, parameters), "function=? AND status=?");
        (sql, parameters) = SqliteFunctionRunStorage.NewestRead("fn", RunStatus.Failed, true, after, 51);
        AssertSearchesTheIndex(Plan(sql, parameters), "function=? AND status=? AND (started_at,id)<(?,?)");

        // Retention: the ids from the same index, oldest first, without reading a record (covering), then the rows by
        // their primary key.
        var retention = Plan(SqliteDocumentStore.DeleteOldestRunsSql, ["fn", "succeeded", "2026-12-01T12:00:00.000Z", 500]);
        Assert.Contains($"SEARCH {Table} USING COVERING INDEX {RunsIndex} (function=? AND status=? AND started_at<?)", retention, StringComparison.Ordinal);
        Assert.Contains($"sqlite_autoindex_{Table}_1 (id=?)", retention, StringComparison.Ordinal);
        Assert.DoesNotContain("SCAN", retention, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", retention, StringComparison.Ordinal);

        // The functions that have runs: the index's first column, one entry each.
        Assert.Equal($"SEARCH {Table} USING COVERING INDEX {RunsIndex} (function>?)", Plan(SqliteFunctionRunStorage.NextFunctionSql, ["fn"]));
        Assert.Equal($"SCAN {Table} USING COVERING INDEX {RunsIndex}", Plan(SqliteFunctionRunStorage.FirstFunctionSql, []));

        // A run by id: the primary key.
        Assert.Equal($"SEARCH {Table} USING INDEX sqlite_autoindex_{Table}_1 (id=?)", Plan(SqliteDocumentStore.GetRunSql, ["r1"]));
    }

    [Fact]
    public void NextFunctionQuery_SortsByTheFunctionAlone_SoMongoReadsOneIndexEntry()
    {
        // A sort with more fields than the index's first, in other directions than the index's, would make MongoDB sort
        // every later run to answer with one.
        var query = DocumentFunctionRunStorage.NextFunctionQuery("fn");
        Assert.Equal(new MongoDB.Bson.BsonDocument("function", 1), Platform.Server.Storage.Mongo.MongoQueryTranslator.Sort(query.Sort));
        Assert.Equal(1, query.Limit);
    }

    [Fact]
    public async Task ListAndRecentFailures_MergeTheReadsPerStatusAndFunction()
    {
        using var store = await OpenAsync();
        var runs = Runs(store);
        var statuses = Enum.GetValues<RunStatus>();
        for (var i = 0; i < 12; i++)
        {
            await runs.SaveAsync(Run($"r{i:00}", i % 3 == 0 ? "fn-b" : "fn-a", statuses[i % statuses.Length], Start.AddMinutes(i)), Ct);
        }

        // fn-a: r01 r02 r04 r05 r07 r08 r10 r11, every status among them; pages of 3, newest first.
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await runs.ListAsync("fn-a", null, null, 3, cursor, Ct);
            Assert.True(page.Items.Count == 3 || page.NextCursor is null);
            ids.AddRange(page.Items.Select(r => r.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(["r11", "r10", "r08", "r07", "r05", "r04", "r02", "r01"], ids);
        Assert.Equal(["r05", "r01"], (await runs.ListAsync("fn-a", RunStatus.Failed, null, 10, null, Ct)).Items.Select(r => r.Id));

        // Failed (1, 5, 9) and timed out (2, 6, 10), of both functions.
        Assert.Equal(["r10", "r09", "r06", "r05"], (await runs.RecentFailuresAsync(4, Ct)).Select(r => r.Id));
    }

    [Fact]
    public async Task ListAfterACursor_ReadsRunsOfTheSameMillisecond_ByIdDescending()
    {
        using var store = await OpenAsync();
        var runs = Runs(store);
        foreach (var id in new[] { "a", "b", "c", "d", "e" })
        {
            await runs.SaveAsync(Run(id, "fn", RunStatus.Succeeded, Start), Ct);
        }

        var first = await runs.ListAsync("fn", RunStatus.Succeeded, null, 2, null, Ct);
        var second = await runs.ListAsync("fn", RunStatus.Succeeded, null, 2, first.NextCursor, Ct);
        var third = await runs.ListAsync("fn", RunStatus.Succeeded, null, 2, second.NextCursor, Ct);
        Assert.Equal(["e", "d", "c", "b", "a"], first.Items.Concat(second.Items).Concat(third.Items).Select(r => r.Id));
        Assert.Null(third.NextCursor);
    }

    [Fact]
    public async Task ARecordWithAnIdThatIsThere_FailsItsWrite_AndTheWholeWrite()
    {
        using var store = await OpenAsync();
        var storage = new SqliteFunctionRunStorage(store);
        await store.WriteAsync([storage.Insert(Run("dup", "fn", RunStatus.Succeeded, Start))], Ct);
        await store.CreateCollectionAsync("docs", Ct);

        var failure = await Assert.ThrowsAsync<DuplicateIdException>(() => store.WriteAsync(
            [new InsertOperation("docs", new System.Text.Json.Nodes.JsonObject { [SystemFields.Id] = "d1", [SystemFields.Version] = 1 }), storage.Insert(Run("dup", "fn", RunStatus.Failed, Start))],
            Ct));
        Assert.Equal((FunctionRunJson.Collection, "dup", 1), (failure.Collection, failure.Id, failure.OpIndex));
        Assert.Null(await store.GetAsync("docs", "d1", Ct));
        Assert.Equal("succeeded", (await storage.GetAsync("dup", Ct))!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteOlderThan_DeletesAtMostABatchPerPass_OnlyRunsStartedBeforeTheCutoff()
    {
        using var store = await OpenAsync();
        var runs = Runs(store);
        var statuses = Enum.GetValues<RunStatus>();
        for (var i = 0; i < 12; i++)
        {
            // Minutes 0-11, statuses in turn; runs 10 and 11 are newer than the cutoff.
            await runs.SaveAsync(Run($"r{i:00}", i % 2 == 0 ? "fn-a" : "fn-b", statuses[i % statuses.Length], Start.AddMinutes(i)), Ct);
        }

        var cutoff = Start.AddMinutes(10);

        Assert.Equal(3, await runs.DeleteOlderThanAsync(cutoff, 3, Ct));
        Assert.Equal(9, Ids().Count);
        Assert.Contains("r10", Ids());
        Assert.Equal(7, await runs.DeleteOlderThanAsync(cutoff, 500, Ct));
        Assert.Equal(0, await runs.DeleteOlderThanAsync(cutoff, 500, Ct));
        Assert.Equal(["r10", "r11"], Ids());

        List<string> Ids() => Column($"SELECT id FROM {Table} ORDER BY id");
    }

    [Fact]
    public async Task DeleteOlderThan_DeletesARecordItCouldNotRead()
    {
        // Retention deletes by the plain columns: it reads no record, so one whose JSON is damaged goes like the others (a
        // pass that read the records to collect their ids failed on it, and every later pass did too).
        using var store = await OpenAsync();
        var runs = Runs(store);
        await runs.SaveAsync(Run("fine", "fn", RunStatus.Failed, Start), Ct);
        using (var connection = Connect())
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = $"INSERT INTO {Table} (id, function, status, started_at, dead_letter, data) VALUES ('damaged', 'fn', 'failed', '2026-12-01T11:59:00.000Z', 0, '{{not json')";
            insert.ExecuteNonQuery();
        }

        Assert.Equal(2, await runs.DeleteOlderThanAsync(Start.AddMinutes(1), 500, Ct));
        Assert.Empty(Column($"SELECT id FROM {Table}"));
    }
}
