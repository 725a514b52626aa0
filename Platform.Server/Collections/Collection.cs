using System.Text.Json.Nodes;
using Platform.Server.Rules;

namespace Platform.Server.Collections;

/// <summary>A defined collection as the server uses it: its definition plus the compiled schema and rules.</summary>
public sealed record Collection(CollectionDefinition Definition, SchemaValidator? Schema, string CreatedAt, string UpdatedAt)
{
    public string Name => Definition.Name;

    /// <summary>The rules, compiled once per definition load (the registry caches this object).</summary>
    public RuleSet Rules { get; } = RuleSet.Compile(Definition.Rules);

    /// <summary>The API shape: the definition plus timestamps.</summary>
    public JsonObject ToJson()
    {
        var json = Definition.ToJson();
        json["createdAt"] = CreatedAt;
        json["updatedAt"] = UpdatedAt;
        return json;
    }
}
