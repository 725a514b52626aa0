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

    [Theory]
    [InlineData("""{ "a": 1, "b": { "$gt": 2 } }""", 0)]
    [InlineData("""{ "$or": [{ "a": 1 }, { "b.c": { "$containsi": "x" } }] }""", FilterCost.ContainsIgnoreCase)]
    [InlineData("""{ "a": { "$startsWith": "x" }, "b": { "$contains": "y" } }""", FilterCost.StartsWith + FilterCost.Contains)]
    [InlineData("""{ "tags": { "$elemMatch": { "$contains": "x" } } }""", FilterCost.ElemMatchFactor * FilterCost.Contains)]
    [InlineData("""{ "a": { "$not": { "$containsi": "x" } } }""", FilterCost.ContainsIgnoreCase)]
    public void ScansOf_CountsOnlyStringScans(string filter, int expected) =>
        Assert.Equal(expected, FilterCost.ScansOf(FilterParser.Parse(JsonDocument.Parse(filter).RootElement, FilterLimits.Default)));

    [Theory]
    [InlineData(10, 8, 1, 10)]
    [InlineData(10, 8, 2, 18)]
    [InlineData(10, 0, 1024, 10)]
    [InlineData(400, 400, 11, 4400)]
    public void Weighted_ScansCountOncePerKibOfTheDocument(int cost, int scans, int sizeKib, long expected) =>
        Assert.Equal(expected, FilterCost.Weighted(cost, scans, sizeKib));

    [Fact]
    public void ClientMatchBudget_RefusesWhatDoesNotFitThisSecond_AndRefillsTheNext()
    {
        var time = new Auth.ManualTimeProvider();
        var budget = new ClientMatchBudget("203.0.113.7", time);

        Assert.True(budget.TryCharge(600, 1000));
        Assert.False(budget.TryCharge(500, 1000));
        Assert.True(budget.TryCharge(400, 1000));
        Assert.False(budget.TryCharge(1, 1000));
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(budget.TryCharge(1, 1000));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(budget.TryCharge(1000, 1000));
        Assert.True(budget.TryCharge(1001, budget: 0));
        Assert.False(budget.TryCharge(2000, 1000));
    }
}
