using System.Text.Json;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Documents;

public sealed class SortParserTests
{
    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [Fact]
    public void Parse_ReadsCommaListWithDirections()
    {
        Assert.Equal([new SortField("_createdAt", true), new SortField("name"), new SortField("a.b.0")], SortParser.Parse("-_createdAt, name ,a.b.0"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Parse_ReturnsEmpty_ForBlankText(string? sort)
    {
        Assert.Empty(SortParser.Parse(sort));
    }

    [Fact]
    public void Parse_ReadsArrayAndStringElements()
    {
        Assert.Equal([new SortField("a", true), new SortField("b")], SortParser.Parse(Json("""["-a", "b"]""")));
        Assert.Equal([new SortField("a", true), new SortField("b")], SortParser.Parse(Json("\"-a,b\"")));
        Assert.Empty(SortParser.Parse(Json("null")));
        Assert.Empty(SortParser.Parse(default(JsonElement)));
    }

    [Theory]
    [InlineData("a,,b", "sort[1]", "invalid_path")]
    [InlineData("-", "sort", "invalid_path")]
    [InlineData("a..b", "sort", "invalid_path")]
    [InlineData("$a", "sort", "invalid_path")]
    [InlineData("a,b.$c", "sort[1]", "invalid_path")]
    [InlineData("a,-a", "sort[1]", "invalid_sort")]
    [InlineData("a,b,c,d,e,f,g,h,i", "sort", "invalid_sort")]
    public void Parse_RejectsBadKeys(string sort, string field, string code)
    {
        var error = Assert.Throws<InvalidInputException>(() => SortParser.Parse(sort));
        Assert.Equal(code, error.Code);
        Assert.Equal(field, error.Field);
    }

    [Theory]
    [InlineData("""[1]""", "sort[0]")]
    [InlineData("""["a", null]""", "sort[1]")]
    [InlineData("""{"a": 1}""", "sort")]
    [InlineData("""5""", "sort")]
    public void Parse_RejectsBadJsonShapes(string json, string field)
    {
        var error = Assert.Throws<InvalidInputException>(() => SortParser.Parse(Json(json)));
        Assert.Equal("invalid_sort", error.Code);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Parse_AcceptsEightKeysAndHonoursConfiguredMaximum()
    {
        Assert.Equal(8, SortParser.Parse("a,b,c,d,e,f,g,h").Count);
        Assert.Equal("invalid_sort", Assert.Throws<InvalidInputException>(() => SortParser.Parse("a,b,c", maxKeys: 2)).Code);
        Assert.Equal("q.sort", Assert.Throws<InvalidInputException>(() => SortParser.Parse(Json("""["a", "b", "c"]"""), "q.sort", 2)).Field);
    }
}
