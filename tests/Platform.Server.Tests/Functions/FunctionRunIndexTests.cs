using System.Buffers.Text;
using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Functions;
using Platform.Server.Functions.Definitions;
using Platform.Server.Functions.Runs;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Sqlite;
using Platform.Server.Tests.Storage.Sqlite;

namespace Platform.Server.Tests.Functions;

/// <summary>
/// The index of <c>_function_runs</c> on SQLite: one, <c>(function, status, -startedAt)</c>; every runs query reads it
/// in order (no table scan, no sort), an older data dir's three indexes are replaced at start-up, and the reads merged
/// per status and per function list, find failures and delete old runs as one index per status and function would.
/// </summary>
public sealed class FunctionRunIndexTests : IDisposable
{
    private const string Table = "c__function_runs";
    private const string RunsIndex = Table + "__ix_function_status_-startedAt_-_id";

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

    private static FunctionRunRecord Run(string id, string function, RunStatus status, DateTimeOffset startedAt) =>
        new(id, function, 1, RunTrigger.Document, "e-" + id, 1, status, startedAt, 3, ["line"],
            status is RunStatus.Failed or RunStatus.TimedOut ? new FunctionError("boom") : null,
            null, status == RunStatus.Rejected ? new FunctionRejection(400, "no") : null, false, null, null);

    private async Task<SqliteDocumentStore> OpenAsync()
    {
        var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        return store;
    }

    // Not started: records are written at once.
    private FunctionRunStore Runs(IDocumentStore store)
    {
        var writer = new FunctionRunWriter(store, Options.Create(new FunctionOptions()), TimeProvider.System, NullLogger<FunctionRunWriter>.Instance);
        _writers.Add(writer);
        return new FunctionRunStore(store, writer);
    }

    private List<string> RunIndexNames()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{Table}' AND sql IS NOT NULL ORDER BY name";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private string Plan(DocumentQuery query)
    {
        var text = SqliteFilterTranslator.Select(Table, query, ImmutableHashSet<string>.Empty);
        using var session = SqliteSession.Open($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False", 1000);
        using var reader = session.Command("EXPLAIN QUERY PLAN " + text.Sql, text.Parameters).ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join("\n", lines);
    }

    [Fact]
    public async Task RunIndexes_AreOne_ByFunctionStatusAndStartedAt()
    {
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store).RunAsync(Ct);
        }

        Assert.Equal([RunsIndex], RunIndexNames());
    }

    [Fact]
    public async Task Startup_ReplacesTheThreeIndexes_OfAnOlderDataDir_AndKeepsItsRuns()
    {
        // An earlier version's _function_runs: by function, by startedAt, by status.
        using (var store = await OpenAsync())
        {
            await store.CreateCollectionAsync(FunctionRunJson.Collection, Ct);
            await store.ApplyIndexesAsync(
                FunctionRunJson.Collection,
                [
                    new IndexDefinition([new SortField("function"), new SortField("startedAt", Descending: true)]),
                    new IndexDefinition([new SortField("startedAt")]),
                    new IndexDefinition([new SortField("status"), new SortField("startedAt", Descending: true)]),
                ],
                Ct);
            await Runs(store).SaveAsync(Run("old-1", "fn", RunStatus.Succeeded, Start), Ct);
        }

        Assert.Equal([Table + "__ix_function_-startedAt", Table + "__ix_startedAt", Table + "__ix_status_-startedAt"], RunIndexNames());

        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store).RunAsync(Ct);
            Assert.NotNull(await Runs(store).GetAsync("fn", "old-1", Ct));
            Assert.Equal(["old-1"], (await Runs(store).ListAsync("fn", null, null, 10, null, Ct)).Items.Select(r => r.Id));
        }

        Assert.Equal([RunsIndex], RunIndexNames());
    }

    /// <summary>
    /// A read searches the index in the read's order and stops after it: never a scan of the table, and no sort at all,
    /// not even of runs that started in the same millisecond (the index ends with the id descending, the newest-first
    /// reads' tiebreak; before it did, "temp b-tree for last term" sorted each group of equal <c>startedAt</c>).
    /// </summary>
    private static void AssertSearchesTheIndex(string plan)
    {
        var lines = plan.Split('\n');
        Assert.True(lines[0].StartsWith("SEARCH " + Table + " USING INDEX " + RunsIndex + " (", StringComparison.Ordinal), plan);
        Assert.Equal([], lines[1..]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(true)]
    public async Task ListQuery_SearchesTheIndex_InOrder(bool? deadLetter)
    {
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store).RunAsync(Ct);
        }

        AssertSearchesTheIndex(Plan(FunctionRunStore.ListQuery("fn", RunStatus.Succeeded, deadLetter, 50, after: null)));
        var after = new[] { JsonSerializer.SerializeToElement("2026-12-01T12:00:00.000Z"), JsonSerializer.SerializeToElement("r1") };
        AssertSearchesTheIndex(Plan(FunctionRunStore.ListQuery("fn", RunStatus.Failed, deadLetter, 50, after)));
    }

    [Fact]
    public async Task FailuresRetentionAndFunctionQueries_SearchTheIndex_InOrder()
    {
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store).RunAsync(Ct);
        }

        AssertSearchesTheIndex(Plan(FunctionRunStore.FailuresQuery("fn", RunStatus.Failed, 20)));
        AssertSearchesTheIndex(Plan(FunctionRunStore.RetentionQuery("fn", RunStatus.Succeeded, Start, 500)));
        AssertSearchesTheIndex(Plan(FunctionRunStore.NextFunctionQuery("fn")));

        // The first function: the first entry of the index, read in its order.
        Assert.Equal("SCAN " + Table + " USING INDEX " + RunsIndex, Plan(FunctionRunStore.NextFunctionQuery(null)));
    }

    [Fact]
    public void NextFunctionQuery_SortsByTheFunctionAlone_SoMongoReadsOneIndexEntry()
    {
        // A sort with more fields than the index's first, in other directions than the index's, would make MongoDB sort
        // every later run to answer with one.
        var query = FunctionRunStore.NextFunctionQuery("fn");
        Assert.Equal(new MongoDB.Bson.BsonDocument("function", 1), Platform.Server.Storage.Mongo.MongoQueryTranslator.Sort(query.Sort));
        Assert.Equal(1, query.Limit);
    }

    [Fact]
    public async Task ListAndRecentFailures_MergeTheReadsPerStatusAndFunction()
    {
        using var store = await OpenAsync();
        await new FunctionCollectionsInitializer(store).RunAsync(Ct);
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
    public async Task DeleteOlderThan_DeletesTheOldestRunsOfEveryStatusFirst()
    {
        using var store = await OpenAsync();
        await new FunctionCollectionsInitializer(store).RunAsync(Ct);
        var runs = Runs(store);
        var statuses = Enum.GetValues<RunStatus>();
        for (var i = 0; i < 12; i++)
        {
            // Minutes 0-11, statuses in turn; runs 10 and 11 are newer than the cutoff.
            await runs.SaveAsync(Run($"r{i:00}", i % 2 == 0 ? "fn-a" : "fn-b", statuses[i % statuses.Length], Start.AddMinutes(i)), Ct);
        }

        var cutoff = Start.AddMinutes(10);

        Assert.Equal(3, await runs.DeleteOlderThanAsync(cutoff, 3, Ct));
        Assert.Equal(["r03", "r04", "r05", "r06", "r07", "r08", "r09", "r10", "r11"], await IdsAsync());
        Assert.Equal(7, await runs.DeleteOlderThanAsync(cutoff, 500, Ct));
        Assert.Equal(0, await runs.DeleteOlderThanAsync(cutoff, 500, Ct));
        Assert.Equal(["r10", "r11"], await IdsAsync());

        async Task<List<string>> IdsAsync()
        {
            var all = await store.QueryAsync(FunctionRunJson.Collection, new DocumentQuery(MatchAllNode.Instance, [new SortField(SystemFields.Id)], 100), Ct);
            return [.. all.Select(d => d[SystemFields.Id]!.GetValue<string>())];
        }
    }
}
