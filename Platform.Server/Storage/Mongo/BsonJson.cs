using System.Buffers;
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
    // Documents are limited far below this (DESIGN.md: 32 levels by default); the reader's default of
    // 64 must not become a second, hidden limit.
    private const int MaxDepth = 1000;

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

    /// <summary>
    /// Reads a stored document back as JSON. The result is parsed from JSON text, so it behaves
    /// exactly like a document parsed from a request (numbers convert to any fitting CLR type).
    /// </summary>
    public static JsonObject ToJsonObject(BsonDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return ToJsonNode(document)!.AsObject();
    }

    /// <summary>
    /// Converts a stored value back to JSON. Besides the types this class writes, it reads every BSON type another
    /// tool may leave in the database, so such a document stays readable instead of failing every query that meets it:
    /// ObjectId as its 24-digit hex string; DateTime as an ISO-8601 UTC string with milliseconds; Decimal128 as a number
    /// (null for NaN and infinities, as a non-finite double); Symbol, JavaScript (with or without scope: the code only)
    /// as strings; a regular expression as the string <c>/pattern/options</c>; Binary as base64 text, except a standard
    /// UUID (subtype 4) as its canonical <c>8-4-4-4-12</c> string; Timestamp as its 64-bit integer value; Undefined,
    /// MinKey and MaxKey as null. Types the driver cannot decode at all (the deprecated DBPointer) fail the read with
    /// <see cref="UnreadableDocumentException"/> (see <c>MongoDocumentStore</c>), never a 500.
    /// </summary>
    public static JsonNode? ToJsonNode(BsonValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = MaxDepth, SkipValidation = true }))
        {
            Write(writer, value);
        }

        return JsonNode.Parse(buffer.WrittenSpan, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth });
    }

    private static void Write(Utf8JsonWriter writer, BsonValue value)
    {
        switch (value.BsonType)
        {
            case BsonType.Document:
                writer.WriteStartObject();
                foreach (var element in value.AsBsonDocument)
                {
                    writer.WritePropertyName(element.Name);
                    Write(writer, element.Value);
                }

                writer.WriteEndObject();
                break;
            case BsonType.Array:
                writer.WriteStartArray();
                foreach (var item in value.AsBsonArray)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case BsonType.String:
                writer.WriteStringValue(value.AsString);
                break;
            case BsonType.Int32:
                writer.WriteNumberValue(value.AsInt32);
                break;
            case BsonType.Int64:
                writer.WriteNumberValue(value.AsInt64);
                break;
            case BsonType.Double:
                // JSON has no NaN or infinities; only a hand-written document can hold them.
                var number = value.AsDouble;
                if (double.IsFinite(number))
                {
                    writer.WriteNumberValue(number);
                }
                else
                {
                    writer.WriteNullValue();
                }

                break;
            case BsonType.Decimal128:
                var decimal128 = value.AsDecimal128;
                if (Decimal128.IsNaN(decimal128) || Decimal128.IsInfinity(decimal128))
                {
                    writer.WriteNullValue();
                }
                else if (decimal128 >= (Decimal128)decimal.MinValue && decimal128 <= (Decimal128)decimal.MaxValue)
                {
                    writer.WriteNumberValue(Decimal128.ToDecimal(decimal128));
                }
                else
                {
                    writer.WriteNumberValue(Decimal128.ToDouble(decimal128));
                }

                break;
            case BsonType.Boolean:
                writer.WriteBooleanValue(value.AsBoolean);
                break;
            case BsonType.Null:
            case BsonType.Undefined:
                writer.WriteNullValue();
                break;
            case BsonType.ObjectId:
                writer.WriteStringValue(value.AsObjectId.ToString());
                break;
            case BsonType.DateTime:
                writer.WriteStringValue(value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                break;
            case BsonType.Symbol:
                writer.WriteStringValue(value.AsBsonSymbol.Name);
                break;
            case BsonType.Binary:
                var binary = value.AsBsonBinaryData;
                if (binary.SubType == BsonBinarySubType.UuidStandard && binary.Bytes.Length == 16)
                {
                    writer.WriteStringValue(binary.ToGuid(GuidRepresentation.Standard).ToString("D"));
                }
                else
                {
                    writer.WriteBase64StringValue(binary.Bytes);
                }

                break;
            case BsonType.RegularExpression:
                var regex = value.AsBsonRegularExpression;
                writer.WriteStringValue("/" + regex.Pattern + "/" + regex.Options);
                break;
            case BsonType.JavaScript:
                writer.WriteStringValue(value.AsBsonJavaScript.Code);
                break;
            case BsonType.JavaScriptWithScope:
                writer.WriteStringValue(value.AsBsonJavaScriptWithScope.Code);
                break;
            case BsonType.Timestamp:
                // Seconds since the epoch in the high 32 bits, an ordinal in the low 32: as one integer it keeps its order.
                writer.WriteNumberValue(value.AsBsonTimestamp.Value);
                break;
            case BsonType.MinKey:
            case BsonType.MaxKey:
                writer.WriteNullValue();
                break;
            default:
                throw new UnreadableValueException($"a value of BSON type {value.BsonType} has no JSON form");
        }
    }

    // BSON names are NUL-terminated strings; a NUL inside would silently cut the name.
    private static string CheckName(string name) =>
        name.Contains('\0', StringComparison.Ordinal)
            ? throw new ArgumentException("A field name must not contain a NUL character.", nameof(name))
            : name;
}

/// <summary>A stored value with no JSON form; the store turns it into <see cref="UnreadableDocumentException"/>.</summary>
internal sealed class UnreadableValueException(string reason) : Exception(reason);
