using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Server.Realtime;

/// <summary>
/// Converts between documents and the plain values (dictionaries, arrays, strings, numbers, booleans, null) that
/// both hub protocols serialize: the MessagePack protocol cannot write <see cref="JsonNode"/>s, and its clients send
/// maps where JSON clients send objects.
/// </summary>
internal static class PayloadValues
{
    /// <summary>A read-only plain-value copy of a document, safe to share between connections.</summary>
    public static Dictionary<string, object?> FromDocument(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        using var parsed = JsonSerializer.SerializeToDocument(document);
        return (Dictionary<string, object?>)FromElement(parsed.RootElement)!;
    }

    public static object? FromElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => FromElement(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => element.EnumerateArray().Select(FromElement).ToArray(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var integer) ? integer : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>
    /// A value a client sent (a <see cref="JsonElement"/> from the JSON protocol, plain values from MessagePack) as JSON.
    /// </summary>
    /// <exception cref="ArgumentException">A value that has no JSON form (binary data, extension types).</exception>
    public static JsonElement ToElement(object? value) => value is JsonElement element
        ? element
        : JsonSerializer.SerializeToElement(ToNode(value));

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonElement element => JsonSerializer.SerializeToNode(element),
        string text => JsonValue.Create(text),
        bool flag => JsonValue.Create(flag),
        byte or sbyte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong large => large <= long.MaxValue ? JsonValue.Create((long)large) : JsonValue.Create((double)large),
        float or double or decimal => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        IDictionary map => ToObject(map),
        IEnumerable items => new JsonArray([.. items.Cast<object?>().Select(ToNode)]),
        _ => throw new ArgumentException($"A value of type {value.GetType().Name} has no JSON form.", nameof(value)),
    };

    private static JsonObject ToObject(IDictionary map)
    {
        var result = new JsonObject();
        foreach (DictionaryEntry entry in map)
        {
            var key = entry.Key as string ?? throw new ArgumentException("Object keys must be strings.", nameof(map));
            result[key] = ToNode(entry.Value);
        }

        return result;
    }
}
