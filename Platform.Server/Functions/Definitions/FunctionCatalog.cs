using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Functions.Definitions;

/// <summary>
/// <see cref="IFunctionCatalog"/> over <c>_functions</c> and <c>_function_versions</c>, with a per-node cache:
/// a change made through <see cref="FunctionAdminService"/> on this node is visible at once (and raises
/// <see cref="Changed"/>); a change made on another node within <see cref="FunctionOptions.DefinitionCacheTime"/>.
/// </summary>
public sealed class FunctionCatalog(IDocumentStore store, IOptions<FunctionOptions> options, TimeProvider time) : IFunctionCatalog
{
    private const int PageSize = 500;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private ListEntry? _list;

    // Bumped on every local change, so a load that started before the change does not cache what it read.
    private long _generation;

    private sealed record Entry(FunctionDefinition? Definition, long LoadedAt);

    private sealed record ListEntry(IReadOnlyList<FunctionDefinition> Definitions, long LoadedAt);

    public event Action<string>? Changed;

    public async Task<FunctionDefinition?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_cache.TryGetValue(name, out var entry) && Fresh(entry.LoadedAt))
        {
            return entry.Definition;
        }

        var generation = Interlocked.Read(ref _generation);
        var loadedAt = time.GetTimestamp();
        var stored = await store.GetAsync(FunctionCollections.Functions, name, cancellationToken);
        var definition = stored is null ? null : FunctionDefinitionJson.FromJson(stored, name);
        if (definition is null)
        {
            // Misses are never cached: a function saved on another node is callable here at once.
            _cache.TryRemove(name, out _);
        }
        else if (Interlocked.Read(ref _generation) == generation)
        {
            _cache[name] = new Entry(definition, loadedAt);
        }

        return definition;
    }

    public async Task<FunctionDefinition?> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var stored = await store.GetAsync(FunctionCollections.Versions, FunctionCollections.VersionId(name, version), cancellationToken);
        return stored is null ? null : FunctionDefinitionJson.FromJson(stored, name);
    }

    public async Task<IReadOnlyList<FunctionDefinition>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (_list is { } list && Fresh(list.LoadedAt))
        {
            return list.Definitions;
        }

        var generation = Interlocked.Read(ref _generation);
        var loadedAt = time.GetTimestamp();
        var result = new List<FunctionDefinition>();
        IReadOnlyList<JsonElement>? after = null;
        var sort = new[] { new SortField(SystemFields.Id) };
        while (true)
        {
            var page = await store.QueryAsync(FunctionCollections.Functions, new DocumentQuery(MatchAllNode.Instance, sort, PageSize, after), cancellationToken);
            result.AddRange(page.Select(stored => FunctionDefinitionJson.FromJson(stored, stored[SystemFields.Id]!.GetValue<string>())));
            if (page.Count < PageSize)
            {
                break;
            }

            after = [ScalarJson.Element(page[^1][SystemFields.Id]!.GetValue<string>())];
        }

        if (Interlocked.Read(ref _generation) == generation)
        {
            _list = new ListEntry(result, loadedAt);
        }

        return result;
    }

    /// <summary>Every saved version of a function, newest first (empty when there is none).</summary>
    public async Task<IReadOnlyList<FunctionDefinition>> ListVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        var stored = await ListVersionDocumentsAsync(name, cancellationToken);
        return [.. stored.Select(s => FunctionDefinitionJson.FromJson(s, name))];
    }

    internal async Task<IReadOnlyList<JsonObject>> ListVersionDocumentsAsync(string name, CancellationToken cancellationToken)
    {
        var filter = new FieldNode("name", FieldOperator.Eq, ScalarJson.Element(name));
        var sort = new[] { new SortField("version", Descending: true), new SortField(SystemFields.Id) };
        var result = new List<JsonObject>();
        IReadOnlyList<JsonElement>? after = null;
        while (true)
        {
            var page = await store.QueryAsync(FunctionCollections.Versions, new DocumentQuery(filter, sort, PageSize, after), cancellationToken);
            result.AddRange(page);
            if (page.Count < PageSize)
            {
                return result;
            }

            var last = page[^1];
            after = [ScalarJson.Element(last["version"]!.GetValue<int>()), ScalarJson.Element(last[SystemFields.Id]!.GetValue<string>())];
        }
    }

    /// <summary>Called by the admin service after a local save, rollback or delete: forgets the cached state and raises <see cref="Changed"/>.</summary>
    internal void OnChanged(string name, FunctionDefinition? current)
    {
        Interlocked.Increment(ref _generation);
        if (current is null)
        {
            _cache.TryRemove(name, out _);
        }
        else
        {
            _cache[name] = new Entry(current, time.GetTimestamp());
        }

        _list = null;
        Changed?.Invoke(name);
    }

    private bool Fresh(long loadedAt) => time.GetElapsedTime(loadedAt) < options.Value.DefinitionCacheTime;
}
