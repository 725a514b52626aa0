using System.Text.Json.Nodes;
using Platform.Server.Storage;

namespace Platform.Server.Collections;

/// <summary>What an app developer defines for a collection (DESIGN.md section 5).</summary>
/// <param name="Name">The collection name.</param>
/// <param name="Schema">Optional JSON Schema every document must satisfy; null = schemaless.</param>
/// <param name="Indexes">User-defined single and compound indexes.</param>
/// <param name="Rules">Access rules per operation (<c>list get create update delete</c>), kept as written.</param>
public sealed record CollectionDefinition(
    string Name,
    JsonObject? Schema,
    IReadOnlyList<IndexDefinition> Indexes,
    IReadOnlyDictionary<string, string> Rules)
{
    public static readonly IReadOnlyList<string> RuleOperations = ["list", "get", "create", "update", "delete"];

    /// <summary>The definition in its API shape (without timestamps).</summary>
    public JsonObject ToJson()
    {
        var indexes = new JsonArray();
        foreach (var index in Indexes)
        {
            indexes.Add(new JsonObject
            {
                ["fields"] = new JsonArray([.. index.Fields.Select(f => (JsonNode)JsonValue.Create(f.ToString()))]),
                ["unique"] = index.Unique,
            });
        }

        var rules = new JsonObject();
        foreach (var (operation, rule) in Rules)
        {
            rules[operation] = rule;
        }

        return new JsonObject
        {
            ["name"] = Name,
            ["schema"] = Schema?.DeepClone(),
            ["indexes"] = indexes,
            ["rules"] = rules,
        };
    }
}
