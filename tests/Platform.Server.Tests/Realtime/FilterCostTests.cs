using System.Text.Json;
using Platform.Server.Realtime;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Realtime;

public sealed class FilterCostTests
{
    private static int Cost(string filter) => FilterCost.Of(FilterParser.Parse(JsonDocument.Parse(filter).RootElement, FilterLimits.Default));

    [Theory]
    [InlineData("{}", 0)]
    [InlineData("""{ "a": 1 }""", 1)]
    [InlineData("""{ "a": 1, "b": { "$gt": 2 } }""", 2)]
    [InlineData("""{ "a.b.c": 1 }""", 3)]
    [InlineData("""{ "a": { "$startsWith": "x" } }""", FilterCost.StartsWith)]
    [InlineData("""{ "a": { "$contains": "x" } }""", FilterCost.Contains)]
    [InlineData("""{ "a": { "$containsi": "x" } }""", FilterCost.ContainsIgnoreCase)]
    [InlineData("""{ "a": { "$in": [1, 2, 3, 4, 5] } }""", 3)]
    [InlineData("""{ "a": { "$not": { "$eq": 1 } } }""", 2)]
    [InlineData("""{ "$or": [{ "a": 1 }, { "b": { "$containsi": "x" } }] }""", 1 + FilterCost.ContainsIgnoreCase)]
    [InlineData("""{ "tags": { "$elemMatch": { "$eq": "x" } } }""", FilterCost.ElemMatchFactor * 2)]
    public void Of_WeighsEachConditionByWhatMatchingItCosts(string filter, int expected) => Assert.Equal(expected, Cost(filter));

    [Fact]
    public void Of_TheReportedAttackFilter_IsFarOverTheDefaultLimit()
    {
        // 199 case-insensitive substring scans: the filter of issue 11's reproduction.
        var conditions = string.Join(", ", Enumerable.Range(0, 199).Select(i => $$"""{ "f{{i}}": { "$containsi": "needle{{i}}" } }"""));
        var cost = Cost($$"""{ "$or": [{{conditions}}] }""");

        Assert.Equal(199 * FilterCost.ContainsIgnoreCase, cost);
        Assert.True(cost > new RealtimeOptions().MaxFilterCost);
    }

    [Fact]
    public void Of_EveryConditionAFilterMayHave_StaysWithinTheDefaultConnectionBudget()
    {
        var conditions = string.Join(", ", Enumerable.Range(0, 200).Select(i => $$"""{ "f{{i}}": {{i}} }"""));
        var cost = Cost($$"""{ "$and": [{{conditions}}] }""");

        Assert.Equal(200, cost);
        Assert.True(cost <= new RealtimeOptions().MaxFilterCost);
    }
}
