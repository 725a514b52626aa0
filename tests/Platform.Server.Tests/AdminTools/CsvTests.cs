using System.Text.Json.Nodes;
using Platform.Server.AdminTools;
using Platform.Server.Common;

namespace Platform.Server.Tests.AdminTools;

public sealed class CsvTests
{
    [Theory]
    [InlineData("42", "42")]
    [InlineData("-1.5e3", "-1500")]
    [InlineData("true", "true")]
    [InlineData("null", "null")]
    [InlineData("[1,\"a\"]", "[1,\"a\"]")]
    [InlineData("{\"k\":1}", "{\"k\":1}")]
    [InlineData("\"007\"", "\"007\"")]
    [InlineData("007", "\"007\"")]
    [InlineData("hello, world", "\"hello, world\"")]
    [InlineData("2026-01-02T03:04:05.678Z", "\"2026-01-02T03:04:05.678Z\"")]
    [InlineData("[not json", "\"[not json\"")]
    public void TryParseCell_TypesValuesSensibly(string cell, string expectedJson)
    {
        Assert.True(Csv.TryParseCell(cell, out var value));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedJson), value), value?.ToJsonString());
    }

    [Fact]
    public void TryParseCell_Empty_IsAMissingField() => Assert.False(Csv.TryParseCell(string.Empty, out _));

    [Theory]
    [InlineData("\"plain\"")]
    [InlineData("\"42\"")]
    [InlineData("\"true\"")]
    [InlineData("\"\"")]
    [InlineData("\"[1]\"")]
    [InlineData("\"\\\"quoted\\\"\"")]
    [InlineData("12.5")]
    [InlineData("false")]
    [InlineData("null")]
    [InlineData("[1,{\"a\":[]}]")]
    public void FormatCell_ReadsBackAsTheSameValue(string json)
    {
        var value = JsonNode.Parse(json);
        var cell = Csv.FormatCell(value);
        Assert.True(Csv.TryParseCell(cell, out var back));
        Assert.True(JsonNode.DeepEquals(value, back), $"{json} -> {cell} -> {back?.ToJsonString()}");
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\",\"open\")")]
    [InlineData("=1+1")]
    [InlineData("+1+cmd|' /C calc'!A0")]
    [InlineData("-2+3+cmd|' /C calc'!A0")]
    [InlineData("@SUM(A1:A2)")]
    [InlineData("\t=1")]
    [InlineData("\r=1")]
    public void FormatCell_AStringASpreadsheetWouldRunAsAFormula_StartsWithAQuote_AndReadsBack(string text)
    {
        var cell = Csv.FormatCell(JsonValue.Create(text));

        Assert.StartsWith("\"", cell, StringComparison.Ordinal);
        Assert.True(Csv.TryParseCell(cell, out var back));
        Assert.Equal(text, back!.GetValue<string>());
    }

    [Theory]
    [InlineData("=cmd|' /C calc'!A0")]
    [InlineData("+x")]
    [InlineData("-n.=y")]
    [InlineData("@SUM(A1)")]
    public void HeaderCell_OfAFieldNamedLikeAFormula_StartsWithAQuote_AndReadsBack(string path)
    {
        var cell = Csv.FormatHeaderCell(path);

        Assert.StartsWith("\"", cell, StringComparison.Ordinal);
        Assert.Equal(["plain", path], Csv.ReadHeader(["plain", cell]));
    }

    [Fact]
    public void HeaderCell_OfAPlainField_IsTheFieldPath() => Assert.Equal("address.city", Csv.FormatHeaderCell("address.city"));

    [Fact]
    public async Task Reader_HandlesQuotesCommasAndLineBreaksInCells()
    {
        var text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n1,,3";
        var reader = new CsvRecordReader(new StringReader(text), 1000);
        Assert.Equal(["a", "b", "c"], await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["x, y", "say \"hi\"", "two\nlines"], await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["1", "", "3"], await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Null(await reader.ReadAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Reader_RecordLongerThanTheLimit_IsLineTooLong()
    {
        var reader = new CsvRecordReader(new StringReader("a\n" + new string('x', 50) + "\n"), 20);
        await reader.ReadAsync(TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<InvalidInputException>(() => reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal("line_too_long", ex.Code);
    }

    [Fact]
    public void ToDocument_DotPathsBuildNestedObjects()
    {
        var document = Csv.ToDocument(["_id", "name", "address.city", "address.zip", "tags", "n"], ["a1", "Ann", "Oslo", "\"0150\"", "[\"x\"]", ""]);
        Assert.Equal("""{"_id":"a1","name":"Ann","address":{"city":"Oslo","zip":"0150"},"tags":["x"]}""", document.ToJsonString());
    }

    [Fact]
    public void ToDocument_ConflictingColumnsOrWrongCellCount_IsInvalidRow()
    {
        Assert.Equal("invalid_row", Assert.Throws<InvalidInputException>(() => Csv.ToDocument(["a", "a.b"], ["1", "2"])).Code);
        Assert.Equal("invalid_row", Assert.Throws<InvalidInputException>(() => Csv.ToDocument(["a", "b"], ["1"])).Code);
    }

    [Fact]
    public void ValidateHeader_RejectsEmptyDuplicateAndBadPaths()
    {
        Assert.Equal("header[1]", Assert.Throws<InvalidInputException>(() => Csv.ValidateHeader(["a", ""])).Field);
        Assert.Equal("header[1]", Assert.Throws<InvalidInputException>(() => Csv.ValidateHeader(["a", "a"])).Field);
        Assert.StartsWith("header[0]", Assert.Throws<InvalidInputException>(() => Csv.ValidateHeader(["$x"])).Field, StringComparison.Ordinal);
    }

    [Fact]
    public void Flatten_NestsObjectsIntoDotPaths_KeepsArraysAndEmptyObjectsWhole()
    {
        var leaves = new List<string>();
        Csv.Flatten(JsonNode.Parse("""{"a":{"b":{"c":1},"d":[1]},"e":{}}""")!.AsObject(), (path, value) => leaves.Add(path + "=" + Csv.FormatCell(value)));
        Assert.Equal(["a.b.c=1", "a.d=[1]", "e={}"], leaves);
    }

    [Fact]
    public void Quote_OnlyWhenNeeded()
    {
        Assert.Equal("plain", Csv.Quote("plain"));
        Assert.Equal("\"a,b\"", Csv.Quote("a,b"));
        Assert.Equal("\"say \"\"hi\"\"\"", Csv.Quote("say \"hi\""));
        Assert.Equal("\" padded\"", Csv.Quote(" padded"));
    }
}
