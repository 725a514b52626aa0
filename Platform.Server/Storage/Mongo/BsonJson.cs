using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MongoDB.Bson;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// Converts between the JSON the server works with and the BSON MongoDB stores, so that a document
/// written and read back is the same JSON: field order is kept, an integer stays an integer
/// (Int32 when it fits, else Int64) and every other number is a double.
/// </summary>
internal static class BsonJson
{
    public static BsonDocument ToBsonDocument(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var result = new BsonDocument();
        foreach (var (name, value) in document)
        {
            result.Add(CheckName(name), ToBsonValue(value));
        }

        return result;
    }

    public static BsonValue ToBsonValue(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return BsonNull.Value;
            case JsonObject obj:
                return ToBsonDocument(obj);
            case JsonArray array:
                var items = new BsonArray(array.Count);
                foreach (var item in array)
                {
                    items.Add(ToBsonValue(item));
                }

                return items;
            case JsonValue value:
                // Values may wrap a JsonElement (parsed JSON) or a CLR primitive (built in code);
                // going through the JSON text treats both alike, exactly as they would be serialized.
                if (value.TryGetValue(out JsonElement element))
                {
                    return ToBsonValue(element);
                }

                using (var parsed = JsonDocument.Parse(value.ToJsonString()))
                {
                    return ToBsonValue(parsed.RootElement);
                }

            default:
                throw new NotSupportedException($"Unsupported JSON node type {node.GetType().Name}.");
        }
    }

    public static BsonValue ToBsonValue(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var document = new BsonDocument();
                foreach (var property in element.EnumerateObject())
                {
                    document.Add(CheckName(property.Name), ToBsonValue(property.Value));
                }

                return document;
            case JsonValueKind.Array:
                var array = new BsonArray(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(ToBsonValue(item));
                }

                return array;
            case JsonValueKind.String:
                return new BsonString(element.GetString());
            case JsonValueKind.Number:
                return NumberFromText(element.GetRawText());
            case JsonValueKind.True:
                return BsonBoolean.True;
            case JsonValueKind.False:
                return BsonBoolean.False;
            case JsonValueKind.Null:
                return BsonNull.Value;
            default:
                throw new ArgumentException($"A JSON value of kind {element.ValueKind} cannot be stored.", nameof(element));
        }
    }

    /// <summary>
    /// Chooses the BSON number type from the JSON literal: an integer literal becomes Int32 when it
    /// fits, else Int64 when it fits; anything else (fractions, exponents, huge integers) a double.
    /// </summary>
    public static BsonValue NumberFromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.AsSpan().IndexOfAny('.', 'e', 'E') < 0)
        {
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var small))
            {
                return new BsonInt32(small);
            }

            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var large))
            {
                return new BsonInt64(large);
            }
        }

        var number = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!double.IsFinite(number))
        {
            throw new ArgumentException($"The number {text} is outside the range of a double.", nameof(text));
        }

        return new BsonDouble(number);
    }

    public static JsonObject ToJsonObject(BsonDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var result = new JsonObject();
        foreach (var element in document)
        {
            result.Add(element.Name, ToJsonNode(element.Value));
        }

        return result;
    }

    /// <summary>
    /// Converts a stored value back to JSON. Besides the types this class writes, it reads the BSON
    /// types someone editing the database by hand is likely to leave behind (ObjectId, dates,
    /// decimals), so such a document stays readable instead of failing every query that meets it.
    /// </summary>
    public static JsonNode? ToJsonNode(BsonValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (value.BsonType)
        {
            case BsonType.Document:
                return ToJsonObject(value.AsBsonDocument);
            case BsonType.Array:
                var array = new JsonArray();
                foreach (var item in value.AsBsonArray)
                {
                    array.Add(ToJsonNode(item));
                }

                return array;
            case BsonType.String:
                return JsonValue.Create(value.AsString);
            case BsonType.Int32:
                return JsonValue.Create(value.AsInt32);
            case BsonType.Int64:
                return JsonValue.Create(value.AsInt64);
            case BsonType.Double:
                // JSON has no NaN or infinities; only a hand-written document can hold them.
                var number = value.AsDouble;
                return double.IsFinite(number) ? JsonValue.Create(number) : null;
            case BsonType.Decimal128:
                var decimal128 = value.AsDecimal128;
                if (Decimal128.IsNaN(decimal128) || Decimal128.IsInfinity(decimal128))
                {
                    return null;
                }

                return decimal128 >= (Decimal128)decimal.MinValue && decimal128 <= (Decimal128)decimal.MaxValue
                    ? JsonValue.Create(Decimal128.ToDecimal(decimal128))
                    : JsonValue.Create(Decimal128.ToDouble(decimal128));
            case BsonType.Boolean:
                return JsonValue.Create(value.AsBoolean);
            case BsonType.Null:
            case BsonType.Undefined:
                return null;
            case BsonType.ObjectId:
                return JsonValue.Create(value.AsObjectId.ToString());
            case BsonType.DateTime:
                return JsonValue.Create(value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            case BsonType.Symbol:
                return JsonValue.Create(value.AsBsonSymbol.Name);
            default:
                throw new NotSupportedException($"A stored value of BSON type {value.BsonType} has no JSON form.");
        }
    }

    // BSON names are NUL-terminated strings; a NUL inside would silently cut the name.
    private static string CheckName(string name) =>
        name.Contains('\0', StringComparison.Ordinal)
            ? throw new ArgumentException("A field name must not contain a NUL character.", nameof(name))
            : name;
}
