using System.Text.Json.Nodes;
using Platform.Server.Rules;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.AdminTools;

/// <summary>A filter written back as JSON parses into a filter that matches the same documents.</summary>
public sealed class FilterJsonTests
{
    private static readonly JsonObject[] Documents =
    [
        Doc("""{"_id":"a","n":1,"s":"Alpha","tags":["x","y"],"o":{"k":1},"items":[{"q":2},{"q":5}]}"""),
        Doc("""{"_id":"b","n":5,"s":"beta","tags":["y"],"o":{"k":2},"items":[{"q":9}]}"""),
        Doc("""{"_id":"c","s":null,"tags":[],"items":[]}"""),
        Doc("""{"_id":"d","n":10,"s":"gamma","scores":[70,90]}"""),
    ];

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"n":1}""")]
    [InlineData("""{"n":{"$gt":1,"$lte":10}}""")]
    [InlineData("""{"n":{"$in":[1,10]},"s":{"$ne":null}}""")]
    [InlineData("""{"$or":[{"n":{"$nin":[1]}},{"s":{"$startsWith":"Al"}}]}""")]
    [InlineData("""{"$nor":[{"n":{"$exists":true}}]}""")]
    [InlineData("""{"n":{"$not":{"$gt":4}}}""")]
    [InlineData("""{"s":{"$containsi":"ETA"},"tags":{"$all":["y"]}}""")]
    [InlineData("""{"tags":{"$size":0}}""")]
    [InlineData("""{"items":{"$elemMatch":{"q":{"$gt":4}}}}""")]
    [InlineData("""{"scores":{"$elemMatch":{"$gt":80}}}""")]
    [InlineData("""{"o.k":{"$gte":2},"s":{"$contains":"et"}}""")]
    public void ToJson_ParsesBackToAFilterMatchingTheSameDocuments(string filterText)
    {
        var filter = FilterParser.Parse(filterText);
        var written = FilterJson.ToJson(filter);
        var reparsed = FilterParser.Parse(written.ToJsonString());
        Assert.Equal(Matches(filter), Matches(reparsed));
    }

    [Fact]
    public void ToJson_MatchNone_MatchesNothing()
    {
        var written = FilterJson.ToJson(MatchNoneNode.Instance);
        Assert.Empty(Matches(FilterParser.Parse(written.ToJsonString())));
    }

    [Fact]
    public void ToJson_OfAListRuleBoundToACaller_IsTheRuleAsAFilter()
    {
        var rule = RuleCompiler.Compile(RuleOperation.List, "doc.owner == auth.id || doc.public == true");
        var filter = rule.ToFilter(new RuleContext { Auth = new JsonObject { ["id"] = "u1" } });
        var written = FilterJson.ToJson(filter);
        Assert.Contains("u1", written.ToJsonString(), StringComparison.Ordinal);
        var docs = new[] { Doc("""{"_id":"1","owner":"u1"}"""), Doc("""{"_id":"2","owner":"u2"}"""), Doc("""{"_id":"3","owner":"u2","public":true}""") };
        var reparsed = FilterParser.Parse(written.ToJsonString());
        Assert.Equal(["1", "3"], docs.Where(d => FilterMatcher.Matches(reparsed, d)).Select(d => d["_id"]!.GetValue<string>()));
    }

    private static List<string> Matches(FilterNode filter) =>
        [.. Documents.Where(d => FilterMatcher.Matches(filter, d)).Select(d => d["_id"]!.GetValue<string>())];

    private static JsonObject Doc(string json) => JsonNode.Parse(json)!.AsObject();
}
