using System.Text.RegularExpressions;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

public class PcreLiteralTests
{
    [Fact]
    public void Escape_EscapesEveryRegexMetacharacter()
    {
        Assert.Equal(@"\.\*\+\?\^\$\(\)\[\]\{\}\|\\", PcreLiteral.Escape(@".*+?^$()[]{}|\"));
    }

    [Fact]
    public void Escape_EscapesAllAsciiPunctuation_ButNotTheUnderscoreWordCharacter()
    {
        Assert.Equal(@"50\%_off\ \-\#\/\<\>\@\~", PcreLiteral.Escape("50%_off -#/<>@~"));
    }

    [Fact]
    public void Escape_LeavesLettersDigitsAndNonAscii()
    {
        Assert.Equal("abcXYZ019éß😀", PcreLiteral.Escape("abcXYZ019éß😀"));
    }

    [Fact]
    public void Escape_WritesNulAsAHexEscape()
    {
        Assert.Equal(@"a\x00b", PcreLiteral.Escape("a\0b"));
    }

    // .NET regexes share PCRE's rule that a backslash before a non-alphanumeric character is that
    // character, so they show the escaped pattern matches exactly the literal text.
    [Theory]
    [InlineData(@".*+?^$()[]{}|\")]
    [InlineData("100%")]
    [InlineData("a_b")]
    [InlineData("(a|b)")]
    [InlineData("[^x]")]
    public void Escape_MatchesOnlyTheLiteralText(string text)
    {
        var pattern = "^" + PcreLiteral.Escape(text) + "$";

        Assert.Matches(pattern, text);
        Assert.DoesNotMatch(pattern, "x" + text);
        Assert.DoesNotMatch(new Regex(pattern), "z" + text[1..]);
    }
}
