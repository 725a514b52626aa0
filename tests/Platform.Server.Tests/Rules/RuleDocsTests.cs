using Platform.Server.Common;
using Platform.Server.Rules;

namespace Platform.Server.Tests.Rules;

/// <summary>Keeps docs/rules.md honest: every example in a <c>rule</c> block compiles, every one in a <c>rule-error</c> block fails.</summary>
public sealed class RuleDocsTests
{
    public static TheoryData<string, string, bool> Examples()
    {
        var data = new TheoryData<string, string, bool>();
        string? info = null;
        foreach (var line in File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "rules.md")))
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

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Baas.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Baas.sln not found above the test output.");
    }
}
