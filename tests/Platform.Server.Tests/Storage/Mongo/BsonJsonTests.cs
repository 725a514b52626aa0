using System.Text.Json.Nodes;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

public class BsonJsonTests
{
    [Theory]
    [InlineData("""{"_id":"a","n":1,"big":9007199254740993,"max":9223372036854775807,"min":-9223372036854775808,"f":1.5,"neg":-2,"zero":0}""")]
    [InlineData("""{"s":"héllo \"quoted\" \\ \u0001 😀","t":true,"f":false,"z":null}""")]
    [InlineData("""{"z":1,"a":2,"m":{"y":1,"b":[1,"x",null,{"k":[]},[2.25]]},"e":{},"arr":[]}""")]
    [InlineData("""{"tiny":1E-07,"huge":1E+300,"third":0.3333333333333333,"negf":-0.5}""")]
    public void RoundTrip_GivesBackTheSameJson_ThroughBinaryBson(string json)
    {
        var original = JsonNode.Parse(json)!.AsObject();

        var bytes = BsonJson.ToBsonDocument(original).ToBson();
        var restored = BsonJson.ToJsonObject(BsonSerializer.Deserialize<BsonDocument>(bytes));

        Assert.Equal(original.ToJsonString(), restored.ToJsonString());
    }

    [Fact]
    public void ToBsonDocument_ChoosesNumberTypes_FromTheLiteral()
    {
        var document = JsonNode.Parse("""
            {"i":2147483647,"j":-2147483648,"l":2147483648,"m":-2147483649,"d":1.5,"e":1e3,"x":1.0,"huge":18446744073709551616}
            """)!.AsObject();

        var bson = BsonJson.ToBsonDocument(document);

        Bson.Equal(
            "{i: 2147483647, j: -2147483648, l: NumberLong('2147483648'), m: NumberLong('-2147483649'), d: 1.5, e: 1000.0, x: 1.0, huge: 1.8446744073709552E19}",
            bson);
    }

    [Fact]
    public void ToBsonDocument_KeepsFieldOrder_AtEveryLevel()
    {
        var document = JsonNode.Parse("""{"b":1,"a":{"z":1,"c":2},"_id":"x"}""")!.AsObject();

        var bson = BsonJson.ToBsonDocument(document);

        Assert.Equal(["b", "a", "_id"], bson.Names);
        Assert.Equal(["z", "c"], bson["a"].AsBsonDocument.Names);
    }

    [Fact]
    public void ToBsonValue_ConvertsValuesBuiltInCode_LikeParsedOnes()
    {
        var document = new JsonObject
        {
            ["int"] = 5,
            ["long"] = 5_000_000_000L,
            ["double"] = 2.5,
            ["wholeDouble"] = 2.0,
            ["string"] = "s",
            ["bool"] = true,
            ["null"] = null,
            ["nested"] = new JsonObject { ["a"] = new JsonArray(1, "b") },
        };

        var bson = BsonJson.ToBsonDocument(document);

        // 2.0 serializes as "2", so it is stored as the integer it reads back as.
        Bson.Equal(
            "{int: 5, long: NumberLong('5000000000'), double: 2.5, wholeDouble: 2, string: 's', bool: true, null: null, nested: {a: [1, 'b']}}",
            bson);
    }

    [Fact]
    public void ToBsonValue_ConvertsFilterOperands_FromJsonElements()
    {
        Bson.Equal("{v: 3}", new BsonDocument("v", BsonJson.ToBsonValue(Bson.Json("3"))));
        Bson.Equal("{v: NumberLong('4294967296')}", new BsonDocument("v", BsonJson.ToBsonValue(Bson.Json("4294967296"))));
        Bson.Equal("{v: 0.1}", new BsonDocument("v", BsonJson.ToBsonValue(Bson.Json("0.1"))));
        Bson.Equal("{v: [null, 'a', {b: false}]}", new BsonDocument("v", BsonJson.ToBsonValue(Bson.Json("""[null,"a",{"b":false}]"""))));
    }

    [Fact]
    public void NumberFromText_Throws_WhenTheNumberOverflowsADouble() =>
        Assert.Throws<ArgumentException>(() => BsonJson.NumberFromText("1e400"));

    [Fact]
    public void ToBsonDocument_Throws_WhenAFieldNameHasANul() =>
        Assert.Throws<ArgumentException>(() => BsonJson.ToBsonDocument(new JsonObject { ["a\0b"] = 1 }));

    [Fact]
    public void ToJsonNode_ReadsHandWrittenBsonTypes()
    {
        var document = new BsonDocument
        {
            { "oid", new ObjectId("0123456789abcdef01234567") },
            { "date", new BsonDateTime(new DateTime(2026, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc)) },
            { "dec", new Decimal128(12.25m) },
            { "nan", double.NaN },
            { "undefined", BsonUndefined.Value },
        };

        var json = BsonJson.ToJsonObject(document);

        Assert.Equal(
            """{"oid":"0123456789abcdef01234567","date":"2026-01-02T03:04:05.678Z","dec":12.25,"nan":null,"undefined":null}""",
            json.ToJsonString());
    }

    [Fact]
    public void ToJsonObject_GivesEveryBsonTypeAnotherToolMayWrite_AJsonForm()
    {
        var guid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var document = new BsonDocument
        {
            { "_id", "x" },
            { "uuid", new BsonBinaryData(guid, GuidRepresentation.Standard) },
            { "bytes", new BsonBinaryData([1, 2, 3, 250], BsonBinarySubType.Binary) },
            { "regex", new BsonRegularExpression("^ab+c$", "i") },
            { "code", new BsonJavaScript("function () { return 1; }") },
            { "scoped", new BsonJavaScriptWithScope("return x;", new BsonDocument("x", 1)) },
            { "ts", new BsonTimestamp(1_700_000_000, 7) },
            { "min", BsonMinKey.Value },
            { "max", BsonMaxKey.Value },
            { "dec", new BsonDecimal128(Decimal128.Parse("12.50")) },
            { "undef", BsonUndefined.Value },
            { "nested", new BsonArray { new BsonDocument("r", new BsonRegularExpression("x", string.Empty)) } },
        };

        var json = BsonJson.ToJsonObject(BsonSerializer.Deserialize<BsonDocument>(document.ToBson()));

        Assert.Equal("0f8fad5b-d9cb-469f-a165-70867728950e", json["uuid"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(new byte[] { 1, 2, 3, 250 }), json["bytes"]!.GetValue<string>());
        Assert.Equal("/^ab+c$/i", json["regex"]!.GetValue<string>());
        Assert.Equal("function () { return 1; }", json["code"]!.GetValue<string>());
        Assert.Equal("return x;", json["scoped"]!.GetValue<string>());
        Assert.Equal((1_700_000_000L << 32) | 7, json["ts"]!.GetValue<long>());
        Assert.Null(json["min"]);
        Assert.Null(json["max"]);
        Assert.Equal(12.50m, json["dec"]!.GetValue<decimal>());
        Assert.Null(json["undef"]);
        Assert.Equal("/x/", json["nested"]![0]!["r"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reading_ADocumentTheDriverCannotDecode_IsAnUnreadableDocument_NotAnInternalError()
    {
        // {_id: "x", p: DBPointer("c", ObjectId)}: type 0x0C, which the .NET driver does not decode.
        var bytes = new List<byte>();
        void Add(params byte[] b) => bytes.AddRange(b);
        Add(0, 0, 0, 0);
        Add(0x02, (byte)'_', (byte)'i', (byte)'d', 0, 2, 0, 0, 0, (byte)'x', 0);
        Add(0x0C, (byte)'p', 0, 2, 0, 0, 0, (byte)'c', 0);
        Add(new byte[12]);
        Add(0);
        var raw = bytes.ToArray();
        BitConverter.GetBytes(raw.Length).CopyTo(raw, 0);

        var error = await Assert.ThrowsAsync<Platform.Server.Storage.UnreadableDocumentException>(() =>
            MongoDocumentStore.ReadingAsync("c", "x", () => Task.FromResult(BsonSerializer.Deserialize<BsonDocument>(raw))));

        Assert.Equal("c", error.Collection);
        Assert.Equal("x", error.Id);
    }
}
