using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Storage.Filters;

public sealed class FilterMatcherCorpusTests
{
    public static TheoryData<string> Cases() => FilterCorpus.Keys();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Corpus_MatcherAndOrderAgree_WithExpected(string key)
    {
        var item = FilterCorpus.Get(key);
        var filter = FilterParser.Parse(item.Filter);
        var matches = item.Documents.Where(FilterMatcher.Compile(filter));

        if (item.Sort is null)
        {
            var ids = matches.Select(d => (string)d["_id"]!).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(item.Expected.Order(StringComparer.Ordinal).ToList(), ids);
        }
        else
        {
            var ordered = matches.Order(JsonValueOrder.DocumentComparer(item.SortFields)).Select(d => (string)d["_id"]!).ToList();
            Assert.Equal(item.Expected, ordered);
        }
    }

    [Fact]
    public void Corpus_HasUniqueNamesAndEnoughCases()
    {
        var cases = FilterCorpus.LoadAll();
        Assert.Equal(cases.Count, cases.Select(c => c.Key).Distinct(StringComparer.Ordinal).Count());
        Assert.True(cases.Count(c => c.File == "filters.json") >= 80);
        Assert.All(cases, c => Assert.Equal(c.Documents.Count, c.Documents.Select(d => (string)d["_id"]!).Distinct(StringComparer.Ordinal).Count()));
    }
}
