using System.Text;
using System.Text.Json;
using Platform.Server.Common;

namespace Platform.Server.Tests.Common;

public sealed class JsonInputTests
{
    [Theory]
    [InlineData("""{"a":1,"a":2}""", "a")]
    [InlineData("""{"a":{"b":1,"c":{"d":1,"d":2}}}""", "a.c.d")]
    [InlineData("""{"items":[{"x":1},{"y":1,"y":2}]}""", "items[1].y")]
    [InlineData("""{"a":[[1],[2,{"k":1,"k":1}]]}""", "a[1][1].k")]
    [InlineData("""[{"a":1},{"a":1,"\u0061":2}]""", "[1].a")]
    public void Validate_DuplicateKey_NamesItsPath(string json, string path)
    {
        var ex = Assert.Throws<InvalidInputException>(() => JsonInput.Validate(Encoding.UTF8.GetBytes(json), 64));
        Assert.Equal("duplicate_key", ex.Code);
        Assert.Equal(path, ex.Field);
    }

    [Fact]
    public void Validate_DuplicateKey_UnderRoot_IsPrefixed()
    {
        var ex = Assert.Throws<InvalidInputException>(() => JsonInput.Validate("""{"$or":[{"n":1,"n":2}]}"""u8, 64, "filter"));
        Assert.Equal("filter.$or[0].n", ex.Field);
    }

    [Theory]
    [InlineData("""{"a":{"b":1},"c":{"b":1}}""")]
    [InlineData("""[{"a":1},{"a":1}]""")]
    [InlineData("""{"a":"\ud83d\ude00","\ud83d\ude00":1}""")]
    [InlineData("""{"a":"plain é ü 😀"}""")]
    public void Validate_Accepts_UniqueKeysAndValidUnicode(string json) =>
        JsonInput.Validate(Encoding.UTF8.GetBytes(json), 64);

    [Theory]
    [InlineData("""{"a":"\ud800"}""", "a")]
    [InlineData("""{"a":"x\udc00y"}""", "a")]
    [InlineData("""{"a":["ok","\ud83d"]}""", "a[1]")]
    [InlineData("""{"k\ud800":1}""", "body")]
    [InlineData("""{"a":"\ude00\ud83d"}""", "a")]
    public void Validate_LoneSurrogate_IsInvalidUnicode_WithPosition(string json, string field)
    {
        var ex = Assert.Throws<InvalidInputException>(() => JsonInput.Validate(Encoding.UTF8.GetBytes(json), 64));
        Assert.Equal("invalid_unicode", ex.Code);
        Assert.Equal(field, ex.Field);
        Assert.NotNull(ex.Position);
    }

    [Fact]
    public void Validate_InvalidUtf8_IsInvalidUnicode()
    {
        byte[] json = [.. "{\"a\":\""u8, 0xFF, 0xFE, .. "\"}"u8];
        var ex = Assert.Throws<InvalidInputException>(() => JsonInput.Validate(json, 64));
        Assert.Equal("invalid_unicode", ex.Code);
        Assert.Equal(5, ex.Position);
    }

    [Fact]
    public void Validate_Malformed_IsJsonException() =>
        Assert.ThrowsAny<JsonException>(() => JsonInput.Validate("""{"a":}"""u8, 64));

    [Fact]
    public void Validate_Element_SeesDuplicatesTheTreeHides()
    {
        using var document = JsonDocument.Parse("""{"a":1,"a":2}""");
        var ex = Assert.Throws<InvalidInputException>(() => JsonInput.Validate(document.RootElement, 64, "filter"));
        Assert.Equal("filter.a", ex.Field);
    }
}
