using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Documents;
using Platform.Server.Functions;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Tests.Storage.Sqlite;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>The document service puts a function caller's origin on every write it plans, and the feed hands it back.</summary>
public sealed class WriteOriginTests : IAsyncLifetime
{
    private readonly SqliteStoreFixture _fixture = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _fixture.InitializeAsync();

    public ValueTask DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task DocumentService_WritesOfAFunctionCaller_CarryItsOrigin_InBatchesToo()
    {
        var (service, registry) = Platform.Server.Tests.Documents.DocumentServices.Create(_fixture.Store);
        await registry.CreateAsync(new CollectionDefinition("orders", null, [], new Dictionary<string, string>()), Ct);
        var function = Caller.Service with { Origin = new WriteOrigin("audit", 3) };
        var start = await _fixture.Feed.GetPositionAsync(Ct);

        await service.ExecuteAsync(new CreateCommand("orders", new JsonObject { ["_id"] = "o1", ["n"] = 1 }), function, Ct);
        await service.ExecuteAsync(new PatchCommand("orders", "o1", new JsonObject { ["n"] = 2 }), Caller.Service, Ct);
        await service.ExecuteAsync(
            [new PatchCommand("orders", "o1", new JsonObject { ["n"] = 3 }), new DeleteCommand("orders", "o1")],
            function,
            isBatch: true,
            Ct);

        var origins = new List<WriteOrigin?>();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        await foreach (var change in _fixture.Feed.ReadAsync(start, limit.Token))
        {
            origins.Add(change.Origin);
            if (change.Kind == ChangeKind.Delete)
            {
                break;
            }
        }

        Assert.Equal([new WriteOrigin("audit", 3), null, new WriteOrigin("audit", 3), new WriteOrigin("audit", 3)], origins);
    }

    [Fact]
    public async Task Sqlite_ADataDirFromBeforeOrigins_GetsTheColumn_AndKeepsItsChanges()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "origin-migration-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        try
        {
            using (var old = new SqliteConnection($"Data Source={Path.Combine(dataDir, "baas.db")};Pooling=False"))
            {
                old.Open();
                using var command = old.CreateCommand();
                command.CommandText =
                    "CREATE TABLE baas_changes (seq INTEGER PRIMARY KEY, collection TEXT NOT NULL, doc_id TEXT NOT NULL, kind INTEGER NOT NULL, before TEXT, after TEXT, committed_at INTEGER NOT NULL);" +
                    "INSERT INTO baas_changes (collection, doc_id, kind, before, after, committed_at) VALUES ('orders', 'old', 0, NULL, '{\"_id\":\"old\",\"_version\":1}', 1700000000000);";
                command.ExecuteNonQuery();
            }

            using var store = SqliteStoreFixture.Open(dataDir);
            await store.InitializeAsync(Ct);
            await store.WriteAsync([new InsertOperation("orders", new JsonObject { ["_id"] = "new", ["_version"] = 1 }) { Origin = new WriteOrigin("f", 1) }], Ct);

            var changes = new List<StoredChange>();
            await foreach (var change in store.ReadAsync("0", Ct))
            {
                changes.Add(change);
                if (changes.Count == 2)
                {
                    break;
                }
            }

            Assert.Equal(["old", "new"], changes.Select(c => c.Id));
            Assert.Null(changes[0].Origin);
            Assert.Equal(new WriteOrigin("f", 1), changes[1].Origin);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
