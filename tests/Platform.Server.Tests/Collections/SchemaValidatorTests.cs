using System.Text.Json.Nodes;
using Newtonsoft.Json.Linq;
using Platform.Server.Collections;
using Platform.Server.Common;

namespace Platform.Server.Tests.Collections;

/// <summary>
/// Schema validation reads the document as a token tree built from its nodes instead of its JSON text (issue 13,
/// item 4); these pin that the errors are exactly those of the former text path, on every schema and document below,
/// once an integral number written with a fraction or an exponent (<c>5.0</c>, <c>1e2</c>) is read as the integer it is
/// (JSON Schema draft 6 and later; NJsonSchema's text path reads it the draft-4 way, as a non-integer).
/// </summary>
public sealed class SchemaValidatorTests
{
    private static readonly string[] Schemas =
    [
        """{ "type": "object", "required": ["title"], "properties": { "title": { "type": "string", "minLength": 2, "maxLength": 10 }, "n": { "type": "integer", "minimum": 0, "maximum": 100 } } }""",
        """{ "type": "object", "properties": { "x": { "type": "number", "multipleOf": 0.5 }, "i": { "type": "integer" }, "big": { "type": "integer", "maximum": 10 } } }""",
        """{ "type": "object", "additionalProperties": false, "properties": { "a": { "type": ["string", "null"] }, "b": { "type": "boolean" } } }""",
        """{ "type": "object", "properties": { "when": { "type": "string", "format": "date-time" }, "day": { "type": "string", "format": "date" }, "mail": { "type": "string", "format": "email" }, "code": { "type": "string", "pattern": "^[A-Z]{3}$" } } }""",
        """{ "type": "object", "properties": { "tags": { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 3, "uniqueItems": true }, "status": { "enum": ["open", "closed", 3, null] } } }""",
        """{ "type": "object", "properties": { "address": { "type": "object", "required": ["city"], "properties": { "city": { "type": "string" }, "zip": { "type": "integer" }, "lines": { "type": "array", "items": { "type": "object", "properties": { "n": { "type": "number" } } } } } } } }""",
        """{ "type": "object", "properties": { "v": { "oneOf": [ { "type": "integer" }, { "type": "string" } ] }, "w": { "anyOf": [ { "type": "number", "minimum": 10 }, { "type": "boolean" } ] }, "z": { "not": { "type": "null" } }, "all": { "allOf": [ { "type": "number" }, { "minimum": 1 } ] } } }""",
        """{ "type": "object", "definitions": { "pos": { "type": "integer", "minimum": 1 } }, "properties": { "p": { "$ref": "#/definitions/pos" }, "q": { "type": "array", "items": { "$ref": "#/definitions/pos" } } } }""",
    ];

    /// <summary>Documents as a request would bring them (parsed from text: numbers keep their raw text).</summary>
    private static readonly string[] Documents =
    [
        """{}""",
        """{ "title": "ok", "n": 5 }""",
        """{ "title": "x", "n": -1 }""",
        """{ "title": "far too long a title", "n": 101 }""",
        """{ "title": 3, "n": 5.0 }""",
        """{ "title": "ok", "n": 5.5 }""",
        """{ "title": "ok", "n": 1e2 }""",
        """{ "title": "ok", "n": -0 }""",
        """{ "x": 1.5, "i": 2, "big": 123456789012345678901234567890 }""",
        """{ "x": 1.25, "i": 2.0, "big": -123456789012345678901234567890 }""",
        """{ "x": 1E-7, "i": 9223372036854775807, "big": 9223372036854775808 }""",
        """{ "x": 12345678901234567890.5, "i": -9223372036854775808, "big": 3 }""",
        """{ "a": null, "b": true }""",
        """{ "a": "s", "b": "true", "c": 1 }""",
        """{ "a": 1, "b": null }""",
        """{ "when": "2024-01-02T03:04:05Z", "day": "2024-01-02", "mail": "a@b.c", "code": "ABC" }""",
        """{ "when": "2024-01-02", "day": "2024-01-02T03:04:05Z", "mail": "nope", "code": "abc" }""",
        """{ "when": "2024-13-45T99:00:00Z", "day": "tomorrow", "mail": "", "code": "ABCD" }""",
        """{ "when": "2024-01-02T03:04:05.123+01:00", "code": "2024-01-02T03:04:05Z" }""",
        """{ "tags": ["a", "b"], "status": "open" }""",
        """{ "tags": [], "status": "pending" }""",
        """{ "tags": ["a", "a", "b", "c"], "status": 3 }""",
        """{ "tags": ["a", 1, null, {"x": 1}], "status": null }""",
        """{ "tags": "a", "status": 3.0 }""",
        """{ "address": { "city": "Oslo", "zip": 150, "lines": [ { "n": 1 }, { "n": "2" } ] } }""",
        """{ "address": { "zip": 1.5, "lines": [ 1, [], { "n": [1] } ] } }""",
        """{ "address": "Oslo" }""",
        """{ "v": 1, "w": 11, "z": 0, "all": 2 }""",
        """{ "v": 1.5, "w": 9, "z": null, "all": 0 }""",
        """{ "v": "s", "w": true, "z": "x", "all": "x" }""",
        """{ "v": null, "w": "s", "all": 1.0 }""",
        """{ "p": 1, "q": [1, 2, 3] }""",
        """{ "p": 0, "q": [1, -2, "3", 4.5] }""",
        """{ "p": "1", "q": {} }""",
        """{ "nested": { "deep": { "deeper": [ [ [ { "é": "ü", "emoji": "😀", "esc": "a\"b\\c\n" } ] ] ] } } }""",
    ];

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        for (var s = 0; s < Schemas.Length; s++)
        {
            for (var d = 0; d < Documents.Length; d++)
            {
                data.Add(s, d);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Validate_GivesTheTextPathsErrors_OnParsedDocuments(int schema, int document)
    {
        var validator = await SchemaValidator.CompileAsync(JsonNode.Parse(Schemas[schema])!.AsObject(), TestContext.Current.CancellationToken);
        var fields = JsonNode.Parse(Documents[document])!.AsObject();
        Assert.Equal(Outcome(() => validator.ValidateAsText(IntegralsAsIntegers(fields))), Outcome(() => validator.Validate(fields)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Validate_GivesTheTextPathsErrors_OnComputedValues(int schema, int document)
    {
        // What update operators leave: numbers held as CLR values ($inc, $mul, $min, ...), not as parsed text.
        var validator = await SchemaValidator.CompileAsync(JsonNode.Parse(Schemas[schema])!.AsObject(), TestContext.Current.CancellationToken);
        var fields = Computed(JsonNode.Parse(Documents[document]))!.AsObject();
        Assert.Equal(Outcome(() => validator.ValidateAsText(IntegralsAsIntegers(fields))), Outcome(() => validator.Validate(fields)));
    }

    [Fact]
    public async Task Validate_FindsErrors_InTheCorpus()
    {
        // The comparisons above mean something only if the corpus has both valid and invalid documents.
        var validator = await SchemaValidator.CompileAsync(JsonNode.Parse(Schemas[0])!.AsObject(), TestContext.Current.CancellationToken);
        Assert.Empty(validator.Validate(JsonNode.Parse(Documents[1])!.AsObject()));
        var errors = validator.Validate(JsonNode.Parse(Documents[3])!.AsObject());
        Assert.Contains(errors, e => e.Path == "title" && e.Message == "is too long");
        Assert.Contains(errors, e => e.Path == "n" && e.Message == "is above the maximum");
        Assert.Contains(validator.Validate(JsonNode.Parse("""{ "n": 5.0 }""")!.AsObject()), e => e.Path == "title" && e.Message == "is required");
    }

    // One budget for the whole document: each pattern match had its own 1 s, so many strings that each took just under it
    // held a core for as many seconds. 20,000 items cannot be checked in a millisecond; in a minute they pass.
    [Fact]
    public async Task Validate_StopsAtTheDocumentsBudget_AndRefusesTheDocument_NamingWhereItStopped()
    {
        var validator = await SchemaValidator.CompileAsync(JsonNode.Parse("""{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","pattern":"^[a-z]+$"}}}}""")!.AsObject(), TestContext.Current.CancellationToken);
        var fields = new JsonObject { ["tags"] = new JsonArray(Enumerable.Range(0, 20_000).Select(_ => (JsonNode?)JsonValue.Create("abc")).ToArray()) };
        Assert.Empty(validator.Validate(fields, TimeSpan.FromMinutes(1), new SteppingClock()));

        // A clock that moves 1 ms each time it is read: the check passes the root and the array, and stops among the items.
        var error = Assert.Single(validator.Validate(fields, TimeSpan.FromMilliseconds(100), new SteppingClock()));
        Assert.StartsWith("tags[", error.Path, StringComparison.Ordinal);
        Assert.Contains("Baas:Documents:SchemaTimeout", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5", JTokenType.Integer)]
    [InlineData("5.0", JTokenType.Integer)]
    [InlineData("1e2", JTokenType.Integer)]
    [InlineData("-2.55e1", JTokenType.Float)]
    [InlineData("-2.50e2", JTokenType.Integer)]
    [InlineData("1.0000000000000000001", JTokenType.Float)]
    [InlineData("9223372036854775807.0", JTokenType.Integer)]
    [InlineData("9223372036854775808.0", JTokenType.Float)]
    [InlineData("1e19", JTokenType.Float)]
    [InlineData("1E-7", JTokenType.Float)]
    [InlineData("-0", JTokenType.Integer)]
    [InlineData("123456789012345678901234567890", JTokenType.Integer)]
    [InlineData("\"2024-01-02T03:04:05Z\"", JTokenType.String)]
    [InlineData("null", JTokenType.Null)]
    [InlineData("true", JTokenType.Boolean)]
    public void ToToken_ReadsValues_AsJsonTextWouldBeRead(string json, JTokenType expected)
    {
        Assert.Equal(expected, SchemaValidator.ToToken(JsonNode.Parse(json)).Type);
    }

    [Theory]
    [InlineData(5.0, JTokenType.Integer)]
    [InlineData(5.5, JTokenType.Float)]
    [InlineData(1e20, JTokenType.Float)]
    public void ToToken_ReadsComputedDoubles_AsTheirStoredText(double value, JTokenType expected)
    {
        // System.Text.Json writes 5.0 as "5", which the text path read as an integer.
        Assert.Equal(expected, SchemaValidator.ToToken(JsonValue.Create(value)).Type);
    }

    [Fact]
    public async Task IntegerBeyond64Bits_AgainstANumericKeyword_IsAFieldError_NotAThrow()
    {
        // NJsonSchema throws comparing such an integer with "maximum"; a write must get a 400 naming the field, not a 500.
        var validator = await SchemaValidator.CompileAsync(JsonNode.Parse("""{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"number","maximum":10}}}}}}""")!.AsObject(), TestContext.Current.CancellationToken);

        var errors = validator.Validate(JsonNode.Parse("""{"items":[{"n":1},{"n":123456789012345678901234567890}]}""")!.AsObject());

        var error = Assert.Single(errors);
        Assert.Equal("items[1].n", error.Path);
        Assert.Contains("64 bits", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The errors, or the exception NJsonSchema threw: it throws on some numbers (integers beyond 64 bits against a
    /// numeric schema), on both paths alike.
    /// </summary>
    private static string Outcome(Func<IReadOnlyList<Platform.Server.Common.FieldError>> validate)
    {
        try
        {
            return string.Join("; ", validate().Select(e => $"{e.Path}: {e.Message}"));
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            return "throws " + ex.GetType().FullName;
        }
    }

    [Theory]
    [InlineData("1.0", 1L)]
    [InlineData("-0.0", 0L)]
    [InlineData("0.05e2", 5L)]
    [InlineData("100e-2", 1L)]
    [InlineData("1.5E+1", 15L)]
    [InlineData("-9223372036854775808.000", long.MinValue)]
    [InlineData("0.000000000000000000000000000001e30", 1L)]
    public void TryReadIntegral_ReadsIntegralNumbers_Exactly(string json, long expected)
    {
        Assert.True(JsonIntegers.TryRead(System.Text.Encoding.UTF8.GetBytes(json), out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1e-1")]
    [InlineData("-9223372036854775809.0")]
    [InlineData("1e99999999999")]
    [InlineData("12345678901234567890.0")]
    public void TryReadIntegral_RefusesFractionsAndWhatDoesNotFit(string json)
    {
        Assert.False(JsonIntegers.TryRead(System.Text.Encoding.UTF8.GetBytes(json), out _));
    }

    [Fact]
    public async Task IntegerType_AcceptsIntegralNumbers_InAnySpelling_AndRefusesFractions()
    {
        var validator = await SchemaValidator.CompileAsync(JsonNode.Parse("""{"type":"object","properties":{"n":{"type":"integer","minimum":0,"enum":[0,1,100]}}}""")!.AsObject(), TestContext.Current.CancellationToken);
        Assert.Empty(validator.Validate(JsonNode.Parse("""{"n":1.0}""")!.AsObject()));
        Assert.Empty(validator.Validate(JsonNode.Parse("""{"n":1e2}""")!.AsObject()));
        Assert.Empty(validator.Validate(JsonNode.Parse("""{"n":-0.0}""")!.AsObject()));
        Assert.Contains(validator.Validate(JsonNode.Parse("""{"n":1.5}""")!.AsObject()), e => e.Path == "n" && e.Message == "must be an integer");
    }

    /// <summary>
    /// The document as the text path must see it to agree with <see cref="SchemaValidator.Validate"/>: every number that is
    /// exactly an integer in 64 bits written as that integer's literal.
    /// </summary>
    private static JsonObject IntegralsAsIntegers(JsonObject document) => (JsonObject)Integral(document)!;

    private static JsonNode? Integral(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Integral(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Integral)]),
        JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && JsonIntegers.TryRead(System.Text.Encoding.UTF8.GetBytes(value.ToJsonString()), out var integer) => JsonValue.Create(integer),
        _ => node?.DeepClone(),
    };

    /// <summary>The same document with every number replaced by a CLR value, as an update operator produces it.</summary>
    private static JsonNode? Computed(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Computed(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Computed)]),
        JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.Number =>
            value.TryGetValue<long>(out var integer) ? JsonValue.Create(integer)
            : value.TryGetValue<decimal>(out var exact) ? JsonValue.Create(exact)
            : JsonValue.Create(value.GetValue<double>()),
        _ => node?.DeepClone(),
    };

    /// <summary>A clock whose every reading is 1 ms after the one before, so a budget runs out after a known number of steps.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private long _now;

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Interlocked.Increment(ref _now);
    }
}
