using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Storage.Filters;

public sealed class FilterMatcherTests
{
    private static bool Match(string filter, string document) =>
        FilterMatcher.Matches(FilterParser.Parse(filter), JsonNode.Parse(document)!.AsObject());

    [Fact]
    public void Matches_HandlesDocumentsBuiltInCode()
    {
        var doc = new JsonObject { ["n"] = 5L, ["d"] = 2.5, ["s"] = "x", ["t"] = new JsonArray(1, 2), ["b"] = true, ["z"] = null };
        var filter = FilterParser.Parse("""{"n": {"$gte": 5.0}, "d": {"$lt": 3}, "s": "x", "t": 2, "b": true, "z": null, "t.1": 2}""");
        Assert.True(FilterMatcher.Matches(filter, doc));
    }

    [Fact]
    public void Matches_MatchNoneAndMatchAll()
    {
        var doc = new JsonObject();
        Assert.False(FilterMatcher.Matches(MatchNoneNode.Instance, doc));
        Assert.True(FilterMatcher.Matches(MatchAllNode.Instance, doc));
        Assert.True(FilterMatcher.Matches(new OrNode([MatchNoneNode.Instance, MatchAllNode.Instance]), doc));
    }

    [Fact]
    public void CompileForValue_AppliesEmptyPathToTheValue()
    {
        var node = Assert.IsType<ElemMatchNode>(FilterParser.Parse("""{"x": {"$elemMatch": {"$gt": 1, "$lt": 5}}}"""));
        var predicate = FilterMatcher.CompileForValue(node.Condition);
        Assert.True(predicate(JsonValue.Create(3)));
        Assert.False(predicate(JsonValue.Create(7)));
        Assert.False(predicate(null));
        Assert.False(predicate(JsonValue.Create("3")));
    }

    [Fact]
    public void Matches_NestedElemMatchOnArraysOfArrays()
    {
        Assert.True(Match("""{"m": {"$elemMatch": {"$elemMatch": {"$gt": 5}}}}""", """{"m": [[1], [2, 9]]}"""));
        Assert.False(Match("""{"m": {"$elemMatch": {"$elemMatch": {"$gt": 5}}}}""", """{"m": [[1], 9]}"""));
    }

    [Fact]
    public void Matches_DoesNotEnterArraysNestedInArrays()
    {
        Assert.False(Match("""{"a.b": 1}""", """{"a": [[{"b": 1}]]}"""));
        Assert.True(Match("""{"a.0.0.b": 1}""", """{"a": [[{"b": 1}]]}"""));
    }

    [Fact]
    public void Matches_SizeOfNestedLeafAndIndexedElement()
    {
        Assert.True(Match("""{"a.1": {"$size": 2}}""", """{"a": [[1], [1, 2]]}"""));
        Assert.False(Match("""{"a.0": {"$size": 2}}""", """{"a": [[1], [1, 2]]}"""));
    }

    [Fact]
    public void Matches_ContainsIgnoreCaseIsOrdinal()
    {
        Assert.True(Match("""{"s": {"$containsi": "ÉT"}}""", """{"s": "été"}"""));
        Assert.False(Match("""{"s": {"$contains": "ÉT"}}""", """{"s": "été"}"""));
    }

    [Fact]
    public void Compile_ConvertsOperandsOnceAndIsReusable()
    {
        var predicate = FilterMatcher.Compile(FilterParser.Parse("""{"n": {"$in": [1, 2]}}"""));
        Assert.True(predicate(new JsonObject { ["n"] = 2 }));
        Assert.False(predicate(new JsonObject { ["n"] = 3 }));
        Assert.True(predicate(new JsonObject { ["n"] = 1.0 }));
    }

    [Fact]
    public void Matches_RejectsUnknownNodeTypes()
    {
        Assert.Throws<ArgumentException>(() => FilterMatcher.Compile(new FieldNode("a", (FieldOperator)99, default(JsonElement))));
    }
}
