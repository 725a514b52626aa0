using System.Text.Json.Nodes;
using Platform.Server.Rules;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Rules;

/// <summary>
/// The key property of the rules engine: a list rule turned into a filter for a caller selects exactly
/// the documents the full evaluation allows for that caller. The in-memory matcher is the reference the
/// providers are held to; <see cref="RuleStoreAgreementTests"/> runs the same check through each store.
/// </summary>
public sealed class RuleAgreementTests
{
    public static TheoryData<string> Rules() => new(RuleSamples.ListRules);

    [Theory]
    [MemberData(nameof(Rules))]
    public void ToFilter_MatchesTheSameDocumentsAsEvaluate_ForEveryCaller(string text)
    {
        var rule = RuleCompiler.Compile(RuleOperation.List, text);
        var documents = RuleSamples.Documents(400, seed: text.Length);
        foreach (var auth in RuleSamples.Callers)
        {
            var filter = rule.ToFilter(new RuleContext { Auth = auth, Now = RuleSamples.Now });
            foreach (var doc in documents)
            {
                var expected = rule.Evaluate(new RuleContext { Auth = auth, Doc = doc, Now = RuleSamples.Now });
                var actual = FilterMatcher.Matches(filter, doc);
                Assert.True(expected == actual, $"rule '{text}', auth {auth?.ToJsonString() ?? "null"}, doc {doc.ToJsonString()}: evaluate {expected}, filter {actual} ({FilterText.Of(filter)}).");
            }
        }
    }

    [Fact]
    public void Rules_SplitTheSampleDocuments_SoTheAgreementIsNotVacuous()
    {
        // Every doc-dependent rule must allow some documents and deny others for some caller;
        // otherwise a constant answer on both sides would pass the agreement test.
        var documents = RuleSamples.Documents(400, seed: 7);
        var constant = new HashSet<string> { "true", "false", "auth != null", "auth == null", "\"admin\" in auth.roles", "auth.verified && !auth.anonymous", "doc.status in []", "doc.n > null", "(doc.n > 2) == null", "(doc.n > 2) in [true, false]", "doc.n <= true", "doc.n < auth.id", "doc.n > \"b\"", "\"b\" <= doc.n" };
        foreach (var text in RuleSamples.ListRules.Where(r => !constant.Contains(r)))
        {
            var rule = RuleCompiler.Compile(RuleOperation.List, text);
            var outcomes = RuleSamples.Callers
                .SelectMany(auth => documents.Select(doc => rule.Evaluate(new RuleContext { Auth = auth, Doc = doc, Now = RuleSamples.Now })))
                .Distinct()
                .Count();
            Assert.True(outcomes == 2, $"rule '{text}' gives the same answer for every sample.");
        }
    }

    [Fact]
    public void Documents_AreDeterministicPerSeed()
    {
        var first = RuleSamples.Documents(50, seed: 3).Select(d => d.ToJsonString());
        var second = RuleSamples.Documents(50, seed: 3).Select(d => d.ToJsonString());
        Assert.Equal(first, second);
        Assert.Contains(RuleSamples.Documents(400, seed: 3), d => !d.ContainsKey("ownerId"));
        Assert.Contains(RuleSamples.Documents(400, seed: 3), d => d["owner"] is JsonArray);
    }
}
