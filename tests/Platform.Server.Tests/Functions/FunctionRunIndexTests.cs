using System.Buffers.Text;
using System.Collections.Immutable;
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
/// The indexes of <c>_function_runs</c> on SQLite: two (by function, by status, each newest first), every runs query
/// reads one of them (no table scan, no sort), an older data dir's third index is dropped at start-up, and retention
/// finds old runs of every status without an index on <c>startedAt</c> alone.
/// </summary>
public sealed class FunctionRunIndexTests : IDisposable
{
    private const string Table = "c__function_runs";
    private const string ByFunction = Table + "__ix_function_-startedAt";
    private const string ByStatus = Table + "__ix_status_-startedAt";

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
    public async Task RunIndexes_AreOneByFunctionAndOneByStatus()
    {
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store).RunAsync(Ct);
        }

        Assert.Equal([ByFunction, ByStatus], RunIndexNames());
    }

    [Fact]
    public async Task Startup_DropsTheStartedAtIndex_OfAnOlderDataDir_AndKeepsItsRuns()
    {
        // An older version's _function_runs: three indexes, the second one on startedAt alone.
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

        Assert.Contains(Table + "__ix_startedAt", RunIndexNames());

        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store).RunAsync(Ct);
            Assert.NotNull(await Runs(store).GetAsync("fn", "old-1", Ct));
        }

        Assert.Equal([ByFunction, ByStatus], RunIndexNames());
    }

    /// <summary>
    /// A page reads one index in the page's order and stops after it: SQLite searches the index, never scans the table,
    /// and sorts nothing but runs that started in the same millisecond (the index ends with the id ascending, the page
    /// wants it descending: "temp b-tree for last term" sorts each group of equal <c>startedAt</c> as the scan reaches it).
    /// </summary>
    private static void AssertReadsInOrder(string plan, params string[] indexes)
    {
        var lines = plan.Split('\n');
        Assert.True(lines[0].StartsWith("SEARCH " + Table + " USING INDEX ", StringComparison.Ordinal), plan);
        Assert.Contains(indexes, index => lines[0].Contains(" INDEX " + index + " (", StringComparison.Ordinal));
        Assert.All(lines[1..], line => Assert.Equal("USE TEMP B-TREE FOR LAST TERM OF ORDER BY", line));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ListQuery_ReadsTheFunctionIndex_InOrder(bool deadLetter)
    {
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store).RunAsync(Ct);
        }

        AssertReadsInOrder(Plan(FunctionRunStore.ListQuery("fn", null, deadLetter ? true : null, 50, cursor: null)), ByFunction);
        var cursor = Base64Url.EncodeToString("[\"2026-12-01T12:00:00.000Z\",\"r1\"]"u8);
        AssertReadsInOrder(Plan(FunctionRunStore.ListQuery("fn", null, deadLetter ? true : null, 50, cursor)), ByFunction);
    }

    [Fact]
    public async Task ListQuery_WithAStatus_ReadsARunIndex_InOrder()
    {
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store).RunAsync(Ct);
        }

        // Both indexes narrow it to one equality and read in order; without statistics SQLite may take either.
        AssertReadsInOrder(Plan(FunctionRunStore.ListQuery("fn", RunStatus.Failed, null, 50, cursor: null)), ByFunction, ByStatus);
        AssertReadsInOrder(Plan(FunctionRunStore.ListQuery("fn", RunStatus.Succeeded, false, 50, Base64Url.EncodeToString("[\"2026-12-01T12:00:00.000Z\",\"r1\"]"u8))), ByFunction, ByStatus);
    }

    [Fact]
    public async Task FailuresAndRetentionQueries_ReadTheStatusIndex_InOrder()
    {
        using (var store = await OpenAsync())
        {
            await new FunctionCollectionsInitializer(store).RunAsync(Ct);
        }

        AssertReadsInOrder(Plan(FunctionRunStore.FailuresQuery(RunStatus.Failed, 20)), ByStatus);
        AssertReadsInOrder(Plan(FunctionRunStore.RetentionQuery(RunStatus.Succeeded, Start, 500)), ByStatus);
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
