using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Rules;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Rules;

/// <summary>Keeps docs/rules.md honest: every example in a <c>rule</c> block compiles, every one in a <c>rule-error</c> block fails.</summary>
public sealed class RuleDocsTests
{
    public static TheoryData<string, string, bool> Examples()
    {
        var data = new TheoryData<string, string, bool>();
        string? info = null;
        foreach (var line in File.ReadAllLines(Path.Combine(RepositoryFiles.Root(), "docs", "rules.md")))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                info = info is null ? line[3..] : null;
                continue;
            }

            if (info is not null && info.StartsWith("rule", StringComparison.Ordinal) && line.Length > 0)
            {
                var parts = info.Split(' ');
                data.Add(parts[1], line, parts[0] == "rule");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_CompilesAsDocumented(string operation, string rule, bool valid)
    {
        if (valid)
        {
            RuleCompiler.Compile(operation, rule);
        }
        else
        {
            Assert.Throws<InvalidInputException>(() => RuleCompiler.Compile(operation, rule));
        }
    }

    [Fact]
    public void Examples_AreFound() => Assert.True(Examples().Count >= 12);

    /// <summary>The <c>json</c> blocks that hold a <c>rules</c> object (the recipes), as a collection definition would.</summary>
    public static TheoryData<string> RuleSets()
    {
        var data = new TheoryData<string>();
        var block = new List<string>();
        string? info = null;
        foreach (var line in File.ReadAllLines(Path.Combine(RepositoryFiles.Root(), "docs", "rules.md")))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                if (info == "json" && JsonNode.Parse(string.Join('\n', block)) is JsonObject { } json && json["rules"] is JsonObject rules)
                {
                    data.Add(rules.ToJsonString());
                }

                info = info is null ? line[3..] : null;
                block.Clear();
                continue;
            }

            block.Add(line);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RuleSets))]
    public void RuleSet_CompilesAsDocumented(string rules)
    {
        var set = RuleSet.Compile(JsonNode.Parse(rules)!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()));
        Assert.NotNull(set[RuleOperation.Create] ?? set[RuleOperation.List]);
    }

    [Fact]
    public void RuleSets_AreFound() => Assert.True(RuleSets().Count >= 6);

}
