using System.Text.Json.Nodes;
using Platform.Server.Rules;

namespace Platform.Server.Collections;

/// <summary>A defined collection as the server uses it: its definition plus the compiled schema and rules.</summary>
/// <param name="Definition">What the admin API saved.</param>
/// <param name="Schema">The compiled schema, or null for a schemaless collection.</param>
/// <param name="CreatedAt">When the collection was defined.</param>
/// <param name="UpdatedAt">When its definition was last saved.</param>
/// <param name="Version">The stored definition's version (+1 on every save): the <c>ETag</c> of the admin API's answers.</param>
public sealed record Collection(CollectionDefinition Definition, SchemaValidator? Schema, string CreatedAt, string UpdatedAt, long Version = 1)
{
    public string Name => Definition.Name;

    /// <summary>The rules, compiled once per definition load (the registry caches this object).</summary>
    public RuleSet Rules { get; } = RuleSet.Compile(Definition.Rules);

    /// <summary>The API shape: the definition plus timestamps and version (so a list's items carry what each single answer's <c>ETag</c> says).</summary>
    public JsonObject ToJson()
    {
        var json = Definition.ToJson();
        json["createdAt"] = CreatedAt;
        json["updatedAt"] = UpdatedAt;
        json["version"] = Version;
        return json;
    }
}
