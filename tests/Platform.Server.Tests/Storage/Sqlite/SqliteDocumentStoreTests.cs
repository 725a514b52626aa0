using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>What only the SQLite provider promises: its file, WAL, persistence of its array-path registry.</summary>
public sealed class SqliteDocumentStoreTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-store-" + Guid.NewGuid().ToString("N"), "nested");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(_dataDir)!, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
    }

    private static JsonObject Doc(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public async Task Initialize_CreatesDataDirAndFile_InWalMode()
    {
        using var store = SqliteStoreFixture.Open(_dataDir, "custom.db");

        await store.InitializeAsync(Ct);
        await store.InitializeAsync(Ct);

        var file = Path.Combine(_dataDir, "custom.db");
        Assert.True(File.Exists(file));
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar() as string);
        Assert.True(await store.PingAsync(Ct));
    }

    [Fact]
    public async Task Writer_KeepsStatementJournalsInMemory()
    {
        // A write of a group runs in a savepoint; past 64 KiB its statement journal would go to a temporary file that
        // the writer creates, writes and deletes once per group (a create with a before trigger's run record did).
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);

        Assert.Equal(2L, await store.WriterPragmaAsync("temp_store", Ct));

        // An index build sorts with SQLite's default (spilling to files past the cache size), then the writer goes back.
        await store.CreateCollectionAsync("journal_items", Ct);
        await store.WriteAsync([new InsertOperation("journal_items", Doc("""{"_id":"a","_version":1,"n":1}"""))], Ct);
        await store.ApplyIndexesAsync("journal_items", [new IndexDefinition([new SortField("n")], Unique: false)], Ct);
        Assert.Equal(2L, await store.WriterPragmaAsync("temp_store", Ct));
    }

    [Fact]
    public async Task Reopen_KeepsDocumentsIndexesAndArrayPaths()
    {
        using (var store = SqliteStoreFixture.Open(_dataDir))
        {
            await store.InitializeAsync(Ct);
            await store.ApplyIndexesAsync("things", [new IndexDefinition([new SortField("code")], Unique: true)], Ct);
            await store.WriteAsync(
            [
                new InsertOperation("things", Doc("""{"_id":"a","_version":1,"code":"A","tags":["red","blue"]}""")),
                new InsertOperation("things", Doc("""{"_id":"b","_version":1,"code":"B","tags":"green"}""")),
            ], Ct);
        }

        using var reopened = SqliteStoreFixture.Open(_dataDir);
        await reopened.InitializeAsync(Ct);

        var found = await reopened.QueryAsync("things", new DocumentQuery(FilterParser.Parse("""{"tags":"blue"}"""), [new SortField("_id")], 10), Ct);
        Assert.Equal("a", (string)found.Single()["_id"]!);
        var error = await Assert.ThrowsAsync<UniqueIndexViolationException>(() =>
            reopened.WriteAsync([new InsertOperation("things", Doc("""{"_id":"c","_version":1,"code":"A"}"""))], Ct));
        Assert.Equal("ux_code", error.IndexName);
    }

    [Fact]
    public async Task InsertGivenAsUtf8Json_StoresThoseBytes_RecordsItsArrayPaths_AndFailsLikeAnyInsert()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        await store.ApplyIndexesAsync("runs", [new IndexDefinition([new SortField("code")], Unique: true)], Ct);
        const string json = """{"_id":"r1","_version":1,"code":"A","logs":["x"],"result":{"data":{"tags":["red",{"deep":[1]}]}},"é\"s":{"list":[]}}""";

        await store.WriteAsync([new InsertOperation("runs", "r1", System.Text.Encoding.UTF8.GetBytes(json))], Ct);

        Assert.Equal(json, (await store.GetAsync("runs", "r1", Ct))!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        foreach (var (filter, expected) in new[] { ("""{"logs":"x"}""", 1), ("""{"result.data.tags":"red"}""", 1), ("""{"result.data.tags.deep":1}""", 1), ("""{"code":"A"}""", 1) })
        {
            Assert.Equal(expected, (await store.QueryAsync("runs", new DocumentQuery(FilterParser.Parse(filter), [new SortField("_id")], 10), Ct)).Count);
        }

        await Assert.ThrowsAsync<DuplicateIdException>(() => store.WriteAsync([new InsertOperation("runs", "r1", System.Text.Encoding.UTF8.GetBytes("""{"_id":"r1","_version":1,"code":"B"}"""))], Ct));
        var unique = await Assert.ThrowsAsync<UniqueIndexViolationException>(() => store.WriteAsync([new InsertOperation("runs", "r2", System.Text.Encoding.UTF8.GetBytes("""{"_id":"r2","_version":1,"code":"A"}"""))], Ct));
        Assert.Equal("ux_code", unique.IndexName);
    }

    [Theory]
    [InlineData("""{"_id":"a","n":1}""")]
    [InlineData("""{"_id":"a","tags":["x"],"o":{"list":[1,[2,{"in":[3]}]],"s":"[not an array]"},"e\u0073c":{"a":[]}}""")]
    [InlineData("""{"a":{"b":{"c":{"d":[{"e":{"f":[]}}]}}},"g":[[[]]]}""")]
    public void ArrayPaths_FromUtf8Json_AreThoseOfTheNodeTree(string json)
    {
        var known = System.Collections.Immutable.ImmutableHashSet.Create<string>(StringComparer.Ordinal, "a.b.c.d");
        HashSet<string>? fromNodes = null;
        Platform.Server.Storage.Sqlite.SqliteDocumentStore.CollectArrayPaths(Doc(json), string.Empty, known, ref fromNodes);

        var fromJson = Platform.Server.Storage.Sqlite.SqliteDocumentStore.ArrayPaths(System.Text.Encoding.UTF8.GetBytes(json), known);

        Assert.Equal(fromNodes?.Order(StringComparer.Ordinal), fromJson?.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Reads_ProceedWhileAnotherConnectionHoldsTheWriteLock()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);
        await store.WriteAsync([new InsertOperation("things", Doc("""{"_id":"a","_version":1}"""))], Ct);

        using var blocker = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "baas.db")};Pooling=False");
        blocker.Open();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE; INSERT INTO c_things (id, version, data) VALUES ('uncommitted', 1, '{\"_id\":\"uncommitted\"}');";
            begin.ExecuteNonQuery();
        }

        Assert.NotNull(await store.GetAsync("things", "a", Ct));
        Assert.Null(await store.GetAsync("things", "uncommitted", Ct));
        Assert.Equal(1, await store.CountAsync("things", MatchAllNode.Instance, Ct));
    }

    [Fact]
    public async Task Initialize_ThrowsStorageUnavailable_WhenDataDirIsAFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_dataDir)!);
        await File.WriteAllTextAsync(_dataDir, "not a directory", Ct);
        using var store = SqliteStoreFixture.Open(_dataDir);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.InitializeAsync(Ct));
        Assert.False(await store.PingAsync(Ct));
    }

    [Fact]
    public async Task Write_CreatesCollectionOnFirstWrite_AndRejectsInvalidNames()
    {
        using var store = SqliteStoreFixture.Open(_dataDir);
        await store.InitializeAsync(Ct);

        await store.WriteAsync([new InsertOperation("auto-created_1", Doc("""{"_id":"a","_version":1}"""))], Ct);

        Assert.NotNull(await store.GetAsync("auto-created_1", "a", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.CreateCollectionAsync("Bad\"Name", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetAsync("1abc", "a", Ct));
    }
}
