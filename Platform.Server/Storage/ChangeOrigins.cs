using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Functions;

namespace Platform.Server.Storage;

/// <summary>
/// The stored form of a <see cref="WriteOrigin"/> where a provider keeps it as text (SQLite's change log):
/// <c>{"function":"name","depth":1}</c>.
/// </summary>
internal static class ChangeOrigins
{
    public const string FunctionField = "function";
    public const string DepthField = "depth";

    public static string? Format(WriteOrigin? origin) =>
        origin is null ? null : new JsonObject { [FunctionField] = origin.Function, [DepthField] = origin.Depth }.ToJsonString();

    /// <summary>The origin stored as <paramref name="json"/>; null for null. Anything else is corrupt data.</summary>
    public static WriteOrigin? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            var node = JsonNode.Parse(json) as JsonObject;
            if (node?[FunctionField] is JsonValue function && function.TryGetValue<string>(out var name)
                && node[DepthField] is JsonValue depth && depth.TryGetValue<int>(out var value))
            {
                return new WriteOrigin(name, value);
            }
        }
        catch (JsonException)
        {
            // Reported below.
        }

        throw new InvalidDataException($"A stored write origin is not {{function, depth}}: {json}");
    }
}
