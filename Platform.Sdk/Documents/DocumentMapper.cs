using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Platform.Sdk.Documents;

/// <summary>
/// Turns <typeparamref name="T"/> into a write body and a stored document back into
/// <see cref="Document{T}"/>, moving the id property to and from <c>_id</c>.
/// </summary>
internal sealed class DocumentMapper<T>
{
    internal static readonly string[] SystemFields = ["_id", "_version", "_createdAt", "_updatedAt", "_createdBy"];

    private readonly bool _omitNulls;

    public DocumentMapper(JsonSerializerOptions options, bool omitNulls = true)
    {
        Options = options;
        _omitNulls = omitNulls;
        IdProperty = FindIdProperty(options, typeof(T));
        IdJsonName = IdProperty is null ? null : JsonNames.Find(options, typeof(T), IdProperty);
    }

    public JsonSerializerOptions Options { get; }

    /// <summary>The property mapped to <c>_id</c>, if <typeparamref name="T"/> has one.</summary>
    public PropertyInfo? IdProperty { get; }

    /// <summary>The JSON name the serializer gives <see cref="IdProperty"/>.</summary>
    public string? IdJsonName { get; }

    /// <summary>The body of a write: the serialized data without system fields, with <c>_id</c> when <paramref name="includeId"/> and the data has one.</summary>
    public JsonObject ToBody(T data, bool includeId)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (JsonSerializer.SerializeToNode(data, Options) is not JsonObject body)
        {
            throw new ArgumentException($"A document must serialize to a JSON object; {typeof(T).Name} does not.", nameof(data));
        }

        string? id = null;
        if (IdJsonName is not null && body.TryGetPropertyValue(IdJsonName, out var idNode))
        {
            body.Remove(IdJsonName);
            id = idNode is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        }

        if (body["_id"] is JsonValue explicitId && explicitId.TryGetValue<string>(out var given))
        {
            id ??= given;
        }

        foreach (var field in SystemFields)
        {
            body.Remove(field);
        }

        if (_omitNulls)
        {
            OmitNulls(body);
        }

        if (includeId && !string.IsNullOrEmpty(id))
        {
            body["_id"] = id;
        }

        return body;
    }

    /// <summary>Removes null members of every object in <paramref name="node"/> (null array elements stay: they are values).</summary>
    private static void OmitNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList())
                {
                    obj.Remove(key);
                }

                foreach (var (_, value) in obj)
                {
                    OmitNulls(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    OmitNulls(item);
                }

                break;
        }
    }

    /// <summary>A stored document as <see cref="Document{T}"/>; the system fields stay visible to the deserializer (map them with <c>[JsonPropertyName("_version")]</c> if you like).</summary>
    public Document<T> FromJson(JsonNode? node)
    {
        if (node is not JsonObject stored)
        {
            throw new BaasException("The server answered something that is not a document.");
        }

        var id = Text(stored, "_id") ?? throw new BaasException("The server answered a document without _id.");
        var version = stored["_version"] is JsonValue v && v.TryGetValue<long>(out var number) ? number : 0;
        var createdAt = Time(stored, "_createdAt");
        var updatedAt = Time(stored, "_updatedAt");
        var createdBy = Text(stored, "_createdBy");

        var copy = (JsonObject)stored.DeepClone();
        if (IdJsonName is not null)
        {
            copy[IdJsonName] = id;
        }

        var data = copy.Deserialize<T>(Options)!;
        return new Document<T>(id, version, createdAt, updatedAt, createdBy, data);
    }

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static DateTimeOffset Time(JsonObject json, string name) =>
        Text(json, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : default;

    private static PropertyInfo? FindIdProperty(JsonSerializerOptions options, Type type)
    {
        var info = options.GetTypeInfo(type);
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return null;
        }

        PropertyInfo? byName = null;
        foreach (var property in info.Properties)
        {
            if (property.AttributeProvider is not PropertyInfo member)
            {
                continue;
            }

            if (member.IsDefined(typeof(BaasIdAttribute), inherit: true))
            {
                return member.PropertyType == typeof(string)
                    ? member
                    : throw new InvalidOperationException($"[BaasId] property {type.Name}.{member.Name} must be a string.");
            }

            if (member.Name == "Id" && member.PropertyType == typeof(string))
            {
                byName = member;
            }
        }

        return byName;
    }
}

/// <summary>The JSON name the serializer uses for a member (honours <c>[JsonPropertyName]</c> and the naming policy).</summary>
internal static class JsonNames
{
    public static string? Find(JsonSerializerOptions options, Type ownerType, MemberInfo member)
    {
        var info = options.GetTypeInfo(ownerType);
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return null;
        }

        foreach (var property in info.Properties)
        {
            if (property.AttributeProvider is MemberInfo candidate && candidate.Name == member.Name)
            {
                // [JsonIgnore] members stay in the contract but are never written, so no stored field exists.
                var ignore = candidate.GetCustomAttribute<JsonIgnoreAttribute>(inherit: true);
                return ignore is { Condition: JsonIgnoreCondition.Always } ? null : property.Name;
            }
        }

        return null;
    }
}
