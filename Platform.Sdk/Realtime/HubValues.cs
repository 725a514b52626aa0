using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Sdk.Realtime;

/// <summary>
/// Converts hub payloads to and from JSON. Payloads travel untyped so that one code path serves both protocols:
/// the JSON protocol hands over <see cref="JsonElement"/>s, MessagePack hands over maps, arrays and primitives
/// (and cannot write <see cref="JsonNode"/>s at all).
/// </summary>
internal static class HubValues
{
    /// <summary>A received value as JSON.</summary>
    /// <exception cref="FormatException">A value without a JSON form.</exception>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonElement element => element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : JsonSerializer.SerializeToNode(element),
        JsonNode node => node.DeepClone(),
        string text => JsonValue.Create(text),
        bool flag => JsonValue.Create(flag),
        byte or sbyte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong large => large <= long.MaxValue ? JsonValue.Create((long)large) : JsonValue.Create((double)large),
        float or double or decimal => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        IDictionary map => ToObject(map),
        IEnumerable items => new JsonArray([.. items.Cast<object?>().Select(ToNode)]),
        _ => throw new FormatException($"The server sent a value of type {value.GetType().Name}, which has no JSON form."),
    };

    /// <summary>JSON as plain values (dictionaries, arrays, primitives) that both protocols can write.</summary>
    public static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => ToPlain(p.Value), StringComparer.Ordinal),
        JsonArray array => array.Select(ToPlain).ToArray(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => Number(JsonSerializer.SerializeToElement(value)),
            _ => null,
        },
        _ => null,
    };

    private static object Number(JsonElement number) => number.TryGetInt64(out var integer) ? integer : number.GetDouble();

    private static JsonObject ToObject(IDictionary map)
    {
        var result = new JsonObject();
        foreach (DictionaryEntry entry in map)
        {
            var key = entry.Key as string ?? throw new FormatException("The server sent an object with a key that is not a string.");
            result[key] = ToNode(entry.Value);
        }

        return result;
    }
}
