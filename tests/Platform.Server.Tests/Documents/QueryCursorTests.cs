using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Storage;

namespace Platform.Server.Tests.Documents;

public class QueryCursorTests
{
    private static readonly SortField[] Sort = [new("n", Descending: true), new("_id")];

    [Fact]
    public void EncodeDecode_RoundTripsTheSortValues_MissingAsNull()
    {
        var cursor = QueryCursor.Encode(Sort, new JsonObject { ["_id"] = "a", ["x"] = 1 });
        var values = QueryCursor.Decode(cursor, Sort);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, values[0].ValueKind);
        Assert.Equal("a", values[1].GetString());
    }

    [Fact]
    public void Decode_WithAnotherSort_IsInvalidCursor()
    {
        var cursor = QueryCursor.Encode(Sort, new JsonObject { ["_id"] = "a", ["n"] = 1 });
        var error = Assert.Throws<InvalidInputException>(() => QueryCursor.Decode(cursor, [new SortField("n"), new SortField("_id")]));
        Assert.Equal("invalid_cursor", error.Code);
        Assert.Equal("cursor", error.Field);
    }

    [Theory]
    [InlineData("not base64 !")]
    [InlineData("bm90IGpzb24")]
    public void Decode_Garbage_IsInvalidCursor(string cursor)
    {
        Assert.Equal("invalid_cursor", Assert.Throws<InvalidInputException>(() => QueryCursor.Decode(cursor, Sort)).Code);
    }

    [Fact]
    public void Decode_TamperedWithOperatorKeys_IsInvalidCursor()
    {
        var tampered = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("""{"s":"-n,_id","v":[{"$gt":1},"a"]}"""));
        Assert.Equal("invalid_cursor", Assert.Throws<InvalidInputException>(() => QueryCursor.Decode(tampered, Sort)).Code);
    }

    [Theory]
    [InlineData("""{"s":"\ud800","v":[1,"a"]}""")]
    [InlineData("""{"s":"-n,_id","v":[{"\udc00":1},"a"]}""")]
    [InlineData("""{"s":"-n,_id","s":"-n,_id","v":[1,"a"]}""")]
    public void Decode_ForgedWithLoneSurrogatesOrRepeatedKeys_IsInvalidCursor(string json)
    {
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
        Assert.Equal("invalid_cursor", Assert.Throws<InvalidInputException>(() => QueryCursor.Decode(forged, Sort)).Code);
    }
}
