using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using Platform.Server.Audit;
using Platform.Server.Documents;
using Platform.Server.Functions;
using Platform.Server.Functions.Definitions;
using Platform.Server.Functions.Runs;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>
/// Keyset pages sort by the requested fields, then by <c>_id</c>: every index the MongoDB provider builds to serve such
/// a sort ends with <c>_id</c> in the sort's direction, so the page is an index walk, never a blocking in-memory SORT
/// (which fails past 100 MB). Checked as pure code here; the last tests ask a live server's <c>explain</c> when
/// <c>BAAS_TEST_MONGO</c> is set.
/// </summary>
public class MongoKeysetIndexTests
{
    private static readonly IndexDefinition Owner = new([new("ownerId"), new("_createdAt", Descending: true)]);

    /// <summary>
    /// Whether an index with <paramref name="keys"/> yields documents in <paramref name="sort"/> order when the query
    /// fixes <paramref name="equalities"/> by equality: the keys after those are the sort's, all in its directions or all
    /// reversed (the index walked backwards). That is when MongoDB's plan needs no SORT stage.
    /// </summary>
    private static bool Serves(BsonDocument keys, IReadOnlyCollection<string> equalities, BsonDocument sort)
    {
        var rest = keys.Elements.SkipWhile(key => equalities.Contains(key.Name)).ToList();
        if (rest.Count < sort.ElementCount)
        {
            return false;
        }

        bool? reversed = null;
        for (var i = 0; i < sort.ElementCount; i++)
        {
            var (index, wanted) = (rest[i], sort.GetElement(i));
            if (index.Name != wanted.Name)
            {
                return false;
            }

            var flip = Math.Sign(index.Value.ToDouble()) != Math.Sign(wanted.Value.ToDouble());
            if ((reversed ??= flip) != flip)
            {
                return false;
            }
        }

        return true;
    }

    private static BsonDocument ServedKeys(IndexDefinition index) => MongoIndexTranslator.Keys(MongoIndexTranslator.Served(index));

    private static BsonDocument KeysetSort(string sort) =>
        MongoQueryTranslator.Sort(DocumentQueryService.WithIdTiebreak(SortParser.Parse(sort)));

    [Fact]
    public void Served_PlainIndex_EndsWithIdAscending_AndIsNamedByItsKeys()
    {
        var served = MongoIndexTranslator.Served(Owner);

        Bson.Equal("{ownerId: 1, _createdAt: -1, _id: 1}", MongoIndexTranslator.Keys(served));
        Assert.Equal("ix_ownerId_-_createdAt__id", MongoIndexTranslator.ToModel(served).Options.Name);
    }

    [Fact]
    public void Served_UniqueIndex_AndAnIndexNamingId_AreLeftAsTheyAre()
    {
        // _id would make every key unique (no constraint left); a unique index is partial, so it cannot serve a sort
        // over the whole collection, and an equality lookup on it finds at most one document.
        var email = new IndexDefinition([new("email")], Unique: true);
        Assert.Same(email, MongoIndexTranslator.Served(email));

        var audit = AuditInitializer.Indexes[0];
        Assert.Same(audit, MongoIndexTranslator.Served(audit));
    }

    [Theory]
    [InlineData("-_createdAt", true)]
    [InlineData("", true)]
    [InlineData("_createdAt", false)]
    public void UserIndex_ServesTheKeysetSort_InItsOwnDirection(string sort, bool served)
    {
        // A page of one owner's documents sorted as the index is (or by _id alone after the equality) needs no SORT;
        // the other direction would need an index of its own (the tiebreak stays ascending).
        var keyset = sort.Length == 0 ? MongoQueryTranslator.Sort([new SortField(SystemFields.Id)]) : KeysetSort(sort);
        Assert.Equal(served, Serves(ServedKeys(Owner), sort.Length == 0 ? ["ownerId", "_createdAt"] : ["ownerId"], keyset));

        // Without the trailing _id, no sort with the tiebreak is served at all.
        Assert.False(Serves(MongoIndexTranslator.Keys(Owner), ["ownerId"], KeysetSort("-_createdAt")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(true)]
    public void FunctionRuns_EveryPagedRead_IsServedByTheRunIndex(bool? deadLetter)
    {
        var keys = ServedKeys(FunctionCollectionsInitializer.RunIndexes[0]);
        Bson.Equal("{function: 1, status: 1, startedAt: -1, _id: -1}", keys);
        var after = new[] { JsonSerializer.SerializeToElement("2026-12-01T12:00:00.000Z"), JsonSerializer.SerializeToElement("r1") };
        DocumentQuery[] reads =
        [
            DocumentFunctionRunStorage.ListQuery("fn", RunStatus.Failed, deadLetter, 50, after),
            DocumentFunctionRunStorage.ListQuery("fn", RunStatus.Failed, deadLetter: null, 20, after: null),
            DocumentFunctionRunStorage.RetentionQuery("fn", RunStatus.Succeeded, DateTimeOffset.UnixEpoch, 500),
        ];
        foreach (var read in reads)
        {
            Assert.True(Serves(keys, ["function", "status"], MongoQueryTranslator.Translate(read).Sort), read.Sort.Count + " keys: " + MongoQueryTranslator.Translate(read).Sort);
        }

        Assert.True(Serves(keys, [], MongoQueryTranslator.Translate(DocumentFunctionRunStorage.NextFunctionQuery("fn")).Sort));
    }

    [Fact]
    public void FunctionVersions_NewestFirstRead_IsServedByTheVersionIndex()
    {
        var keys = ServedKeys(FunctionCollectionsInitializer.VersionIndexes[0]);
        Bson.Equal("{name: 1, version: -1, _id: 1}", keys);
        Assert.True(Serves(keys, ["name"], MongoQueryTranslator.Sort([new SortField("version", Descending: true), new SortField(SystemFields.Id)])));
    }

    [Theory]
    [InlineData("actor")]
    [InlineData("target")]
    [InlineData(null)]
    public void Audit_ListNewestFirst_AndCleanupOldestFirst_AreServed(string? by)
    {
        var newestFirst = MongoQueryTranslator.Sort([new SortField(AuditLog.AtField, Descending: true), new SortField(SystemFields.Id, Descending: true)]);
        var oldestFirst = MongoQueryTranslator.Sort([new SortField(AuditLog.AtField), new SortField(SystemFields.Id)]);
        var index = AuditInitializer.Indexes.Single(i => by is null ? i.Fields[0].Path == AuditLog.AtField : i.Fields[0].Path == by);
        var equalities = by is null ? Array.Empty<string>() : [by];
        Assert.True(Serves(ServedKeys(index), equalities, newestFirst));
        Assert.True(Serves(ServedKeys(index), equalities, oldestFirst));
    }

    [Fact]
    public void Plan_ReplacesAnEarlierVersionsIndex_BuildingTheNewOneFirst_AndSaysWhichItReplaces()
    {
        MongoExistingIndex[] existing =
        [
            new("_id_", BsonDocument.Parse("{_id: 1}")),
            new("ix_ownerId_-_createdAt", BsonDocument.Parse("{ownerId: 1, _createdAt: -1}")),
            new("ux_email", BsonDocument.Parse("{email: 1}"), Unique: true, PartialFilter: BsonDocument.Parse("{email: {$exists: true}}")),
        ];
        IndexDefinition[] requested = [Owner, new([new("email")], Unique: true)];

        var plan = MongoIndexTranslator.Plan(existing, [.. requested.Select(MongoIndexTranslator.Served)]);

        Assert.Equal(["ix_ownerId_-_createdAt__id"], plan.Create.Select(c => c.Index.Name));
        Assert.Equal(["ix_ownerId_-_createdAt"], plan.Drop);
        Assert.Empty(plan.DropFirst);
        Assert.Equal(
            new Dictionary<string, string> { ["ix_ownerId_-_createdAt__id"] = "ix_ownerId_-_createdAt" },
            MongoIndexTranslator.Replacements(existing, plan, requested));

        // Once replaced, nothing more to do.
        MongoExistingIndex[] after = [existing[0], new("ix_ownerId_-_createdAt__id", BsonDocument.Parse("{ownerId: 1, _createdAt: -1, _id: 1}")), existing[2]];
        var again = MongoIndexTranslator.Plan(after, [.. requested.Select(MongoIndexTranslator.Served)]);
        Assert.Empty(again.Create);
        Assert.Empty(again.Drop);
    }

    [Fact]
    public async Task Live_StartUp_ReplacesAnOldIndex_KeepsTheDocuments_AndAKeysetPageIsAnIndexWalkWithoutSort()
    {
        var connectionString = MongoStoreFixture.RequireConnectionString("explain() needs a MongoDB server");

        var ct = TestContext.Current.CancellationToken;
        var database = MongoStoreFixture.NewDatabaseName();
        using var client = new MongoClient(connectionString);
        try
        {
            using var store = MongoStoreFixture.OpenStore(connectionString, database);
            await store.InitializeAsync(ct);
            await store.CreateCollectionAsync("todos", ct);

            // An earlier version's index, without the trailing _id, and documents.
            var raw = client.GetDatabase(database).GetCollection<BsonDocument>("todos");
            await raw.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(BsonDocument.Parse("{ownerId: 1, _createdAt: -1}"), new CreateIndexOptions { Name = "ix_ownerId_-_createdAt" }), cancellationToken: ct);
            for (var i = 0; i < 20; i++)
            {
                await store.WriteAsync([new InsertOperation("todos", new System.Text.Json.Nodes.JsonObject
                {
                    ["_id"] = $"d{i:00}", ["ownerId"] = i % 2 == 0 ? "a" : "b", ["_createdAt"] = $"2026-01-01T00:00:{i % 5:00}.000Z", ["_version"] = 1,
                })], ct);
            }

            await store.ApplyIndexesAsync("todos", [Owner], ct);

            using var cursor = await raw.Indexes.ListAsync(ct);
            var names = (await cursor.ToListAsync(ct)).Select(index => index["name"].AsString).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["_id_", "ix_ownerId_-_createdAt__id"], names);
            Assert.Equal(20, await raw.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: ct));

            var filter = new FieldNode("ownerId", FieldOperator.Eq, JsonSerializer.SerializeToElement("a"));
            var sort = DocumentQueryService.WithIdTiebreak(SortParser.Parse("-_createdAt"));
            var after = new[] { JsonSerializer.SerializeToElement("2026-01-01T00:00:03.000Z"), JsonSerializer.SerializeToElement("d08") };
            var find = MongoQueryTranslator.Translate(new DocumentQuery(filter, sort, 5, after));
            var explain = await client.GetDatabase(database).RunCommandAsync<BsonDocument>(
                new BsonDocument
                {
                    { "explain", new BsonDocument { { "find", "todos" }, { "filter", find.Filter }, { "sort", find.Sort }, { "limit", find.Limit } } },
                    { "verbosity", "queryPlanner" },
                },
                cancellationToken: ct);
            var plan = explain["queryPlanner"]["winningPlan"].ToJson();
            Assert.Contains("IXSCAN", plan, StringComparison.Ordinal);
            Assert.DoesNotContain("\"SORT\"", plan, StringComparison.Ordinal);
        }
        finally
        {
            await client.DropDatabaseAsync(database, ct);
        }
    }

    [Fact]
    public async Task Live_AFullPageOfTheServersOwnCollection_RunsNoArrayProbe_WhileAUserCollectionsPageStillDoes()
    {
        var connectionString = MongoStoreFixture.RequireConnectionString("the array probe needs a MongoDB server");

        var ct = TestContext.Current.CancellationToken;
        var database = MongoStoreFixture.NewDatabaseName();
        using var client = new MongoClient(connectionString);
        try
        {
            using var store = MongoStoreFixture.OpenStore(connectionString, database);
            await store.InitializeAsync(ct);

            // The same two documents, one with an array at the sort path, in a system collection and a user collection.
            // Only the probe could see the array (the page's documents are the two scalar ones: an array sorts by its
            // smallest element, '2026-01-03', last), so a refusal proves the probe ran.
            foreach (var collection in new[] { FunctionCollections.Runs, "runs" })
            {
                await store.CreateCollectionAsync(collection, ct);
                await client.GetDatabase(database).GetCollection<BsonDocument>(collection).InsertManyAsync(
                [
                    BsonDocument.Parse("{_id: 'r1', function: 'f', startedAt: '2026-01-01', _version: 1}"),
                    BsonDocument.Parse("{_id: 'r2', function: 'f', startedAt: '2026-01-02', _version: 1}"),
                    BsonDocument.Parse("{_id: 'r3', function: 'f', startedAt: ['2026-01-03'], _version: 1}"),
                ], cancellationToken: ct);
            }

            var page = new DocumentQuery(MatchAllNode.Instance, [new("startedAt"), new("_id")], 2);

            Assert.Equal(2, (await store.QueryAsync(FunctionCollections.Runs, page, ct)).Count);
            await Assert.ThrowsAsync<SortOverArrayException>(() => store.QueryAsync("runs", page, ct));
        }
        finally
        {
            await client.DropDatabaseAsync(database, ct);
        }
    }
}
