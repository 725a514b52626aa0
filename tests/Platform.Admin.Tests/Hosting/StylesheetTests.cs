using System.Text.RegularExpressions;

namespace Platform.Admin.Tests.Hosting;

/// <summary>
/// The dashboard's own stylesheet stays well-formed. Browsers read an unclosed rule's followers as nested rules of it, so
/// one missing brace silently turned off every rule below it (the code editor, JSON boxes, diffs) without an error.
/// </summary>
public sealed partial class StylesheetTests
{
    [Fact]
    public void AppCss_ClosesEveryRule_AndNestsNone()
    {
        var css = CommentsAndStrings().Replace(
            File.ReadAllText(Path.Combine(RepositoryRoot(), "Platform.Admin", "wwwroot", "css", "app.css")),
            m => new string('\n', m.Value.Count(c => c == '\n')));
        var depth = 0;
        var line = 1;
        foreach (var c in css)
        {
            line += c == '\n' ? 1 : 0;
            depth += c switch { '{' => 1, '}' => -1, _ => 0 };
            Assert.True(depth is 0 or 1, $"app.css: a rule opens inside another, or closes one that is not open, at line {line}");
        }

        Assert.Equal(0, depth);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Baas.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository (Baas.sln) is not above the test output.");
    }

    // Comments and quoted strings may hold braces; line breaks are kept so the line numbers stay right.
    [GeneratedRegex("""/\*[\s\S]*?\*/|"[^"\n]*"|'[^'\n]*'""")]
    private static partial Regex CommentsAndStrings();
}
