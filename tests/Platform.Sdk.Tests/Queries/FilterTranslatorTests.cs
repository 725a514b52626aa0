using System.Linq.Expressions;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Platform.Sdk.Tests.Queries;

/// <summary>LINQ predicates to filter JSON, exactly; no server involved.</summary>
public sealed class FilterTranslatorTests : IDisposable
{
    private readonly BaasClient _client = new(new Uri("http://127.0.0.1:9"));

    public void Dispose() => _client.Dispose();

    private string Filter(Expression<Func<Item, bool>> predicate) =>
        _client.Collection<Item>("items").Where(predicate).ToFilterJson().ToJsonString();

    private static string Json(string json) => JsonNode.Parse(json)!.ToJsonString();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Where_TranslatesToExactFilter(string name, Expression<Func<Item, bool>> predicate, string expected)
    {
        Assert.True(Json(expected) == Filter(predicate), $"{name}: {Filter(predicate)}");
    }

    public static TheoryData<string, Expression<Func<Item, bool>>, string> Cases() => new()
    {
        { "bool member", t => t.Done, """{"done":true}""" },
        { "negated bool", t => !t.Done, """{"done":false}""" },
        { "and of distinct fields merges", t => !t.Done && t.Priority > 2, """{"done":false,"priority":{"$gt":2}}""" },
        { "and on one field uses $and", t => t.Priority > 1 && t.Priority < 9, """{"$and":[{"priority":{"$gt":1}},{"priority":{"$lt":9}}]}""" },
        { "or", t => t.Priority == 1 || t.Done, """{"$or":[{"priority":1},{"done":true}]}""" },
        { "nested or flattens", t => t.Priority == 1 || t.Priority == 2 || t.Priority == 3, """{"$or":[{"priority":1},{"priority":2},{"priority":3}]}""" },
        { "equal", t => t.Title == "a", """{"title":"a"}""" },
        { "not equal", t => t.Title != "a", """{"title":{"$ne":"a"}}""" },
        { "less", t => t.Priority < 3, """{"priority":{"$lt":3}}""" },
        { "less or equal", t => t.Priority <= 3, """{"priority":{"$lte":3}}""" },
        { "greater or equal", t => t.Score >= 1.5, """{"score":{"$gte":1.5}}""" },
        { "value on the left flips", t => 3 < t.Priority, """{"priority":{"$gt":3}}""" },
        { "value on the left flips lte", t => 3 >= t.Priority, """{"priority":{"$lte":3}}""" },
        { "null check", t => t.Note == null, """{"note":null}""" },
        { "not null check", t => t.Note != null, """{"note":{"$ne":null}}""" },
        { "nullable compare", t => t.Rank > 2, """{"rank":{"$gt":2}}""" },
        { "nullable HasValue-free null", t => t.Rank == null, """{"rank":null}""" },
        { "nullable Value", t => t.Rank!.Value == 4, """{"rank":4}""" },
        { "negated comparison", t => !(t.Priority > 2), """{"$nor":[{"priority":{"$gt":2}}]}""" },
        { "negated and", t => !(t.Done && t.Priority == 1), """{"$nor":[{"done":true,"priority":1}]}""" },
        { "starts with", t => t.Title.StartsWith("Wr"), """{"title":{"$startsWith":"Wr"}}""" },
        { "starts with ordinal", t => t.Title.StartsWith("Wr", StringComparison.Ordinal), """{"title":{"$startsWith":"Wr"}}""" },
        { "contains", t => t.Title.Contains("50%_off"), """{"title":{"$contains":"50%_off"}}""" },
        { "contains ignoring case", t => t.Title.Contains("ada", StringComparison.OrdinalIgnoreCase), """{"title":{"$containsi":"ada"}}""" },
        { "is null or empty", t => string.IsNullOrEmpty(t.Note), """{"$or":[{"note":null},{"note":""}]}""" },
        { "array contains value", t => t.Tags.Contains("work"), """{"tags":"work"}""" },
        { "array size", t => t.Tags.Count == 2, """{"tags":{"$size":2}}""" },
        { "array length", t => t.Labels.Length == 0, """{"labels":{"$size":0}}""" },
        { "element match", t => t.Lines.Any(l => l.Qty > 5 && l.Sku == "x"), """{"lines":{"$elemMatch":{"qty":{"$gt":5},"sku":"x"}}}""" },
        { "any plain value equal", t => t.Tags.Any(s => s == "x"), """{"tags":{"$elemMatch":{"$eq":"x"}}}""" },
        { "any plain value not equal", t => t.Tags.Any(s => s != "x"), """{"tags":{"$elemMatch":{"$ne":"x"}}}""" },
        { "any plain value starts with", t => t.Tags.Any(s => s.StartsWith("wo")), """{"tags":{"$elemMatch":{"$startsWith":"wo"}}}""" },
        { "any plain value range on one element", t => t.Labels.Any(s => string.CompareOrdinal(s, "b") > 0 && string.CompareOrdinal(s, "d") < 0), """{"labels":{"$elemMatch":{"$gt":"b","$lt":"d"}}}""" },
        { "any plain value or", t => t.Tags.Any(s => s == "x" || s == "y"), """{"$or":[{"tags":{"$elemMatch":{"$eq":"x"}}},{"tags":{"$elemMatch":{"$eq":"y"}}}]}""" },
        { "any plain value in list", t => t.Tags.Any(s => new[] { "x", "y" }.Contains(s)), """{"tags":{"$elemMatch":{"$in":["x","y"]}}}""" },
        { "any plain value not this nor that", t => t.Tags.Any(s => s != "x" && s != "y"), """{"tags":{"$elemMatch":{"$nin":["x","y"]}}}""" },
        { "contains char", t => t.Title.Contains('%'), """{"title":{"$contains":"%"}}""" },
        { "starts with char", t => t.Title.StartsWith('W'), """{"title":{"$startsWith":"W"}}""" },
        { "nested member", t => t.Address!.City == "Oslo", """{"address.city":"Oslo"}""" },
        { "array index", t => t.Lines[0].Sku == "x", """{"lines.0.sku":"x"}""" },
        { "dictionary key", t => t.Counts["views"] > 10, """{"counts.views":{"$gt":10}}""" },
        { "json property name", t => t.DueAt == "2026-01-01", """{"due_at":"2026-01-01"}""" },
        { "id maps to _id", t => t.Id == "a1", """{"_id":"a1"}""" },
        { "enum as number by default", t => t.Status == Status.Closed, """{"status":1}""" },
        { "equals method", t => t.Title.Equals("a"), """{"title":"a"}""" },
        { "ordinal compare", t => string.CompareOrdinal(t.Title, "m") > 0, """{"title":{"$gt":"m"}}""" },
        { "constant true", t => true, """{}""" },
        { "constant false", t => false, """{"_id":{"$in":[]}}""" },
    };

    [Fact]
    public void Where_EvaluatesCapturedVariablesAndMembers()
    {
        var minimum = 2;
        var holder = new { Title = "x", Nested = new Address { City = "Oslo" } };
        Assert.Equal(
            Json("""{"priority":{"$gte":2},"title":"x","address.city":"Oslo"}"""),
            Filter(t => t.Priority >= minimum && t.Title == holder.Title && t.Address!.City == holder.Nested.City));
        minimum = 7;
        Assert.Equal(Json("""{"priority":{"$gte":7}}"""), Filter(t => t.Priority >= minimum));
    }

    [Fact]
    public void Where_EvaluatesMethodCallsOnCapturedValues()
    {
        var title = "  Mixed ";
        Assert.Equal(Json("""{"title":"mixed"}"""), Filter(t => t.Title == title.Trim().ToLowerInvariant()));
    }

    [Fact]
    public void Where_ListContainsBecomesIn()
    {
        var wanted = new List<int> { 1, 3 };
        int[] array = [4, 5];
        var names = new HashSet<string> { "a" };
        Assert.Equal(Json("""{"priority":{"$in":[1,3]}}"""), Filter(t => wanted.Contains(t.Priority)));
        Assert.Equal(Json("""{"priority":{"$in":[4,5]}}"""), Filter(t => array.Contains(t.Priority)));
        Assert.Equal(Json("""{"title":{"$in":["a"]}}"""), Filter(t => names.Contains(t.Title)));
        Assert.Equal(Json("""{"_id":{"$in":["x","y"]}}"""), Filter(t => new[] { "x", "y" }.Contains(t.Id)));
        Assert.Equal(Json("""{"$nor":[{"priority":{"$in":[1,3]}}]}"""), Filter(t => !wanted.Contains(t.Priority)));
    }

    [Fact]
    public void Where_EnumHonoursStringEnumConverter()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = new Uri("http://127.0.0.1:9"), JsonSerializerOptions = options });
        var status = Status.Open;
        var filter = client.Collection<Item>("items").Where(t => t.Status == status || t.Status != Status.Closed).ToFilterJson();
        Assert.Equal(Json("""{"$or":[{"status":"Open"},{"status":{"$ne":"Closed"}}]}"""), filter.ToJsonString());
    }

    [Fact]
    public void Where_HonoursNamingPolicy()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = new Uri("http://127.0.0.1:9"), JsonSerializerOptions = options });
        var query = client.Collection<Item>("items").Where(t => t.Score > 1 && t.DueAt != null && t.Address!.City == "x").OrderByDescending(t => t.Priority);
        Assert.Equal(Json("""{"score":{"$gt":1},"due_at":{"$ne":null},"address.city":"x"}"""), query.ToFilterJson().ToJsonString());
        Assert.Equal(["-priority"], query.ToSortList());
    }

    [Fact]
    public void Where_DictionaryKeysFollowTheDictionaryKeyPolicy()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DictionaryKeyPolicy = JsonNamingPolicy.CamelCase };
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = new Uri("http://127.0.0.1:9"), JsonSerializerOptions = options });
        Assert.Equal(Json("""{"counts.pageViews":1}"""), client.Collection<Item>("items").Where(t => t.Counts["PageViews"] == 1).ToFilterJson().ToJsonString());
    }

    [Fact]
    public void Where_BaasIdAttributeWinsOverIdName()
    {
        var filter = _client.Collection<KeyedItem>("k").Where(k => k.Key == "a" && k.Id == "b").ToFilterJson();
        Assert.Equal(Json("""{"_id":"a","id":"b"}"""), filter.ToJsonString());
    }

    [Fact]
    public void Where_SystemTimeFieldsUseServerFormat()
    {
        var collection = _client.Collection<JsonObject>("raw");
        var since = new DateTimeOffset(2026, 1, 2, 4, 4, 5, 678, TimeSpan.FromHours(1));
        var filter = _client.Collection<Stamped>("s").Where(s => s.CreatedAt >= since).ToFilterJson();
        Assert.Equal(Json("""{"_createdAt":{"$gte":"2026-01-02T03:04:05.678Z"}}"""), filter.ToJsonString());
        Assert.Equal("{}", collection.ToFilterJson().ToJsonString());
    }

    [Fact]
    public void Where_CombinesCallsAndStringForms()
    {
        var query = _client.Collection<Item>("items")
            .Where(t => t.Done)
            .Where("priority", ">=", 2)
            .Where("tags", "contains", "work")
            .Where("status", "in", new[] { 0, 1 })
            .Where("title", "not-in", new[] { "a" })
            .Where("note", "startsWith", "N")
            .Where("rank", "!=", null)
            .Where("score", "<", 2.5)
            .Where("address.zip", "<=", 9999)
            .Where("x", "==", "y")
            .Where("y", ">", 1)
            .Where("done", "==", false);
        Assert.Equal(
            Json("""{"$and":[{"done":true},{"priority":{"$gte":2}},{"tags":"work"},{"status":{"$in":[0,1]}},{"title":{"$nin":["a"]}},{"note":{"$startsWith":"N"}},{"rank":{"$ne":null}},{"score":{"$lt":2.5}},{"address.zip":{"$lte":9999}},{"x":"y"},{"y":{"$gt":1}},{"done":false}]}"""),
            query.ToFilterJson().ToJsonString());
    }

    [Fact]
    public void Where_StringFormRejectsUnknownOperatorsAndBadValues()
    {
        var items = _client.Collection<Item>("items");
        Assert.Throws<ArgumentException>(() => items.Where("a", "=~", 1));
        Assert.Throws<ArgumentException>(() => items.Where("a", "in", 1));
        Assert.Throws<ArgumentException>(() => items.Where("a", ">", null));
        Assert.Throws<ArgumentException>(() => items.Where("a", "startsWith", 5));
    }

    [Fact]
    public void Where_RawJsonFilterIsKept()
    {
        var raw = JsonNode.Parse("""{"tags":{"$all":["a","b"]}}""")!.AsObject();
        Assert.Equal(Json("""{"tags":{"$all":["a","b"]},"done":false}"""), _client.Collection<Item>("items").Where(raw).Where(t => !t.Done).ToFilterJson().ToJsonString());
    }

    [Fact]
    public void Queries_AreImmutable()
    {
        var items = _client.Collection<Item>("items");
        var open = items.Where(t => !t.Done);
        var sorted = open.OrderBy(t => t.Title).ThenByDescending(t => t.Priority).ThenBy(t => t.Address!.City);
        Assert.Equal("{}", items.ToFilterJson().ToJsonString());
        Assert.Empty(open.ToSortList());
        Assert.Equal(["title", "-priority", "address.city"], sorted.ToSortList());
        Assert.Equal(["-_createdAt", "title"], sorted.OrderBy("-_createdAt").ThenBy("title").ToSortList());
        Assert.Equal(["_id"], sorted.OrderBy(t => t.Id).ToSortList());
    }

    public static TheoryData<string, Expression<Func<Item, bool>>> Unsupported() => new()
    {
        { "two fields", t => t.Priority > t.Rank },
        { "method on field", t => t.Title.ToUpperInvariant() == "A" },
        { "ignored member", t => t.Secret == "x" },
        { "culture starts with", t => t.Title.StartsWith("a", StringComparison.CurrentCultureIgnoreCase) },
        { "ends with", t => t.Title.EndsWith('a') },
        { "null ordering", t => t.Note!.Length > 2 },
        { "size not equal", t => t.Tags.Count > 2 },
        { "arithmetic on field", t => t.Priority + 1 > 2 },
        { "element refers to document", t => t.Lines.Any(l => l.Qty > t.Priority) },
        { "scalar element mixing fields", t => t.Tags.Any(s => s == t.Title) },
        { "scalar element operator twice", t => t.Tags.Any(s => s.StartsWith("a") && s.StartsWith("b")) },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Where_ThrowsNotSupportedWithTheExpression(string name, Expression<Func<Item, bool>> predicate)
    {
        var ex = Assert.Throws<NotSupportedException>(() => _client.Collection<Item>("items").Where(predicate));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message), name);
    }

    [Fact]
    public void OrderBy_RejectsNonMemberSelectors()
    {
        var ex = Assert.Throws<NotSupportedException>(() => _client.Collection<Item>("items").OrderBy(t => t.Priority * 2));
        Assert.Contains("t.Priority", ex.Message, StringComparison.Ordinal);
    }

    public sealed class Stamped
    {
        [JsonPropertyName("_createdAt")]
        public DateTimeOffset CreatedAt { get; set; }
    }
}
