using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Hosting;

namespace Platform.Server.AdminTools;

/// <summary>
/// The effective <c>Baas</c> configuration (and <c>urls</c>) for <c>GET /api/admin/settings</c>: every options class the
/// server binds, with its defaults filled in, over whatever else the configuration holds under <c>Baas</c>; secrets are
/// masked by name and by an explicit list (<see cref="SecretMasking"/>).
/// </summary>
public static class EffectiveSettings
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    // Every options class the server binds (SettingsSchema's list, which a test keeps complete), at its section.
    private static readonly (string Section, Type Type)[] Known =
    [
        .. SettingsSchema.ServerOptionsTypes.Select(type => ((string)type.GetField("Section")!.GetRawConstantValue()!, type)),
    ];

    /// <summary><c>{ "Baas": {...}, "urls": "..." }</c>, masked.</summary>
    public static JsonObject Build(IConfiguration configuration, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(services);
        var baas = FromConfiguration(configuration.GetSection(BaasOptions.Section));
        foreach (var (section, type) in Known)
        {
            var value = services.GetService(typeof(IOptions<>).MakeGenericType(type));
            if (value?.GetType().GetProperty("Value")?.GetValue(value) is not { } options
                || JsonSerializer.SerializeToNode(options, type, Json) is not JsonObject json)
            {
                continue;
            }

            RemoveComputed(json, type);
            Merge(Target(baas, section), json);
        }

        var result = new JsonObject { [BaasOptions.Section] = baas, ["urls"] = configuration["urls"] };
        return (JsonObject)MaskTree(result, string.Empty)!;
    }

    // Computed members (a full path, AdminOptions.SeedsAdmin) are not settings: only what configuration can set is shown,
    // as SettingsSchema knows it.
    private static void RemoveComputed(JsonObject json, Type type)
    {
        foreach (var property in type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true })
            {
                json.Remove(property.Name);
            }
            else if (json[property.Name] is JsonObject inner)
            {
                RemoveComputed(inner, property.PropertyType);
            }
        }
    }

    private static JsonObject FromConfiguration(IConfigurationSection section)
    {
        var json = new JsonObject();
        foreach (var child in section.GetChildren())
        {
            json[child.Key] = child.GetChildren().Any() ? FromConfiguration(child) : child.Value;
        }

        return json;
    }

    // The object at a section path below "Baas", created as needed.
    private static JsonObject Target(JsonObject baas, string section)
    {
        var target = baas;
        foreach (var segment in section.Split(':').Skip(1))
        {
            if (FindKey(target, segment) is { } existing && target[existing] is JsonObject inner)
            {
                target = inner;
            }
            else
            {
                var created = new JsonObject();
                target[FindKey(target, segment) ?? segment] = created;
                target = created;
            }
        }

        return target;
    }

    private static void Merge(JsonObject target, JsonObject source)
    {
        foreach (var (name, value) in source)
        {
            var key = FindKey(target, name) ?? name;
            if (value is JsonObject inner && target[key] is JsonObject existing)
            {
                Merge(existing, inner);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }

    // Configuration keys are case-insensitive; keep the first spelling.
    private static string? FindKey(JsonObject json, string name) =>
        json.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));

    private static JsonNode? MaskTree(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    result[name] = MaskTree(value, path.Length == 0 ? name : path + ":" + name);
                }

                return result;
            case JsonArray array:
                return new JsonArray([.. array.Select((item, i) => MaskTree(item, path + ":" + i))]);
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Length > 0:
                if (SecretMasking.IsConnectionString(path))
                {
                    return SecretMasking.MaskConnectionString(value.GetValue<string>());
                }

                return SecretMasking.IsSecret(path) ? SecretMasking.Mask : value.DeepClone();
            case JsonValue value:
                return SecretMasking.IsSecret(path) && value.GetValueKind() is not JsonValueKind.Null ? SecretMasking.Mask : value.DeepClone();
            default:
                return null;
        }
    }
}
