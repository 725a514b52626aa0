using System.Text.Json;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>Helpers to state expected BSON in shell syntax and compare it type-exactly.</summary>
internal static class Bson
{
    private static readonly JsonWriterSettings Canonical = new() { OutputMode = JsonOutputMode.CanonicalExtendedJson };

    /// <summary>Asserts equal documents including number types (Int32 vs Int64 vs Double) and field order.</summary>
    public static void Equal(string expected, BsonValue actual) =>
        Assert.Equal(BsonDocument.Parse(expected).ToJson(Canonical), actual.ToJson(Canonical));

    public static void Equal(BsonDocument expected, BsonValue actual) =>
        Assert.Equal(expected.ToJson(Canonical), actual.ToJson(Canonical));

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public static FieldNode Field(string path, FieldOperator op, string json) => new(path, op, Json(json));
}
