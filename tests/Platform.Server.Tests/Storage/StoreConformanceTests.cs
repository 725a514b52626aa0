using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Storage;

/// <summary>
/// The storage contract of <see cref="IDocumentStore"/>, run against every provider through one empty subclass
/// per provider. Each test uses its own collections, so tests run in parallel on one store.
/// </summary>
public abstract class StoreConformanceTests(IStoreFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The store, or a skip (with the fixture's reason) when the provider is not available.</summary>
    protected IDocumentStore Store
    {
        get
        {
            if (fixture.SkipReason is { } reason)
            {
                Assert.Skip(reason);
            }

            return fixture.Store;
        }
    }

    protected static JsonObject Doc(string id, string json = "{}", long version = 1)
    {
        var body = JsonNode.Parse(json)!.AsObject();
        var doc = new JsonObject { [SystemFields.Id] = id, [SystemFields.Version] = version };
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            doc[key] = value;
        }

        return doc;
    }

    protected async Task<string> CollectionWithAsync(params JsonObject[] documents)
    {
        var collection = fixture.NewCollectionName();
        await Store.CreateCollectionAsync(collection, Ct);
        if (documents.Length > 0)
        {
            await Store.WriteAsync(documents.Select(d => (WriteOperation)new InsertOperation(collection, d)).ToList(), Ct);
        }

        return collection;
    }

    protected static IReadOnlyList<SortField> ParseSort(string? sort)
    {
        var fields = string.IsNullOrEmpty(sort)
            ? new List<SortField>()
            : sort.Split(',').Select(s => s.StartsWith('-') ? new SortField(s[1..], true) : new SortField(s)).ToList();
        if (fields.Count == 0 || fields[^1].Path != SystemFields.Id)
        {
            fields.Add(new SortField(SystemFields.Id));
        }

        return fields;
    }

    protected async Task<List<string>> QueryIdsAsync(string collection, string filter, string? sort = null, int limit = 1000, IReadOnlyList<JsonElement>? after = null)
    {
        var result = await Store.QueryAsync(collection, new DocumentQuery(FilterParser.Parse(filter), ParseSort(sort), limit, after), Ct);
        return result.Select(d => (string)d[SystemFields.Id]!).ToList();
    }

    /// <summary>The keyset position of <paramref name="document"/> for <paramref name="sort"/> (missing as null).</summary>
    protected static IReadOnlyList<JsonElement> PositionOf(JsonObject document, IReadOnlyList<SortField> sort) =>
        sort.Select(field => JsonSerializer.SerializeToElement(JsonValueOrder.GetSortValue(document, field.Path))).ToList();

    // ---- documents and writes ----

    [Fact]
    public async Task Get_RoundTripsDocument_Exactly()
    {
        const string json = """
            {"_id":"rt","_version":7,"_createdAt":"2026-01-02T03:04:05.678Z","_updatedAt":"2026-01-02T03:04:05.678Z","_createdBy":null,
             "zeta":1,"alpha":{"nested":{"deep":[1,{"x":"y"},[true,false,null]]},"empty":{},"list":[]},
             "text":"héllo wörld 日本語 😀 \"quoted\" back\\slash tab\t line\n end","emptyText":"",
             "big":9223372036854775807,"small":-9223372036854775808,"double":0.1,"exp":1.5E+300,"neg":-2.5,
             "t":true,"f":false,"n":null,"percent":"100% _under_"}
            """;
        var document = JsonNode.Parse(json)!.AsObject();
        var collection = await CollectionWithAsync(document.DeepClone().AsObject());

        var stored = await Store.GetAsync(collection, "rt", Ct);

        Assert.NotNull(stored);
        Assert.True(JsonNode.DeepEquals(document, stored), stored.ToJsonString());
        Assert.Equal(document.Select(p => p.Key), stored.Select(p => p.Key));
        Assert.Equal(long.MaxValue, stored["big"]!.GetValue<long>());
        Assert.Equal(long.MinValue, stored["small"]!.GetValue<long>());
        Assert.Equal(0.1, stored["double"]!.GetValue<double>());
        Assert.Equal(1.5E+300, stored["exp"]!.GetValue<double>());
        Assert.Equal("héllo wörld 日本語 😀 \"quoted\" back\\slash tab\t line\n end", stored["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Insert_GivenAsUtf8Json_StoresTheSameDocument_AndFailsLikeAnInsertOfNodes()
    {
        const string json = """{"_id":"j1","_version":1,"_createdAt":"2026-01-02T03:04:05.678Z","_updatedAt":"2026-01-02T03:04:05.678Z","_createdBy":null,"text":"héllo \"q\"","big":9223372036854775807,"d":0.5,"result":{"data":{"tags":["red","blue"]}},"logs":[]}""";
        var collection = await CollectionWithAsync(Doc("a"));

        var duplicate = await Assert.ThrowsAsync<DuplicateIdException>(() => Store.WriteAsync(
            [new InsertOperation(collection, "j1", System.Text.Encoding.UTF8.GetBytes(json)), new InsertOperation(collection, "a", System.Text.Encoding.UTF8.GetBytes("""{"_id":"a","_version":1}"""))], Ct));
        Assert.Equal((1, "a"), (duplicate.OpIndex, duplicate.Id));
        Assert.Null(await Store.GetAsync(collection, "j1", Ct));

        await Store.WriteAsync([new InsertOperation(collection, "j1", System.Text.Encoding.UTF8.GetBytes(json))], Ct);

        var stored = await Store.GetAsync(collection, "j1", Ct);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), stored), stored?.ToJsonString());
        Assert.Equal(long.MaxValue, stored!["big"]!.GetValue<long>());
        Assert.Equal(["j1"], await QueryIdsAsync(collection, """{"result.data.tags":"blue"}"""));
    }

    [Fact]
    public async Task Get_ReturnsNull_WhenDocumentOrCollectionIsMissing()
    {
        var collection = await CollectionWithAsync(Doc("a"));

        Assert.Null(await Store.GetAsync(collection, "b", Ct));
        Assert.Null(await Store.GetAsync(fixture.NewCollectionName(), "a", Ct));
        Assert.Empty(await QueryIdsAsync(fixture.NewCollectionName(), "{}"));
        Assert.Equal(0, await Store.CountAsync(fixture.NewCollectionName(), MatchAllNode.Instance, Ct));
    }

    [Fact]
    public async Task Write_Insert_Throws_WhenIdExists()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"v":1}"""));

        var error = await Assert.ThrowsAsync<DuplicateIdException>(() => Store.WriteAsync(
            [new InsertOperation(collection, Doc("b")), new InsertOperation(collection, Doc("a", """{"v":2}"""))], Ct));

        Assert.Equal(1, error.OpIndex);
        Assert.Equal("a", error.Id);
        Assert.Equal(1, (int)(await Store.GetAsync(collection, "a", Ct))!["v"]!);
        Assert.Null(await Store.GetAsync(collection, "b", Ct));
    }

    [Fact]
    public async Task Write_Replace_ReplacesWholeDocument_WhenVersionMatches()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"v":1,"gone":true}"""));

        await Store.WriteAsync([new ReplaceOperation(collection, Doc("a", """{"v":2}""", version: 2), 1)], Ct);

        var stored = await Store.GetAsync(collection, "a", Ct);
        Assert.Equal(2, (int)stored!["v"]!);
        Assert.Equal(2, (long)stored[SystemFields.Version]!);
        Assert.False(stored.ContainsKey("gone"));
        Assert.Equal(["a"], await QueryIdsAsync(collection, """{"v":2}"""));
        Assert.Empty(await QueryIdsAsync(collection, """{"gone":true}"""));
    }

    [Fact]
    public async Task Write_Replace_Throws_WhenVersionDiffersOrDocumentIsMissing()
    {
        var collection = await CollectionWithAsync(Doc("a", version: 3));

        var stale = await Assert.ThrowsAsync<VersionMismatchException>(() => Store.WriteAsync([new ReplaceOperation(collection, Doc("a", version: 3), 2)], Ct));
        var missing = await Assert.ThrowsAsync<VersionMismatchException>(() => Store.WriteAsync([new ReplaceOperation(collection, Doc("zz", version: 2), 1)], Ct));

        Assert.Equal(3, stale.ActualVersion);
        Assert.Equal(0, stale.OpIndex);
        Assert.Null(missing.ActualVersion);
        Assert.Null(await Store.GetAsync(collection, "zz", Ct));
    }

    [Fact]
    public async Task Write_Delete_RespectsExpectedVersion_AndFailsWhenMissing()
    {
        var collection = await CollectionWithAsync(Doc("a", version: 2), Doc("b", version: 5));

        var stale = await Assert.ThrowsAsync<VersionMismatchException>(() => Store.WriteAsync([new DeleteOperation(collection, "a", 1)], Ct));
        await Store.WriteAsync([new DeleteOperation(collection, "a", 2), new DeleteOperation(collection, "b")], Ct);
        var missing = await Assert.ThrowsAsync<VersionMismatchException>(() => Store.WriteAsync([new DeleteOperation(collection, "a")], Ct));

        Assert.Equal(2, stale.ActualVersion);
        Assert.Null(missing.ActualVersion);
        Assert.Empty(await QueryIdsAsync(collection, "{}"));
    }

    [Fact]
    public async Task Write_Batch_IsAllOrNothing_WhenAnOperationInTheMiddleFails()
    {
        var first = await CollectionWithAsync(Doc("keep", """{"v":1}"""));
        var second = await CollectionWithAsync();

        var error = await Assert.ThrowsAsync<VersionMismatchException>(() => Store.WriteAsync(
        [
            new InsertOperation(first, Doc("new1")),
            new ReplaceOperation(first, Doc("keep", """{"v":2}""", version: 2), 1),
            new InsertOperation(second, Doc("new2")),
            new DeleteOperation(first, "missing"),
            new InsertOperation(second, Doc("new3")),
        ], Ct));

        Assert.Equal(3, error.OpIndex);
        Assert.Equal(["keep"], await QueryIdsAsync(first, "{}"));
        Assert.Equal(1, (int)(await Store.GetAsync(first, "keep", Ct))!["v"]!);
        Assert.Empty(await QueryIdsAsync(second, "{}"));
    }

    [Fact]
    public async Task Write_Batch_AppliesOperationsInOrder()
    {
        var collection = await CollectionWithAsync();

        await Store.WriteAsync(
        [
            new InsertOperation(collection, Doc("a", """{"v":1}""")),
            new ReplaceOperation(collection, Doc("a", """{"v":2}""", version: 2), 1),
            new InsertOperation(collection, Doc("b")),
            new DeleteOperation(collection, "b", 1),
        ], Ct);

        Assert.Equal(["a"], await QueryIdsAsync(collection, "{}"));
        Assert.Equal(2, (int)(await Store.GetAsync(collection, "a", Ct))!["v"]!);
    }

    [Fact]
    public async Task Write_ParallelInserts_AreAllStored()
    {
        var collection = await CollectionWithAsync();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await Store.WriteAsync([new InsertOperation(collection, Doc($"w{worker}-{i}", $$"""{"worker":{{worker}}}"""))], Ct);
                Assert.NotNull(await Store.GetAsync(collection, $"w{worker}-{i}", Ct));
            }
        }, Ct)));

        Assert.Equal(100, await Store.CountAsync(collection, MatchAllNode.Instance, Ct));
        Assert.Equal(25, await Store.CountAsync(collection, FilterParser.Parse("""{"worker":2}"""), Ct));
    }

    [Fact]
    public async Task Collections_CreateAndDrop_AreIdempotent()
    {
        var collection = await CollectionWithAsync(Doc("a"));
        await Store.CreateCollectionAsync(collection, Ct);
        Assert.Equal(["a"], await QueryIdsAsync(collection, "{}"));

        await Store.DropCollectionAsync(collection, Ct);
        await Store.DropCollectionAsync(collection, Ct);

        Assert.Null(await Store.GetAsync(collection, "a", Ct));
        Assert.Equal(0, await Store.CountAsync(collection, MatchAllNode.Instance, Ct));
        await Store.CreateCollectionAsync(collection, Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("a"))], Ct);
        Assert.Equal(["a"], await QueryIdsAsync(collection, "{}"));
    }

    [Fact]
    public async Task Collections_SystemCollections_BehaveLikeAnyOther()
    {
        var collection = "_" + fixture.NewCollectionName();
        await Store.CreateCollectionAsync(collection, Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("k1", """{"email":"a@b.c"}"""))], Ct);

        Assert.Equal(["k1"], await QueryIdsAsync(collection, """{"email":"a@b.c"}"""));
        await Store.DropCollectionAsync(collection, Ct);
    }

    [Fact]
    public async Task Ping_ReturnsTrue()
    {
        Assert.True(await Store.PingAsync(Ct));
    }

    // ---- filters ----

    private static readonly JsonObject[] FilterDocuments =
    [
        Doc("a", """{"n":1,"s":"apple","tags":["x","y"],"b":true,"o":{"k":1},"items":[{"qty":1,"sku":"p"},{"qty":9,"sku":"q"}]}"""),
        Doc("b", """{"n":5.5,"s":"banana","tags":["y"],"b":false,"o":{"k":2},"items":[{"qty":3}]}"""),
        Doc("c", """{"n":"5","s":"Cherry%_","tags":[],"nul":null}"""),
        Doc("d", """{"n":null,"s":10,"tags":"x","b":1}"""),
        Doc("e"),
        Doc("f", """{"n":10,"s":"a_b%c","tags":[["x","y"]],"o":{"j":2,"k":1},"items":{"qty":20}}"""),
    ];

    [Theory]
    [InlineData("""{}""", "a,b,c,d,e,f")]
    [InlineData("""{"n":1}""", "a")]
    [InlineData("""{"n":1.0}""", "a")]
    [InlineData("""{"n":{"$eq":"5"}}""", "c")]
    [InlineData("""{"n":null}""", "d,e")]
    [InlineData("""{"n":{"$ne":null}}""", "a,b,c,f")]
    [InlineData("""{"n":{"$ne":1}}""", "b,c,d,e,f")]
    [InlineData("""{"n":{"$gt":1}}""", "b,f")]
    [InlineData("""{"n":{"$gte":1}}""", "a,b,f")]
    [InlineData("""{"n":{"$lt":6}}""", "a,b")]
    [InlineData("""{"n":{"$lte":5.5}}""", "a,b")]
    [InlineData("""{"n":{"$gt":"4"}}""", "c")]
    [InlineData("""{"n":{"$gte":null}}""", "d,e")]
    [InlineData("""{"n":{"$gt":null}}""", "")]
    [InlineData("""{"n":{"$in":[1,"5",null]}}""", "a,c,d,e")]
    [InlineData("""{"n":{"$in":[]}}""", "")]
    [InlineData("""{"n":{"$nin":[1,null]}}""", "b,c,f")]
    [InlineData("""{"n":{"$exists":true}}""", "a,b,c,d,f")]
    [InlineData("""{"n":{"$exists":false}}""", "e")]
    [InlineData("""{"nul":null}""", "a,b,c,d,e,f")]
    [InlineData("""{"nul":{"$exists":true}}""", "c")]
    [InlineData("""{"b":true}""", "a")]
    [InlineData("""{"b":1}""", "d")]
    [InlineData("""{"b":{"$ne":true}}""", "b,c,d,e,f")]
    [InlineData("""{"b":{"$gt":false}}""", "a")]
    [InlineData("""{"tags":"x"}""", "a,d")]
    [InlineData("""{"tags":["x","y"]}""", "a,f")]
    [InlineData("""{"tags":["y","x"]}""", "")]
    [InlineData("""{"tags":[]}""", "c")]
    [InlineData("""{"tags":{"$size":0}}""", "c")]
    [InlineData("""{"tags":{"$size":2}}""", "a")]
    [InlineData("""{"tags":{"$size":1}}""", "b,f")]
    [InlineData("""{"tags":{"$all":["y","x"]}}""", "a")]
    [InlineData("""{"tags":{"$ne":"x"}}""", "b,c,e,f")]
    [InlineData("""{"tags":{"$in":["y"]}}""", "a,b")]
    [InlineData("""{"tags":{"$nin":["y"]}}""", "c,d,e,f")]
    [InlineData("""{"tags":{"$gt":"x"}}""", "a,b")]
    [InlineData("""{"tags":{"$elemMatch":{"$eq":"y"}}}""", "a,b")]
    [InlineData("""{"tags":{"$elemMatch":{"$size":2}}}""", "f")]
    [InlineData("""{"items.qty":{"$gt":5}}""", "a,f")]
    [InlineData("""{"items.qty":3}""", "b")]
    [InlineData("""{"items.qty":{"$not":{"$gt":5}}}""", "b,c,d,e")]
    [InlineData("""{"items.0.qty":1}""", "a")]
    [InlineData("""{"items.1.sku":"q"}""", "a")]
    [InlineData("""{"items.sku":null}""", "b,c,d,e,f")]
    [InlineData("""{"items.sku":{"$exists":true}}""", "a")]
    [InlineData("""{"items":{"$elemMatch":{"qty":{"$gt":2},"sku":"q"}}}""", "a")]
    [InlineData("""{"items":{"$elemMatch":{"qty":{"$gt":2},"sku":{"$exists":false}}}}""", "b")]
    [InlineData("""{"items":{"$elemMatch":{"qty":1,"sku":"q"}}}""", "")]
    [InlineData("""{"s":{"$startsWith":"a"}}""", "a,f")]
    [InlineData("""{"s":{"$startsWith":"a_"}}""", "f")]
    [InlineData("""{"s":{"$startsWith":""}}""", "a,b,c,f")]
    [InlineData("""{"s":{"$contains":"%_"}}""", "c")]
    [InlineData("""{"s":{"$contains":"_"}}""", "c,f")]
    [InlineData("""{"s":{"$contains":"%"}}""", "c,f")]
    [InlineData("""{"s":{"$contains":"an"}}""", "b")]
    [InlineData("""{"s":{"$contains":"AN"}}""", "")]
    [InlineData("""{"s":{"$containsi":"CHERRY"}}""", "c")]
    [InlineData("""{"s":{"$containsi":"AN"}}""", "b")]
    [InlineData("""{"s":{"$gt":"b"}}""", "b")]
    [InlineData("""{"s":{"$lt":"b"}}""", "a,c,f")]
    [InlineData("""{"s":{"$gte":0}}""", "d")]
    [InlineData("""{"o":{"k":1}}""", "a")]
    [InlineData("""{"o.k":1}""", "a,f")]
    [InlineData("""{"o":{"k":1,"j":2}}""", "")]
    [InlineData("""{"o":{"j":2,"k":1}}""", "f")]
    [InlineData("""{"o.k":{"$gte":1}}""", "a,b,f")]
    [InlineData("""{"n":{"$not":{"$gt":1}}}""", "a,c,d,e")]
    [InlineData("""{"$or":[{"n":1},{"s":"banana"}]}""", "a,b")]
    [InlineData("""{"$and":[{"n":{"$gte":1}},{"n":{"$lt":6}}]}""", "a,b")]
    [InlineData("""{"n":{"$gte":1,"$lt":6}}""", "a,b")]
    [InlineData("""{"$nor":[{"n":1},{"tags":"x"}]}""", "b,c,e,f")]
    [InlineData("""{"_id":"b"}""", "b")]
    [InlineData("""{"_id":{"$in":["a","c","zz"]}}""", "a,c")]
    [InlineData("""{"_id":{"$gt":"d"}}""", "e,f")]
    [InlineData("""{"_id":{"$ne":"a"},"n":{"$type_free":1}}""", null)]
    public async Task Query_Filter_MatchesMongoSemantics(string filter, string? expected)
    {
        _ = Store;
        if (expected is null)
        {
            // Unknown operators never reach a store: the parser rejects them.
            Assert.ThrowsAny<Exception>(() => FilterParser.Parse(filter));
            return;
        }

        var collection = await CollectionWithAsync(FilterDocuments.Select(d => d.DeepClone().AsObject()).ToArray());

        var ids = await QueryIdsAsync(collection, filter);

        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries).Order(), ids.Order());
        Assert.Equal(ids.Count, await Store.CountAsync(collection, FilterParser.Parse(filter), Ct));
    }

    [Fact]
    public async Task Query_Filter_MatchesArrayElements_WhenFieldBecomesArrayLater()
    {
        var collection = await CollectionWithAsync(Doc("scalar", """{"v":"x","o":{"w":1}}"""));
        Assert.Empty(await QueryIdsAsync(collection, """{"v":"y"}"""));
        Assert.Empty(await QueryIdsAsync(collection, """{"o.w":2}"""));

        await Store.WriteAsync(
        [
            new InsertOperation(collection, Doc("array", """{"v":["y","z"],"o":[{"w":2}]}""")),
            new ReplaceOperation(collection, Doc("scalar", """{"v":"x","o":{"w":[1,3]}}""", version: 2), 1),
        ], Ct);

        Assert.Equal(["array"], await QueryIdsAsync(collection, """{"v":"y"}"""));
        Assert.Equal(["array"], await QueryIdsAsync(collection, """{"o.w":2}"""));
        Assert.Equal(["scalar"], await QueryIdsAsync(collection, """{"o.w":3}"""));
        Assert.Equal(["scalar"], await QueryIdsAsync(collection, """{"v":"x"}"""));
    }

    [Fact]
    public async Task Query_WithFields_ReturnsEachListedFieldAsStored_InOrderAndFilteredAsWithout()
    {
        // A cleanup reads only the ids and versions it deletes by: whatever else a provider returns, those are exact.
        var collection = await CollectionWithAsync(
            Doc("b", """{"n":2,"big":{"deep":[1,2,3]}}""", version: 4),
            Doc("a", """{"n":1,"big":"x"}"""),
            Doc("c", """{"n":9}"""));

        var page = await Store.QueryAsync(
            collection,
            new DocumentQuery(FilterParser.Parse("""{"n":{"$lt":5}}"""), [new SortField("n", Descending: true), new SortField(SystemFields.Id)], 10, Fields: [SystemFields.Id, SystemFields.Version]),
            Ct);

        Assert.Equal([("b", 4L), ("a", 1L)], page.Select(d => (d[SystemFields.Id]!.GetValue<string>(), d[SystemFields.Version]!.GetValue<long>())));
    }

    // ---- sorting and paging ----

    [Fact]
    public async Task Query_Sort_UsesMongoTypeOrder_InBothDirections()
    {
        var collection = await CollectionWithAsync(
            Doc("t", """{"v":true}"""),
            Doc("f", """{"v":false}"""),
            Doc("o", """{"v":{"a":1}}"""),
            Doc("s2", """{"v":"b"}"""),
            Doc("s1", """{"v":"B"}"""),
            Doc("s0", """{"v":""}"""),
            Doc("n3", """{"v":10}"""),
            Doc("n2", """{"v":2.5}"""),
            Doc("n1", """{"v":-1}"""),
            Doc("null", """{"v":null}"""),
            Doc("missing"));

        var ascending = await QueryIdsAsync(collection, "{}", "v");
        var descending = await QueryIdsAsync(collection, "{}", "-v");

        Assert.Equal(["missing", "null", "n1", "n2", "n3", "s0", "s1", "s2", "o", "f", "t"], ascending);
        Assert.Equal(["t", "f", "o", "s2", "s1", "s0", "n3", "n2", "n1", "missing", "null"], descending);
    }

    [Fact]
    public async Task Query_Sort_OrdersStringsByCodePoint_CaseSensitive()
    {
        var collection = await CollectionWithAsync(
            Doc("emoji", """{"v":"😀"}"""),
            Doc("high", """{"v":"\uffff"}"""),
            Doc("accent", """{"v":"é"}"""),
            Doc("lower", """{"v":"a"}"""),
            Doc("upper", """{"v":"Z"}"""),
            Doc("prefix", """{"v":"ab"}"""));

        Assert.Equal(["upper", "lower", "prefix", "accent", "high", "emoji"], await QueryIdsAsync(collection, "{}", "v"));
        Assert.Equal(["accent", "high", "emoji"], await QueryIdsAsync(collection, """{"v":{"$gt":"ab"}}""", "v"));
    }

    [Fact]
    public async Task Query_Sort_CombinesKeysAndDirections_AndNestedPaths()
    {
        var collection = await CollectionWithAsync(
            Doc("a", """{"g":1,"p":{"n":3}}"""),
            Doc("b", """{"g":2,"p":{"n":1}}"""),
            Doc("c", """{"g":1,"p":{"n":5}}"""),
            Doc("d", """{"g":2,"p":{"n":1}}"""),
            Doc("e", """{"g":1}"""));

        Assert.Equal(["c", "a", "e", "b", "d"], await QueryIdsAsync(collection, "{}", "g,-p.n"));
        Assert.Equal(["b", "d", "e", "a", "c"], await QueryIdsAsync(collection, "{}", "-g,p.n,_id"));
        Assert.Equal(["c", "a", "d", "b"], await QueryIdsAsync(collection, """{"p.n":{"$exists":true}}""", "-p.n,-_id"));
        Assert.Equal(["e", "c"], await QueryIdsAsync(collection, """{"g":1}""", "-_id", limit: 2));
    }

    [Fact]
    public async Task Query_Sort_NumericSegmentIndexesArrays_AndPagesWithCursorValues()
    {
        var collection = await CollectionWithAsync(
            Doc("a", """{"items":[3,0]}"""),
            Doc("b", """{"items":[1]}"""),
            Doc("c", """{"items":{"0":2}}"""),
            Doc("d"),
            Doc("e", """{"items":[]}"""));
        var sort = ParseSort("items.0");

        Assert.Equal(["d", "e", "b", "c", "a"], await QueryIdsAsync(collection, "{}", "items.0"));
        var first = await Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, sort, 3), Ct);
        var rest = await Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, sort, 10, PositionOf(first[^1], sort)), Ct);
        Assert.Equal(["c", "a"], rest.Select(d => (string)d[SystemFields.Id]!));
    }

    [Fact]
    public async Task Query_Sort_ArrayValues_UseElementOrder_WhenSupported()
    {
        _ = Store;
        if (!fixture.Capabilities.SortsArraysByElement)
        {
            Assert.Skip("This provider sorts an array as one value in the array bracket (documented deviation), not by its smallest/largest element.");
        }

        var collection = await CollectionWithAsync(
            Doc("a", """{"v":[5,1]}"""),
            Doc("b", """{"v":3}"""),
            Doc("c", """{"v":[4,9]}"""));

        Assert.Equal(["a", "b", "c"], await QueryIdsAsync(collection, "{}", "v"));
        Assert.Equal(["c", "a", "b"], await QueryIdsAsync(collection, "{}", "-v"));
    }

    // The "Known differences" table of docs/storage.md, one test per row, each expecting its provider's documented answer.

    [Fact]
    public async Task KnownDifference_ASortPathThroughAnArray()
    {
        var collection = await CollectionWithAsync(
            Doc("m"),
            Doc("o", """{"v":{"x":2}}"""),
            Doc("a", """{"v":[{"x":5}]}"""));

        // MongoDB reaches x inside the array (5); SQLite sorts the path through an array as missing (ties by _id).
        List<string> expected = fixture.Capabilities.SortsArraysByElement ? ["m", "o", "a"] : ["a", "m", "o"];
        Assert.Equal(expected, await QueryIdsAsync(collection, "{}", "v.x"));
    }

    [Fact]
    public async Task KnownDifference_ObjectsAmongThemselves()
    {
        var collection = await CollectionWithAsync(Doc("ten", """{"v":{"a":10}}"""), Doc("nine", """{"v":{"a":9}}"""));

        // Field by field, 9 < 10; as minified JSON text, {"a":10} < {"a":9}.
        List<string> expected = fixture.Capabilities.SortsObjectsFieldByField ? ["nine", "ten"] : ["ten", "nine"];
        Assert.Equal(expected, await QueryIdsAsync(collection, "{}", "v"));
    }

    [Fact]
    public async Task KnownDifference_ContainsiCaseFolding()
    {
        var collection = await CollectionWithAsync(Doc("k", """{"s":"kilo"}"""), Doc("plain", """{"s":"KILO"}"""));

        // Both fold ASCII letters; only MongoDB's regular expressions fold the Kelvin sign (U+212A) to k.
        Assert.Equal(["k", "plain"], await QueryIdsAsync(collection, """{"s":{"$containsi":"kilo"}}"""));
        List<string> kelvin = fixture.Capabilities.FoldsCaseByUnicode ? ["k", "plain"] : [];
        Assert.Equal(kelvin, await QueryIdsAsync(collection, """{"s":{"$containsi":"\u212Ailo"}}"""));
    }

    [Fact]
    public async Task KnownDifference_UniqueIndexOverAnArrayField()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"tags":[1,2]}"""));
        await Store.ApplyIndexesAsync(collection, [Index("tags", unique: true)], Ct);

        // The same whole value collides on both.
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("same", """{"tags":[1,2]}"""))], Ct));

        // One shared element: a key of its own on MongoDB, part of a different value on SQLite.
        var overlapping = new InsertOperation(collection, Doc("b", """{"tags":[2,3]}"""));
        if (fixture.Capabilities.UniqueIndexKeysEachElement)
        {
            await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([overlapping], Ct));
            Assert.Equal(1, await Store.CountAsync(collection, MatchAllNode.Instance, Ct));
        }
        else
        {
            await Store.WriteAsync([overlapping], Ct);
            Assert.Equal(2, await Store.CountAsync(collection, MatchAllNode.Instance, Ct));
        }
    }

    [Fact]
    public async Task KnownDifference_ANumberWrittenWithAFraction()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"n":1.0,"x":2.5}"""));

        var stored = (await Store.GetAsync(collection, "a", Ct))!;

        Assert.Equal(fixture.Capabilities.DropsTheFractionOfIntegralNumbers ? "1" : "1.0", stored["n"]!.ToJsonString());
        Assert.Equal("2.5", stored["x"]!.ToJsonString());
        Assert.Equal(["a"], await QueryIdsAsync(collection, """{"n":1}"""));
    }

    [Fact]
    public async Task KnownDifference_AFieldNameWithAQuote()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"say\"hi":1}"""), Doc("b", """{"other":1}"""));

        // Stored and read back on both.
        Assert.Equal(1, (await Store.GetAsync(collection, "a", Ct))!["say\"hi"]!.GetValue<long>());

        // The query language refuses such a path on both (400 invalid_filter), so no API request can tell them apart.
        var refused = Assert.Throws<InvalidInputException>(() => FilterParser.Parse("""{"say\"hi":1}"""));
        Assert.Equal("invalid_filter", refused.Code);

        // At the storage port: MongoDB finds the field; SQLite's JSON paths cannot quote it and refuse it.
        var node = new FieldNode("say\"hi", FieldOperator.Eq, JsonSerializer.SerializeToElement(1));
        var query = new DocumentQuery(node, [new SortField(SystemFields.Id)], 10);
        if (fixture.Capabilities.FiltersFieldNamesWithQuotes)
        {
            Assert.Equal(["a"], (await Store.QueryAsync(collection, query, Ct)).Select(d => (string)d[SystemFields.Id]!));
        }
        else
        {
            Assert.Equal("invalid_path", (await Assert.ThrowsAsync<InvalidInputException>(() => Store.QueryAsync(collection, query, Ct))).Code);
        }
    }

    [Fact]
    public async Task Query_Sort_PlacesArraysBetweenObjectsAndBooleans_WhenArraysSortAsValues()
    {
        _ = Store;
        if (fixture.Capabilities.SortsArraysByElement)
        {
            Assert.Skip("This provider sorts arrays by their elements, as MongoDB does.");
        }

        var collection = await CollectionWithAsync(
            Doc("t", """{"v":true}"""),
            Doc("arr", """{"v":[1]}"""),
            Doc("obj", """{"v":{"a":1}}"""),
            Doc("s", """{"v":"z"}"""));

        Assert.Equal(["s", "obj", "arr", "t"], await QueryIdsAsync(collection, "{}", "v"));
    }

    [Theory]
    [InlineData("g,_id")]
    [InlineData("-g,_id")]
    [InlineData("-g,-_id")]
    [InlineData("g,-n,_id")]
    [InlineData("-_id")]
    public async Task Query_KeysetPaging_NeitherSkipsNorRepeats_UnderConcurrentWrites(string sortText)
    {
        var sort = ParseSort(sortText);
        var initial = Enumerable.Range(0, 40).Select(i => Doc($"d{i:00}", i % 7 == 0 ? $$"""{"n":{{i}}}""" : $$"""{"g":{{(i % 5 == 0 ? "null" : (i % 4).ToString(System.Globalization.CultureInfo.InvariantCulture))}},"n":{{i % 3}}}""")).ToArray();
        var collection = await CollectionWithAsync(initial);
        var deleted = new HashSet<string>();
        var seen = new List<string>();
        IReadOnlyList<JsonElement>? after = null;
        var page = 0;
        while (true)
        {
            var result = await Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, sort, 6, after), Ct);
            if (result.Count == 0)
            {
                break;
            }

            seen.AddRange(result.Select(d => (string)d[SystemFields.Id]!));
            after = PositionOf(result[^1], sort);

            // Between pages: add new documents and delete one seen and one not yet seen.
            page++;
            var writes = new List<WriteOperation> { new InsertOperation(collection, Doc($"new{page}", $$"""{"g":{{page % 4}}}""")) };
            var unseen = initial.Select(d => (string)d[SystemFields.Id]!).FirstOrDefault(id => !seen.Contains(id) && !deleted.Contains(id) && id.EndsWith('3'));
            if (unseen is not null)
            {
                writes.Add(new DeleteOperation(collection, unseen));
                deleted.Add(unseen);
            }

            await Store.WriteAsync(writes, Ct);
            Assert.True(page < 100, "paging does not terminate");
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        var survivors = initial.Select(d => (string)d[SystemFields.Id]!).Where(id => !deleted.Contains(id));
        Assert.Empty(survivors.Except(seen));
        Assert.Empty(seen.Intersect(deleted));

        // Paging over a stable set returns exactly the one-shot order.
        var all = await Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, sort, 1000), Ct);
        var paged = new List<string>();
        after = null;
        while (true)
        {
            var result = await Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, sort, 7, after), Ct);
            if (result.Count == 0)
            {
                break;
            }

            paged.AddRange(result.Select(d => (string)d[SystemFields.Id]!));
            after = PositionOf(result[^1], sort);
        }

        Assert.Equal(all.Select(d => (string)d[SystemFields.Id]!), paged);
    }

    [Theory]
    [InlineData("v", 1)]
    [InlineData("-v", 1)]
    [InlineData("v", 2)]
    [InlineData("w.v", 1)]
    public async Task Query_KeysetPaging_OverArrays_IsRefused_SoItNeverSkipsOrRepeats(string sortText, int pageSize)
    {
        // MongoDB orders [5,1] by 1 ascending and by 5 descending, while a cursor keeps the whole array and "after [5,1]"
        // matches any element: paging this set one by one skipped documents. Both providers refuse to page it instead.
        var collection = sortText.StartsWith("w.", StringComparison.Ordinal)
            ? await CollectionWithAsync(Doc("a", """{"w":[{"v":5},{"v":1}]}"""), Doc("b", """{"w":{"v":3}}"""), Doc("c", """{"w":[{"v":4},{"v":9}]}"""))
            : await CollectionWithAsync(Doc("a", """{"v":[5,1]}"""), Doc("b", """{"v":3}"""), Doc("c", """{"v":[4,9]}"""));
        var sort = ParseSort(sortText);
        var seen = new List<string>();
        IReadOnlyList<JsonElement>? after = null;
        SortOverArrayException? refused = null;
        for (var page = 0; page < 10; page++)
        {
            IReadOnlyList<JsonObject> result;
            try
            {
                result = await Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, sort, pageSize, after), Ct);
            }
            catch (SortOverArrayException ex)
            {
                refused = ex;
                break;
            }

            if (result.Count == 0)
            {
                break;
            }

            seen.AddRange(result.Select(d => (string)d[SystemFields.Id]!));
            after = PositionOf(result[^1], sort);
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.NotNull(refused);
        Assert.Equal(sortText.TrimStart('-'), refused.Path);
        Assert.Contains(refused.Id, new[] { "a", "c" });

        // One page holding every match is answered; so is paging the documents without arrays.
        Assert.Equal(3, (await Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, sort, 10), Ct)).Count);
        var scalar = FilterParser.Parse("""{"_id":{"$in":["b"]}}""");
        Assert.Single(await Store.QueryAsync(collection, new DocumentQuery(scalar, sort, 1), Ct));
        Assert.Empty(await Store.QueryAsync(collection, new DocumentQuery(scalar, sort, 1, PositionOf((await Store.GetAsync(collection, "b", Ct))!, sort)), Ct));
    }

    [Fact]
    public async Task Query_KeysetPaging_ByAnIndexIntoArrays_StaysAllowed()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"items":[3,0]}"""), Doc("b", """{"items":[1]}"""), Doc("c", """{"items":[[7],2]}"""));
        var sort = ParseSort("items.1");

        var first = await Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, sort, 2), Ct);

        Assert.Equal(2, first.Count);
        await Assert.ThrowsAsync<SortOverArrayException>(() => Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, ParseSort("items.0"), 2), Ct));
    }

    [Fact]
    public async Task Query_KeysetPaging_WorksOverMixedTypesAndFilter()
    {
        var collection = await CollectionWithAsync(
            Doc("a", """{"v":true,"k":1}"""),
            Doc("b", """{"v":"x","k":1}"""),
            Doc("c", """{"v":{"z":1},"k":1}"""),
            Doc("d", """{"v":null,"k":1}"""),
            Doc("e", """{"k":1}"""),
            Doc("f", """{"v":3,"k":1}"""),
            Doc("g", """{"v":false,"k":1}"""),
            Doc("h", """{"v":3,"k":2}"""));
        var sort = ParseSort("-v");
        var filter = FilterParser.Parse("""{"k":1}""");
        var ids = new List<string>();
        IReadOnlyList<JsonElement>? after = null;
        while (true)
        {
            var result = await Store.QueryAsync(collection, new DocumentQuery(filter, sort, 2, after), Ct);
            if (result.Count == 0)
            {
                break;
            }

            ids.AddRange(result.Select(d => (string)d[SystemFields.Id]!));
            after = PositionOf(result[^1], sort);
        }

        Assert.Equal(["a", "g", "c", "b", "f", "d", "e"], ids);
    }

    [Fact]
    public async Task Count_CountsMatches()
    {
        var collection = await CollectionWithAsync(Enumerable.Range(0, 12).Select(i => Doc($"c{i}", $$"""{"even":{{(i % 2 == 0 ? "true" : "false")}}}""")).ToArray());

        Assert.Equal(12, await Store.CountAsync(collection, MatchAllNode.Instance, Ct));
        Assert.Equal(6, await Store.CountAsync(collection, FilterParser.Parse("""{"even":true}"""), Ct));
        Assert.Equal(0, await Store.CountAsync(collection, MatchNoneNode.Instance, Ct));
    }

    [Fact]
    public async Task Query_Limit_CapsResults()
    {
        var collection = await CollectionWithAsync(Enumerable.Range(0, 5).Select(i => Doc($"l{i}")).ToArray());

        Assert.Equal(["l0", "l1"], await QueryIdsAsync(collection, "{}", limit: 2));
        Assert.Empty(await QueryIdsAsync(collection, "{}", limit: 0));
    }

    // ---- indexes ----

    private static IndexDefinition Index(string fields, bool unique = false) =>
        new(fields.Split(',').Select(f => f.StartsWith('-') ? new SortField(f[1..], true) : new SortField(f)).ToList(), unique);

    [Fact]
    public async Task Write_Throws_WhenUniqueIndexIsViolated()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"email":"x@y.z"}"""));
        await Store.ApplyIndexesAsync(collection, [Index("email", unique: true)], Ct);

        var error = await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync(
            [new InsertOperation(collection, Doc("ok", """{"email":"other@y.z"}""")), new InsertOperation(collection, Doc("b", """{"email":"x@y.z"}"""))], Ct));
        var onReplace = await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync(
            [new InsertOperation(collection, Doc("c", """{"email":"c@y.z"}""")), new ReplaceOperation(collection, Doc("c", """{"email":"x@y.z"}""", version: 2), 1)], Ct));

        Assert.Equal(1, error.OpIndex);
        Assert.Equal("ux_email", error.IndexName);
        Assert.Equal(1, onReplace.OpIndex);
        Assert.Equal(["a"], await QueryIdsAsync(collection, "{}"));
    }

    [Fact]
    public async Task UniqueIndex_IgnoresMissingFields_ButTreatsNullAsAValue_AndKeepsTypesApart()
    {
        var collection = await CollectionWithAsync(Doc("m1"), Doc("m2"), Doc("one", """{"u":1}"""), Doc("null1", """{"u":null}"""));
        await Store.ApplyIndexesAsync(collection, [Index("u", unique: true)], Ct);

        await Store.WriteAsync(
        [
            new InsertOperation(collection, Doc("m3")),
            new InsertOperation(collection, Doc("true", """{"u":true}""")),
            new InsertOperation(collection, Doc("text", """{"u":"1"}""")),
            new InsertOperation(collection, Doc("obj", """{"u":{"a":1}}""")),
        ], Ct);
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("null2", """{"u":null}"""))], Ct));
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("one-float", """{"u":1.0}"""))], Ct));
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("true2", """{"u":true}"""))], Ct));

        Assert.Equal(8, await Store.CountAsync(collection, MatchAllNode.Instance, Ct));
        Assert.Equal(["one"], await QueryIdsAsync(collection, """{"u":1}"""));
        Assert.Equal(["m1", "m2", "m3", "null1"], await QueryIdsAsync(collection, """{"u":null}"""));
    }

    [Fact]
    public async Task CompoundUniqueIndex_ConstrainsTheCombination()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"o":"u1","slug":"x"}"""), Doc("b", """{"o":"u2","slug":"x"}"""));
        await Store.ApplyIndexesAsync(collection, [Index("o,slug", unique: true)], Ct);

        await Store.WriteAsync([new InsertOperation(collection, Doc("c", """{"o":"u1","slug":"y"}""")), new InsertOperation(collection, Doc("d", """{"slug":"x"}"""))], Ct);
        var error = await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("e", """{"o":"u2","slug":"x"}"""))], Ct));

        Assert.Equal("ux_o_slug", error.IndexName);
    }

    [Fact]
    public async Task ApplyIndexes_Throws_AndChangesNothing_WhenDataBreaksNewUniqueIndex()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"k":"same","n":1}"""), Doc("b", """{"k":"same","n":2}"""));
        await Store.ApplyIndexesAsync(collection, [Index("n", unique: true)], Ct);

        var error = await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.ApplyIndexesAsync(collection, [Index("k", unique: true)], Ct));

        Assert.Equal("ux_k", error.IndexName);
        // ux_n is still in force (the failed apply did not drop it) and ux_k was not created.
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("c", """{"n":1}"""))], Ct));
        await Store.WriteAsync([new InsertOperation(collection, Doc("d", """{"k":"same","n":4}"""))], Ct);
    }

    [Fact]
    public async Task FieldNames_WithABackslash_AreQueriedSortedAndIndexedLikeAnyOther()
    {
        // A backslash is a valid field name character (only '"' and control characters are refused); on SQLite a JSON
        // path label reads it as an escape, so "c\d" must be addressed as c\\d or it finds nothing.
        var collection = await CollectionWithAsync(
            Doc("one", """{"c\\d":2,"t\\":{"u":"x"}}"""),
            Doc("two", """{"c\\d":1,"t\\":{"u":"y"}}"""),
            Doc("three", """{"cd":2}"""));

        Assert.Equal(["one"], await QueryIdsAsync(collection, """{"c\\d":2}"""));
        Assert.Equal(["two"], await QueryIdsAsync(collection, """{"t\\.u":"y"}"""));
        Assert.Equal(["two", "one"], await QueryIdsAsync(collection, """{"c\\d":{"$exists":true}}""", "c\\d"));
        Assert.Equal(["one", "two"], await QueryIdsAsync(collection, """{"c\\d":{"$exists":true}}""", "-c\\d"));

        await Store.ApplyIndexesAsync(collection, [Index("c\\d", unique: true)], Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("four", """{"c\\d":3}"""))], Ct);
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("five", """{"c\\d":3}"""))], Ct));
    }

    [Fact]
    public async Task ApplyIndexes_KeysWhoseNamesOnceCollided_AreDistinctIndexes()
    {
        // ["a","b"] and ["a_b"] were both named ux_a_b: one shadowed the other, and switching between them kept the old index.
        var collection = await CollectionWithAsync(Doc("one", """{"a":1,"b":2,"a_b":"x"}"""));
        await Store.ApplyIndexesAsync(collection, [Index("a_b", unique: true)], Ct);
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("two", """{"a_b":"x"}"""))], Ct));

        await Store.ApplyIndexesAsync(collection, [Index("a,b", unique: true)], Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("two", """{"a_b":"x"}"""))], Ct);
        var error = await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("three", """{"a":1,"b":2}"""))], Ct));
        Assert.Equal("ux_a_b", error.IndexName);

        // Both at once: each constrains its own keys.
        await Store.WriteAsync([new DeleteOperation(collection, "two")], Ct);
        await Store.ApplyIndexesAsync(collection, [Index("a,b", unique: true), Index("a_b", unique: true)], Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("four", """{"a":1,"b":3,"a_b":"y"}"""))], Ct);
        var byUnderscore = await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("five", """{"a":7,"b":7,"a_b":"y"}"""))], Ct));
        Assert.Equal("ux_a%5Fb", byUnderscore.IndexName);
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("six", """{"a":1,"b":3,"a_b":"z"}"""))], Ct));
        Assert.Equal(["four", "one"], await QueryIdsAsync(collection, "{}"));
    }

    [Fact]
    public async Task ApplyIndexes_IsIdempotent_AndDropsUnlistedIndexes()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"e":"x","g":1}"""));
        IndexDefinition[] indexes = [Index("e", unique: true), Index("g,-_createdAt")];

        await Store.ApplyIndexesAsync(collection, indexes, Ct);
        await Store.ApplyIndexesAsync(collection, indexes, Ct);
        await Assert.ThrowsAsync<UniqueIndexViolationException>(() => Store.WriteAsync([new InsertOperation(collection, Doc("b", """{"e":"x"}"""))], Ct));

        await Store.ApplyIndexesAsync(collection, [Index("g,-_createdAt")], Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("b", """{"e":"x","g":1}"""))], Ct);
        Assert.Equal(["a", "b"], await QueryIdsAsync(collection, """{"g":1}""", "g"));

        await Store.ApplyIndexesAsync(collection, [], Ct);
        Assert.Equal(["a", "b"], await QueryIdsAsync(collection, """{"e":"x"}"""));
    }

    [Fact]
    public async Task Indexes_DoNotChangeQueryResults()
    {
        var docs = FilterDocuments.Select(d => d.DeepClone().AsObject()).ToArray();
        var plain = await CollectionWithAsync(docs.Select(d => d.DeepClone().AsObject()).ToArray());
        var indexed = await CollectionWithAsync(docs);
        await Store.ApplyIndexesAsync(indexed, [Index("n"), Index("s,-n"), Index("tags"), Index("o.k")], Ct);

        foreach (var (filter, sort) in new[]
        {
            ("""{"n":{"$gte":1}}""", "n"), ("""{"s":{"$startsWith":"a"}}""", "-s"), ("""{"tags":"x"}""", "tags"),
            ("""{"o.k":1}""", "-o.k"), ("{}", "s,-n"), ("""{"n":null}""", "-n"),
        })
        {
            Assert.Equal(await QueryIdsAsync(plain, filter, sort), await QueryIdsAsync(indexed, filter, sort));
        }
    }

    // ---- cost: time budgets and cancellation ----

    /// <summary>199 case-insensitive substring conditions that match nothing: a full scan with real work per document.</summary>
    protected static FilterNode ExpensiveFilter() => FilterParser.Parse(
        "{\"$or\": [" + string.Join(",", Enumerable.Range(0, 199).Select(i => "{\"name\": {\"$containsi\": \"zz" + i + "q\"}}")) + "]}");

    /// <summary>A collection of <paramref name="count"/> small documents <c>d000000</c>, ... with a <c>name</c> and an <c>n</c>.</summary>
    protected async Task<string> CollectionOfAsync(int count)
    {
        var collection = fixture.NewCollectionName();
        await Store.CreateCollectionAsync(collection, Ct);
        for (var start = 0; start < count; start += 1000)
        {
            await Store.WriteAsync(
                Enumerable.Range(start, Math.Min(1000, count - start))
                    .Select(i => (WriteOperation)new InsertOperation(collection, Doc($"d{i:D6}", $$"""{"name": "Name number {{i}} of many", "n": {{i}}}""")))
                    .ToList(),
                Ct);
        }

        return collection;
    }

    [Fact]
    public async Task QueryAndCount_RunningPastTheirBudget_StopWithQueryTimeout_AndTheStoreStaysUsable()
    {
        var collection = await CollectionOfAsync(10_000);
        var budget = TimeSpan.FromMilliseconds(1);

        var query = await Assert.ThrowsAsync<QueryTimeoutException>(() =>
            Store.QueryAsync(collection, new DocumentQuery(ExpensiveFilter(), ParseSort("-name"), 1000, Timeout: budget), Ct));
        var count = await Assert.ThrowsAsync<QueryTimeoutException>(() => Store.CountAsync(collection, ExpensiveFilter(), budget, Ct));

        Assert.Equal(budget, query.Timeout);
        Assert.Equal(collection, count.Collection);
        Assert.Equal(["d000007"], await QueryIdsAsync(collection, """{"n": 7}"""));
        Assert.Equal(10_000, await Store.CountAsync(collection, MatchAllNode.Instance, TimeSpan.FromSeconds(60), Ct));
        Assert.NotNull(await Store.GetAsync(collection, "d000001", Ct));
    }

    [Fact]
    public async Task QueryAndCount_WithinTheirBudget_AnswerAsWithoutOne()
    {
        var collection = await CollectionWithAsync(Doc("a", """{"n": 1}"""), Doc("b", """{"n": 2}"""), Doc("c", """{"n": 3}"""));
        var budget = TimeSpan.FromSeconds(60);

        var page = await Store.QueryAsync(collection, new DocumentQuery(FilterParser.Parse("""{"n": {"$gte": 2}}"""), ParseSort("-n"), 10, Timeout: budget), Ct);

        Assert.Equal(["c", "b"], page.Select(d => (string)d[SystemFields.Id]!));
        Assert.Equal(2, await Store.CountAsync(collection, FilterParser.Parse("""{"n": {"$gte": 2}}"""), budget, Ct));
        Assert.Equal(3, await Store.CountAsync(collection, MatchAllNode.Instance, Ct));
    }

    [Fact]
    public async Task Query_CancelledWhileRunning_Stops_AndTheStoreStaysUsable()
    {
        var collection = await CollectionOfAsync(10_000);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(20));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Store.QueryAsync(collection, new DocumentQuery(ExpensiveFilter(), ParseSort("-name"), 1000, Timeout: TimeSpan.FromMinutes(10)), cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.CountAsync(collection, ExpensiveFilter(), cancel.Token));

        Assert.Equal(["d000009"], await QueryIdsAsync(collection, """{"n": 9}"""));
        Assert.Equal(10_000, await Store.CountAsync(collection, MatchAllNode.Instance, Ct));
    }

    // ---- the shared filter corpus ----

    public static TheoryData<string, string> CorpusCases()
    {
        var data = new TheoryData<string, string>();
        var folder = Path.Combine(AppContext.BaseDirectory, "Storage", "Filters", "Corpus");
        if (!Directory.Exists(folder))
        {
            return data;
        }

        foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var item in json.RootElement.EnumerateArray())
            {
                data.Add(Path.GetFileName(file), item.GetProperty("name").GetString()!);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusCases))]
    public async Task Corpus_CaseMatchesExpected(string file, string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Storage", "Filters", "Corpus", file);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path, Ct));
        var item = json.RootElement.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var documents = item.GetProperty("documents").EnumerateArray()
            .Select(d =>
            {
                var doc = JsonNode.Parse(d.GetRawText())!.AsObject();
                if (!doc.ContainsKey(SystemFields.Version))
                {
                    doc[SystemFields.Version] = 1;
                }

                return doc;
            })
            .ToArray();
        var collection = await CollectionWithAsync(documents);
        var sorted = item.TryGetProperty("sort", out var sortElement) && sortElement.ValueKind == JsonValueKind.String;
        var expected = item.GetProperty("expected").EnumerateArray().Select(e => e.GetString()!).ToList();

        var ids = await QueryIdsAsync(collection, item.GetProperty("filter").GetRawText(), sorted ? sortElement.GetString() : null);

        if (sorted)
        {
            Assert.Equal(expected, ids);
        }
        else
        {
            Assert.Equal(expected.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        }
    }
}
