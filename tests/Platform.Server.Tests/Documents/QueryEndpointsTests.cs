using System.Net;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Documents;

public sealed class QueryEndpointsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string Docs(string collection) => $"/api/collections/{collection}/documents";

    private async Task<string> SeedAsync(params string[] documents)
    {
        var c = await fixture.NewCollectionAsync(indexes: [new { fields = new[] { "status", "-priority" } }], cancellationToken: TestContext.Current.CancellationToken);
        var ops = string.Join(",", documents.Select(d => $$"""{ "op": "create", "collection": "{{c}}", "data": {{d}} }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync("/api/batch", $$"""{ "ops": [{{ops}}] }"""));
        return c;
    }

    private static List<string> Ids(JsonObject page) => [.. page["items"]!.AsArray().Select(d => d!["_id"]!.GetValue<string>())];

    private async Task<JsonObject> GetAsync(string url) =>
        (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync(url, TestContext.Current.CancellationToken)))!;

    [Fact]
    public async Task Get_FilterSortLimitCount_InQueryString()
    {
        var c = await SeedAsync(
            """{ "_id": "a", "status": "open", "priority": 1, "tags": ["x"] }""",
            """{ "_id": "b", "status": "open", "priority": 5, "tags": ["x", "y"] }""",
            """{ "_id": "c", "status": "done", "priority": 9 }""",
            """{ "_id": "d", "status": "open", "priority": 3 }""");
        var filter = Uri.EscapeDataString("""{ "status": "open", "priority": { "$gte": 2 } }""");
        var page = await GetAsync($"{Docs(c)}?filter={filter}&sort=-priority&limit=1&count=true");
        Assert.Equal(["b"], Ids(page));
        Assert.Equal(2, page["count"]!.GetValue<long>());
        Assert.NotNull(page["nextCursor"]);

        var next = await GetAsync($"{Docs(c)}?filter={filter}&sort=-priority&limit=1&cursor={Uri.EscapeDataString(page["nextCursor"]!.GetValue<string>())}");
        Assert.Equal(["d"], Ids(next));
        Assert.Null(next["nextCursor"]);

        var arrays = await GetAsync($"{Docs(c)}?filter={Uri.EscapeDataString("""{ "tags": "y" }""")}");
        Assert.Equal(["b"], Ids(arrays));
    }

    [Fact]
    public async Task Post_Query_WithBody_AndProjection()
    {
        var c = await SeedAsync(
            """{ "_id": "a", "name": "Ada", "address": { "city": "London", "zip": "N1" }, "age": 36 }""",
            """{ "_id": "b", "name": "Bob", "address": { "city": "Oslo" }, "age": 17 }""");
        var page = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync($"/api/collections/{c}/query",
            """{ "filter": { "$or": [ { "age": { "$gte": 18 } }, { "address.city": "Oslo" } ] }, "sort": ["name"], "fields": ["name", "address.city"], "count": true }""")))!;
        Assert.Equal(["a", "b"], Ids(page));
        var first = page["items"]![0]!.AsObject();
        Assert.Equal("Ada", first["name"]!.GetValue<string>());
        Assert.Equal("""{"city":"London"}""", first["address"]!.ToJsonString());
        Assert.False(first.ContainsKey("age"));
        Assert.Equal(1, first["_version"]!.GetValue<long>());
        Assert.Equal(2, page["count"]!.GetValue<long>());
    }

    [Fact]
    public async Task Paging_UnderConcurrentInsertsAndDeletes_NeitherSkipsNorRepeats()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await SeedAsync([.. Enumerable.Range(0, 60).Select(i => $$"""{ "_id": "d{{i:D3}}", "status": "open", "priority": {{i % 7}} }""")]);
        var seen = new List<string>();
        string? cursor = null;
        var round = 0;
        do
        {
            var page = await GetAsync($"{Docs(c)}?sort=-priority&limit=7" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            seen.AddRange(Ids(page));
            cursor = page["nextCursor"]?.GetValue<string>();

            // Between pages: new documents sort before the position already passed, and an unseen one is deleted.
            await fixture.Service.PostJsonAsync(Docs(c), $$"""{ "_id": "new{{round}}", "status": "open", "priority": 100 }""");
            var victim = $"d{59 - round:D3}";
            if (!seen.Contains(victim))
            {
                await fixture.Service.DeleteAsync($"{Docs(c)}/{victim}", ct);
            }

            round++;
        }
        while (cursor is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.DoesNotContain(seen, id => id.StartsWith("new", StringComparison.Ordinal));
        var stillThere = (await GetAsync($"{Docs(c)}?limit=1000"))["items"]!.AsArray()
            .Select(d => d!["_id"]!.GetValue<string>()).Where(id => id.StartsWith('d')).ToHashSet();
        Assert.True(stillThere.IsSubsetOf(seen), "every document that existed throughout was seen");
    }

    public static TheoryData<string, string, string> BadQueries => new()
    {
        { "filter=" + Uri.EscapeDataString("""{ "$where": "1" }"""), "unknown_operator", "filter.$where" },
        { "filter=" + Uri.EscapeDataString("""{ "a": { "$expr": 1 } }"""), "unknown_operator", "filter.a.$expr" },
        { "filter=" + Uri.EscapeDataString("""{ "a": { "$function": 1 } }"""), "unknown_operator", "filter.a.$function" },
        { "filter=" + Uri.EscapeDataString("""{ "a": """), "invalid_filter", "filter" },
        { "filter=" + Uri.EscapeDataString("""{ "n": { "$in": 5 } }"""), "invalid_filter", "filter.n.$in" },
        { "limit=0", "invalid_limit", "limit" },
        { "limit=1001", "invalid_limit", "limit" },
        { "limit=ten", "invalid_limit", "limit" },
        { "cursor=garbage!", "invalid_cursor", "cursor" },
        { "count=maybe", "invalid_count", "count" },
        { "sort=" + Uri.EscapeDataString("a,,b"), "invalid_path", "sort[1]" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task Get_BadParameters_Are400NamingThem(string query, string code, string field)
    {
        var c = await SeedAsync("""{ "_id": "a" }""");
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, await fixture.Service.GetAsync($"{Docs(c)}?{query}", TestContext.Current.CancellationToken));
        Assert.Equal(field, problem["field"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("2.0")]
    [InlineData("2e0")]
    [InlineData("0.2e1")]
    public async Task PostQuery_IntegralLimitWrittenWithAFractionOrExponent_IsThatLimit(string limit)
    {
        var c = await SeedAsync("""{ "_id": "a" }""", """{ "_id": "b" }""", """{ "_id": "c" }""");
        var page = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync($"/api/collections/{c}/query", $$"""{ "sort": "_id", "limit": {{limit}} }""")))!;
        Assert.Equal(["a", "b"], Ids(page));
        Assert.NotNull(page["nextCursor"]);
    }

    [Theory]
    [InlineData("2.5", "invalid_limit")]
    [InlineData("\"2\"", "invalid_limit")]
    [InlineData("true", "invalid_limit")]
    [InlineData("1e400", "invalid_number")]
    [InlineData("0.0", "invalid_limit")]
    [InlineData("1e12", "invalid_limit")]
    public async Task PostQuery_LimitThatIsNotAWholeNumberInRange_Is400NamingLimit(string limit, string code)
    {
        var c = await SeedAsync("""{ "_id": "a" }""");
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, await fixture.Service.PostJsonAsync($"/api/collections/{c}/query", $$"""{ "limit": {{limit}} }"""));
        Assert.Equal("limit", problem["field"]?.GetValue<string>());
    }

    [Fact]
    public async Task Filter_OverLimits_Is400()
    {
        var c = await SeedAsync("""{ "_id": "a" }""");
        var manyValues = "[" + string.Join(",", Enumerable.Range(0, 1001)) + "]";
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "filter_too_complex", await fixture.Service.PostJsonAsync($"/api/collections/{c}/query", $$"""{ "filter": { "n": { "$in": {{manyValues}} } } }"""));
        var deep = string.Concat(Enumerable.Repeat("""{ "$and": [""", 20)) + "{}" + string.Concat(Enumerable.Repeat("] }", 20));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "filter_too_complex", await fixture.Service.PostJsonAsync($"/api/collections/{c}/query", $$"""{ "filter": {{deep}} }"""));
    }

    [Fact]
    public async Task Cursor_FromAnotherSort_Is400()
    {
        var c = await SeedAsync("""{ "_id": "a", "n": 1 }""", """{ "_id": "b", "n": 2 }""");
        var page = await GetAsync($"{Docs(c)}?sort=n&limit=1");
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_cursor",
            await fixture.Service.GetAsync($"{Docs(c)}?sort=-n&limit=1&cursor={Uri.EscapeDataString(page["nextCursor"]!.GetValue<string>())}", TestContext.Current.CancellationToken));
        Assert.Equal("cursor", problem["field"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("v")]
    [InlineData("-v")]
    public async Task Paging_ByAFieldHoldingArrays_Is400_NamingTheSort_WhileOnePageOfEverythingIsAnswered(string sort)
    {
        var c = await SeedAsync("""{ "_id": "a", "v": [5, 1] }""", """{ "_id": "b", "v": 3 }""", """{ "_id": "c", "v": [4, 9] }""");

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "sort_over_array",
            await fixture.Service.GetAsync($"{Docs(c)}?sort={sort}&limit=1", TestContext.Current.CancellationToken));
        Assert.Equal("sort", problem["field"]!.GetValue<string>());
        Assert.Equal("v", problem["path"]!.GetValue<string>());

        Assert.Equal(3, Ids(await GetAsync($"{Docs(c)}?sort={sort}&limit=10")).Count);
        Assert.Equal(["b"], Ids(await GetAsync($"{Docs(c)}?sort={sort}&limit=1&filter={Uri.EscapeDataString("""{ "_id": "b" }""")}")));
    }
}
