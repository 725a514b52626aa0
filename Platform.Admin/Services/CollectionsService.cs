using System.Text.Json.Nodes;
using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>Collection definitions for the collections pages: list, read, create, save, delete, schema check, rules simulator.</summary>
public class CollectionsService(BaasClient client)
{
    /// <summary>The operations a rule can be set for, in the order the pages show them.</summary>
    public static IReadOnlyList<string> Operations { get; } = ["list", "get", "create", "update", "delete"];

    public virtual async Task<IReadOnlyList<CollectionInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        [.. (await client.Admin.Collections.ListAsync(cancellationToken)).OrderBy(c => c.Name, StringComparer.Ordinal)];

    /// <returns>The collection, or null when it does not exist.</returns>
    public virtual Task<CollectionInfo?> GetAsync(string name, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.GetAsync(name, cancellationToken);

    public virtual Task<CollectionInfo> CreateAsync(string name, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.CreateAsync(new CollectionDefinition { Name = name }, cancellationToken);

    /// <summary>Saves a whole definition (schema, indexes, rules).</summary>
    public virtual Task<CollectionInfo> SaveAsync(CollectionDefinition definition, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.UpdateAsync(definition, cancellationToken);

    public virtual Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.DeleteAsync(name, cancellationToken);

    public virtual Task<SchemaCheckResult> CheckSchemaAsync(string name, JsonObject schema, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.CheckSchemaAsync(name, schema, cancellationToken);

    public virtual Task<RuleSimulationResult> SimulateAsync(string name, RuleSimulationRequest request, CancellationToken cancellationToken = default) =>
        client.Admin.Collections.SimulateRulesAsync(name, request, cancellationToken);

    /// <summary>A copy of a definition with one part replaced, so saving one tab leaves the others as stored.</summary>
    public static CollectionDefinition With(CollectionDefinition saved, JsonObject? schema = null, bool replaceSchema = false, IEnumerable<IndexDefinition>? indexes = null, IDictionary<string, string>? rules = null)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var copy = new CollectionDefinition
        {
            Name = saved.Name,
            Schema = replaceSchema ? schema?.DeepClone() as JsonObject : saved.Schema?.DeepClone() as JsonObject,
            Indexes = [.. indexes ?? saved.Indexes],
            Rules = new Dictionary<string, string>(rules ?? saved.Rules, StringComparer.Ordinal),
        };
        return copy;
    }
}
