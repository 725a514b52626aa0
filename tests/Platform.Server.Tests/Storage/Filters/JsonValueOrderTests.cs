using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Storage.Filters;

public sealed class JsonValueOrderTests
{
    private static JsonNode? N(string json) => JsonNode.Parse(json);

    [Theory]
    [InlineData("null", "1")]
    [InlineData("1", "\"0\"")]
    [InlineData("\"z\"", "{}")]
    [InlineData("{\"a\": 9}", "[]")]
    [InlineData("[9]", "false")]
    [InlineData("false", "true")]
    [InlineData("-5", "2.5")]
    [InlineData("2", "2.5")]
    [InlineData("9007199254740992", "9007199254740993")]
    [InlineData("9223372036854775807", "9223372036854775808")]
    [InlineData("-9223372036854775808", "-9223372036854775807")]
    [InlineData("1e300", "1e400")]
    [InlineData("\"B\"", "\"a\"")]
    [InlineData("\"a\"", "\"ab\"")]
    [InlineData("\"\uFF21\"", "\"\uD83D\uDE00\"")]
    [InlineData("{\"a\": 1}", "{\"a\": 2}")]
    [InlineData("{\"a\": 1}", "{\"a\": 1, \"b\": 0}")]
    [InlineData("{\"a\": 1}", "{\"b\": 0}")]
    [InlineData("{\"b\": 5}", "{\"a\": \"x\"}")]
    [InlineData("[1, 2]", "[1, 3]")]
    [InlineData("[1]", "[1, 0]")]
    [InlineData("[2]", "[\"1\"]")]
    public void Compare_OrdersFirstBeforeSecond(string first, string second)
    {
        Assert.True(JsonValueOrder.Compare(N(first), N(second)) < 0);
        Assert.True(JsonValueOrder.Compare(N(second), N(first)) > 0);
        Assert.False(JsonValueOrder.AreEqual(N(first), N(second)));
    }

    [Theory]
    [InlineData("1", "1.0")]
    [InlineData("0", "-0.0")]
    [InlineData("1e2", "100")]
    [InlineData("\"é\"", "\"\\u00e9\"")]
    [InlineData("{\"a\": 1, \"b\": [2]}", "{\"a\": 1.0, \"b\": [2.0]}")]
    [InlineData("null", "null")]
    public void Compare_TreatsAsEqual(string first, string second)
    {
        Assert.Equal(0, JsonValueOrder.Compare(N(first), N(second)));
        Assert.True(JsonValueOrder.AreEqual(N(first), N(second)));
    }

    [Fact]
    public void Compare_ObjectsAreFieldOrderSensitive()
    {
        Assert.NotEqual(0, JsonValueOrder.Compare(N("{\"a\": 1, \"b\": 2}"), N("{\"b\": 2, \"a\": 1}")));
    }

    [Fact]
    public void Compare_HandlesClrBackedValues()
    {
        Assert.Equal(0, JsonValueOrder.Compare(JsonValue.Create(5), N("5")));
        Assert.Equal(0, JsonValueOrder.Compare(JsonValue.Create(5L), JsonValue.Create(5.0)));
        Assert.Equal(0, JsonValueOrder.Compare(JsonValue.Create(5m), JsonValue.Create((byte)5)));
        Assert.True(JsonValueOrder.Compare(JsonValue.Create(2.5f), JsonValue.Create(3u)) < 0);
        Assert.True(JsonValueOrder.Compare(JsonValue.Create(long.MaxValue), JsonValue.Create(ulong.MaxValue)) < 0);
        Assert.Equal(0, JsonValueOrder.Compare(JsonValue.Create("x"), N("\"x\"")));
        Assert.Equal(0, JsonValueOrder.Compare(JsonValue.Create(true), N("true")));
        Assert.Equal(2, JsonValueOrder.TypeRank(JsonValue.Create((short)1)));
    }

    [Fact]
    public void Compare_Elements()
    {
        using var a = JsonDocument.Parse("[1, 1.0, \"1\", null]");
        var e = a.RootElement.EnumerateArray().ToArray();
        Assert.Equal(0, JsonValueOrder.Compare(e[0], e[1]));
        Assert.True(JsonValueOrder.Compare(e[1], e[2]) < 0);
        Assert.True(JsonValueOrder.Compare(e[3], e[0]) < 0);
        Assert.Equal(1, JsonValueOrder.TypeRank(e[3]));
        Assert.Equal(3, JsonValueOrder.TypeRank(e[2]));
    }

    [Fact]
    public void CompareStrings_UsesCodePointOrder()
    {
        Assert.True(string.CompareOrdinal("\uFF21", "\uD83D\uDE00") > 0);
        Assert.True(JsonValueOrder.CompareStrings("\uFF21", "\uD83D\uDE00") < 0);
        Assert.True(JsonValueOrder.CompareStrings("a", "b") < 0);
        Assert.Equal(0, JsonValueOrder.CompareStrings("", ""));
    }

    [Fact]
    public void GetSortValue_FollowsObjectsAndIndexes_MissingIsNull()
    {
        var doc = N("""{"a": {"b": [10, {"c": 3}]}, "s": "x", "n": null}""")!.AsObject();
        Assert.Equal(3, (int)JsonValueOrder.GetSortValue(doc, "a.b.1.c")!);
        Assert.Equal(10, (int)JsonValueOrder.GetSortValue(doc, "a.b.0")!);
        Assert.Null(JsonValueOrder.GetSortValue(doc, "a.b.2"));
        Assert.Null(JsonValueOrder.GetSortValue(doc, "a.x"));
        Assert.Null(JsonValueOrder.GetSortValue(doc, "s.length"));
        Assert.Null(JsonValueOrder.GetSortValue(doc, "n"));
        Assert.Null(JsonValueOrder.GetSortValue(doc, "a.b.c"));
    }

    [Fact]
    public void CompareDocuments_UsesKeysInOrderAndDirections()
    {
        var x = N("""{"_id": "x", "g": 1, "n": 5}""")!.AsObject();
        var y = N("""{"_id": "y", "g": 1, "n": 7}""")!.AsObject();
        Assert.True(JsonValueOrder.CompareDocuments(x, y, [new SortField("g"), new SortField("n")]) < 0);
        Assert.True(JsonValueOrder.CompareDocuments(x, y, [new SortField("g"), new SortField("n", true)]) > 0);
        Assert.Equal(0, JsonValueOrder.CompareDocuments(x, y, [new SortField("g")]));
        Assert.True(JsonValueOrder.DocumentComparer([new SortField("_id", true)]).Compare(x, y) > 0);
    }

    [Fact]
    public void CompareToPosition_ComparesWithKeysetTuple()
    {
        var doc = N("""{"_id": "m", "n": 5}""")!.AsObject();
        using var position = JsonDocument.Parse("""[5, "k", null]""");
        var values = position.RootElement.EnumerateArray().ToArray();
        SortField[] sort = [new SortField("n"), new SortField("_id")];
        Assert.True(JsonValueOrder.CompareToPosition(doc, sort, [values[0], values[1]]) > 0);
        Assert.True(JsonValueOrder.CompareToPosition(doc, [new SortField("n"), new SortField("_id", true)], [values[0], values[1]]) < 0);
        Assert.True(JsonValueOrder.CompareToPosition(doc, [new SortField("missing")], [values[2]]) == 0);
        Assert.Throws<ArgumentException>(() => JsonValueOrder.CompareToPosition(doc, sort, [values[0]]));
    }
}
