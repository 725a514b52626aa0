using System.Text.Json;
using Platform.Server.Common;
using Platform.Server.Documents;

namespace Platform.Server.Tests.Documents;

public sealed class FieldsParserTests
{
    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [Fact]
    public void Parse_ReadsLists()
    {
        Assert.Equal(["a", "b.c"], FieldsParser.Parse("a, b.c"));
        Assert.Equal(["a", "b.c"], FieldsParser.Parse(Json("""["a", "b.c"]""")));
        Assert.Equal(["x"], FieldsParser.Parse(Json("\"x\"")));
        Assert.Empty(FieldsParser.Parse((string?)null));
        Assert.Empty(FieldsParser.Parse(Json("null")));
    }

    [Theory]
    [InlineData("a, b.c,a", "fields[2]", "invalid_fields")]
    [InlineData("a,a", "fields[1]", "invalid_fields")]
    [InlineData("a,,b", "fields[1]", "invalid_path")]
    [InlineData("a.$b", "fields", "invalid_path")]
    public void Parse_RejectsBadPaths(string fields, string field, string code)
    {
        var error = Assert.Throws<InvalidInputException>(() => FieldsParser.Parse(fields));
        Assert.Equal(code, error.Code);
        Assert.Equal(field, error.Field);
    }

    [Theory]
    [InlineData("""["a", "b", "a"]""", "fields[2]")]
    [InlineData("""[1]""", "fields[0]")]
    [InlineData("""{"a": 1}""", "fields")]
    public void Parse_RejectsBadJsonShapes(string json, string field)
    {
        var error = Assert.Throws<InvalidInputException>(() => FieldsParser.Parse(Json(json)));
        Assert.Equal("invalid_fields", error.Code);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Parse_LimitsCount()
    {
        var many = string.Join(",", Enumerable.Range(0, 101).Select(i => "f" + i));
        Assert.Equal("invalid_fields", Assert.Throws<InvalidInputException>(() => FieldsParser.Parse(many)).Code);
        Assert.Equal(100, FieldsParser.Parse(string.Join(",", Enumerable.Range(0, 100).Select(i => "f" + i))).Count);
    }
}
