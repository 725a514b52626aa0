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

    /// <summary>
    /// Saves a whole definition (schema, indexes, rules), only while the stored one is still at <paramref name="expectedVersion"/>
    /// (the version the page loaded, sent as <c>If-Match</c>), so another admin's save since is not overwritten unseen.
    /// </summary>
    /// <param name="definition">The definition to save.</param>
    /// <param name="expectedVersion">The loaded definition's version; 0 (a server that sent none) saves unconditionally.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="BaasException">412 <c>version_mismatch</c> with <c>currentVersion</c>; 400 naming the field at fault.</exception>
    public virtual Task<CollectionInfo> SaveAsync(CollectionDefinition definition, long expectedVersion, CancellationToken cancellationToken = default) =>
        expectedVersion > 0
            ? client.Admin.Collections.UpdateAsync(definition, expectedVersion, cancellationToken)
            : client.Admin.Collections.UpdateAsync(definition, cancellationToken);

    /// <summary>Deletes a collection with its documents, only while its definition is still at <paramref name="expectedVersion"/> (0: unconditionally).</summary>
    /// <exception cref="BaasException">412 <c>version_mismatch</c> when it changed since the page loaded it; nothing is deleted then.</exception>
    public virtual Task<bool> DeleteAsync(string name, long expectedVersion, CancellationToken cancellationToken = default) =>
        expectedVersion > 0
            ? client.Admin.Collections.DeleteAsync(name, expectedVersion, cancellationToken)
            : client.Admin.Collections.DeleteAsync(name, cancellationToken);

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
