using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Documents;

namespace Platform.Server.Tests.Documents;

public sealed class DocumentValidatorTests
{
    private static DocumentValidator Validator(int maxBytes = 1_048_576, int maxDepth = 32) =>
        new(Options.Create(new DocumentLimits { MaxBytes = maxBytes, MaxDepth = maxDepth }));

    private static InvalidInputException Error(string json, DocumentValidator? validator = null) =>
        Assert.Throws<InvalidInputException>(() => (validator ?? Validator()).Validate(JsonNode.Parse(json)));

    [Fact]
    public void Validate_StripsSystemFields_AndReturnsSuppliedId()
    {
        var body = JsonNode.Parse("""{"_id": "abc-1_X", "_version": 9, "_createdAt": "x", "_updatedAt": 1, "_createdBy": "u", "a": {"b": [1, {"c": null}]}}""");
        var result = Validator().Validate(body);
        Assert.Equal("abc-1_X", result.SuppliedId);
        Assert.Equal("""{"a":{"b":[1,{"c":null}]}}""", result.Document.ToJsonString());
        result.Document["a"]!["b"]!.AsArray().Add(2);
        Assert.Equal(2, body!["a"]!["b"]!.AsArray().Count);
    }

    [Fact]
    public void Validate_ReturnsNullId_WhenNoneSupplied()
    {
        Assert.Null(Validator().Validate(JsonNode.Parse("""{"a": 1}""")).SuppliedId);
        Assert.Empty(Validator().Validate(new JsonObject()).Document);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("1")]
    [InlineData("\"x\"")]
    [InlineData("null")]
    public void Validate_RejectsNonObjects(string json)
    {
        Assert.Equal("invalid_document", Error(json).Code);
    }

    [Theory]
    [InlineData("""{"_id": ""}""")]
    [InlineData("""{"_id": "a b"}""")]
    [InlineData("""{"_id": "a.b"}""")]
    [InlineData("""{"_id": 5}""")]
    [InlineData("""{"_id": null}""")]
    [InlineData("""{"_id": "é"}""")]
    public void Validate_RejectsBadIds(string json)
    {
        var error = Error(json);
        Assert.Equal("invalid_id", error.Code);
        Assert.Equal("_id", error.Field);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
    }

    [Fact]
    public void Validate_AcceptsLongestId()
    {
        Assert.Equal(new string('a', 128), Validator().Validate(new JsonObject { ["_id"] = new string('a', 128) }).SuppliedId);
        Assert.Equal("invalid_id", Assert.Throws<InvalidInputException>(() => Validator().Validate(new JsonObject { ["_id"] = new string('a', 129) })).Code);
    }

    [Theory]
    [InlineData("""{"": 1}""", "")]
    [InlineData("""{"$set": 1}""", "$set")]
    [InlineData("""{"a.b": 1}""", "a.b")]
    [InlineData("""{"_secret": 1}""", "_secret")]
    [InlineData("""{"a": {"_id": 1}}""", "a._id")]
    [InlineData("""{"a": {"b": {"$x": 1}}}""", "a.b.$x")]
    [InlineData("""{"items": [1, 2, 3, {"na.me": 1}]}""", "items[3].na.me")]
    [InlineData("""{"m": [[{"ok": 1}], [{"": 1}]]}""", "m[1][0].")]
    public void Validate_RejectsBadFieldNames_NamingThePath(string json, string field)
    {
        var error = Error(json);
        Assert.Equal("invalid_field_name", error.Code);
        Assert.Equal(field, error.Field);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
    }

    [Fact]
    public void Validate_EnforcesDepth()
    {
        static string Nested(int depth) => new string('[', depth - 1) + new string(']', depth - 1);

        Validator(maxDepth: 3).Validate(JsonNode.Parse("""{"a": {"b": [1]}}"""));
        var error = Error("""{"a": {"b": [[1]]}}""", Validator(maxDepth: 3));
        Assert.Equal("document_too_deep", error.Code);
        Assert.Equal("a.b[0]", error.Field);
        Assert.Equal(ErrorKind.Invalid, error.Kind);

        Validator().Validate(JsonNode.Parse($$"""{"a": {{Nested(32)}}}""", documentOptions: new() { MaxDepth = 100 }));
        Assert.Equal("document_too_deep", Assert.Throws<InvalidInputException>(
            () => Validator().Validate(JsonNode.Parse($$"""{"a": {{Nested(33)}}}""", documentOptions: new() { MaxDepth = 100 }))).Code);
    }

    [Fact]
    public void Validate_EnforcesSize_With413()
    {
        var fits = new JsonObject { ["s"] = new string('x', 1024 - 8) };
        Assert.Equal(1024, fits.ToJsonString().Length);
        Validator(maxBytes: 1024).Validate(fits);

        var error = Assert.Throws<InvalidInputException>(() => Validator(maxBytes: 1024).Validate(new JsonObject { ["s"] = new string('x', 1024 - 7) }));
        Assert.Equal("document_too_large", error.Code);
        Assert.Equal(ErrorKind.TooLarge, error.Kind);
        Assert.Equal("(document)", error.Field);
        Assert.Equal((1025L, 1024L), (Convert.ToInt64(error.Extensions!["size"], System.Globalization.CultureInfo.InvariantCulture), Convert.ToInt64(error.Extensions["limit"], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Validate_MeasuresUtf8Bytes_WithoutSystemFields()
    {
        var body = new JsonObject { ["_id"] = "a", ["_createdBy"] = new string('u', 5000), ["s"] = new string('é', 400) };
        Assert.Equal("document_too_large", Assert.Throws<InvalidInputException>(() => Validator(maxBytes: 1024).Validate(new JsonObject { ["s"] = new string('é', 600) })).Code);
        Validator(maxBytes: 1024).Validate(body);
    }

    [Fact]
    public void ValidateOwned_StripsSystemFieldsInPlace_AndReturnsTheSameObject()
    {
        var document = JsonNode.Parse("""{"_id": "abc", "_version": 9, "a": {"b": [1, {"c": null}]}, "_createdBy": "u", "z": 1}""")!.AsObject();
        var result = Validator().ValidateOwned(document);
        Assert.Same(document, result.Document);
        Assert.Equal("abc", result.SuppliedId);
        Assert.Equal("""{"a":{"b":[1,{"c":null}]},"z":1}""", document.ToJsonString());
    }

    [Theory]
    [InlineData("""{"_id": 5}""")]
    [InlineData("""{"a": {"$b": 1}}""")]
    [InlineData("""{"a.b": 1}""")]
    [InlineData("""{"s": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""")]
    [InlineData("""{"d": [[[[1]]]]}""")]
    public void ValidateOwned_RefusesWhatValidateRefuses_WithTheSameError(string json)
    {
        var validator = Validator(maxBytes: 100, maxDepth: 3);
        var copied = Assert.Throws<InvalidInputException>(() => validator.Validate(JsonNode.Parse(json)));
        var owned = Assert.Throws<InvalidInputException>(() => validator.ValidateOwned(JsonNode.Parse(json)!.AsObject()));
        Assert.Equal((copied.Code, copied.Message, copied.Field, copied.Kind), (owned.Code, owned.Message, owned.Field, owned.Kind));
    }

    [Fact]
    public void ValidateOwned_WithASizeBoundOverTheLimit_StillMeasures()
    {
        var tooLarge = new JsonObject { ["s"] = new string('x', 1024) };

        // A bound the limit does not rule out (or none) leaves the measuring to the validator.
        Assert.Equal("document_too_large", Assert.Throws<InvalidInputException>(() => Validator(maxBytes: 1024).ValidateOwned(tooLarge, sizeAtMost: 6 * 1024)).Code);
        Assert.Equal("document_too_large", Assert.Throws<InvalidInputException>(() => Validator(maxBytes: 1024).ValidateOwned(tooLarge, sizeAtMost: null)).Code);
        Assert.Equal(1024, tooLarge["s"]!.GetValue<string>().Length);
    }

    [Fact]
    public void ValidateOwned_WithASizeBoundWithinTheLimit_StillChecksNamesAndDepth()
    {
        var validator = Validator(maxBytes: 1024, maxDepth: 3);

        Assert.Equal("invalid_field_name", Assert.Throws<InvalidInputException>(() => validator.ValidateOwned(JsonNode.Parse("""{"a": {"$b": 1}}""")!.AsObject(), sizeAtMost: 20)).Code);
        Assert.Equal("document_too_deep", Assert.Throws<InvalidInputException>(() => validator.ValidateOwned(JsonNode.Parse("""{"d": [[[[1]]]]}""")!.AsObject(), sizeAtMost: 20)).Code);
        var fits = validator.ValidateOwned(JsonNode.Parse("""{"_id": "abc", "a": 1}""")!.AsObject(), sizeAtMost: 20);
        Assert.Equal(("abc", """{"a":1}"""), (fits.SuppliedId, fits.Document.ToJsonString()));
    }

    [Fact]
    public void Validate_MeasuresSize_BeyondTheScratchBuffer()
    {
        // Larger than the 4 KiB scratch buffer the size is counted in, and escaped characters counted as stored.
        var big = new JsonObject { ["s"] = new string('é', 50_000), ["t"] = new JsonArray([.. Enumerable.Range(0, 2000).Select(i => (JsonNode)i)]) };
        var expected = System.Text.Encoding.UTF8.GetByteCount(big.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Validator(maxBytes: expected).Validate(big);
        var error = Assert.Throws<InvalidInputException>(() => Validator(maxBytes: expected - 1).Validate(big));
        Assert.Equal($"The document is {expected} bytes; at most {expected - 1} are allowed.", error.Message);
    }

    [Fact]
    public void ValidateOwned_MeasuresWithoutTheSystemFields_AndLeavesARefusedDocumentAsGiven()
    {
        // A before trigger's returned data still belongs to its run record when it is refused: it must not lose fields.
        var document = JsonNode.Parse("""{"_id":"d1","_version":3,"_createdAt":"2026-01-01T00:00:00.000Z","text":"é","n":[1,2]}""")!.AsObject();
        var original = document.ToJsonString();
        var userFields = System.Text.Encoding.UTF8.GetByteCount("""{"text":"é","n":[1,2]}""");

        var error = Assert.Throws<InvalidInputException>(() => Validator(maxBytes: userFields - 1).ValidateOwned(document));

        Assert.Equal(DocumentValidator.DocumentTooLarge, error.Code);
        Assert.Equal(original, document.ToJsonString());
        Assert.Same(document, Validator(maxBytes: userFields).ValidateOwned(document).Document);
        Assert.Equal(["text", "n"], document.Select(p => p.Key));
    }

    [Fact]
    public void DocumentLimits_HaveDocumentedDefaults()
    {
        var limits = new DocumentLimits();
        Assert.Equal(1_048_576, limits.MaxBytes);
        Assert.Equal(32, limits.MaxDepth);
        Assert.Equal("Baas:Documents", DocumentLimits.Section);
    }
}
