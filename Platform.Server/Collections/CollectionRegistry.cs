using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Collections;

/// <summary>
/// Collection definitions, stored in <c>_collections</c> (one document per collection, <c>_id</c> = name)
/// and cached with their compiled schema. The store is the truth; the cache only saves reads. Only definitions
/// found are cached (for <see cref="CollectionOptions.DefinitionCacheTime"/>): a name not found is read again on
/// every use, so a collection created on another node sharing the store is usable on this one at once.
/// </summary>
public sealed class CollectionRegistry(IDocumentStore store, IOptions<CollectionOptions> options, TimeProvider time)
{
    private const int MaxWriteAttempts = 5;
    private readonly ConcurrentDictionary<string, CacheEntry> _cache = new(StringComparer.Ordinal);

    private sealed record CacheEntry(Collection? Collection, long LoadedAt);

    /// <summary>The collection, or null when it is not defined.</summary>
    public async Task<Collection?> FindAsync(string name, CancellationToken cancellationToken = default)
    {
        if (_cache.TryGetValue(name, out var entry) && time.GetElapsedTime(entry.LoadedAt) < options.Value.DefinitionCacheTime)
        {
            return entry.Collection;
        }

        var loadedAt = time.GetTimestamp();
        var stored = await store.GetAsync(CollectionNames.Definitions, name, cancellationToken);
        var collection = stored is null ? null : await FromStoredAsync(stored, cancellationToken);
        if (collection is null)
        {
            // Misses are never cached: a collection created on another node is usable here at once (issue 12 item 8).
            _cache.TryRemove(name, out _);
        }
        else
        {
            _cache[name] = new CacheEntry(collection, loadedAt);
        }

        return collection;
    }

    /// <summary>Every defined collection, by name.</summary>
    public async Task<IReadOnlyList<Collection>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<Collection>();
        IReadOnlyList<JsonElement>? after = null;
        var sort = new[] { new SortField(SystemFields.Id) };
        while (true)
        {
            var page = await store.QueryAsync(CollectionNames.Definitions, new DocumentQuery(MatchAllNode.Instance, sort, 500, after), cancellationToken);
            foreach (var stored in page)
            {
                result.Add(await FromStoredAsync(stored, cancellationToken));
            }

            if (page.Count < 500)
            {
                return result;
            }

            after = [ScalarJson.Element(page[^1][SystemFields.Id]!.GetValue<string>())];
        }
    }

    /// <summary>Defines a new collection: creates its storage and indexes, then records the definition.</summary>
    public async Task<Collection> CreateAsync(CollectionDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var schema = await CompileForSaveAsync(definition, cancellationToken);
        if (await store.GetAsync(CollectionNames.Definitions, definition.Name, cancellationToken) is not null)
        {
            throw Exists(definition.Name);
        }

        await store.CreateCollectionAsync(definition.Name, cancellationToken);
        await store.ApplyIndexesAsync(definition.Name, definition.Indexes, cancellationToken);

        var now = Timestamps.Format(time.GetUtcNow());
        var document = ToStored(definition, now, now, version: 1);
        try
        {
            await store.WriteAsync([new InsertOperation(CollectionNames.Definitions, document)], cancellationToken);
        }
        catch (DuplicateIdException)
        {
            // A concurrent create won; put its indexes back in place of ours before reporting the conflict.
            if (await FindFreshAsync(definition.Name, cancellationToken) is { } winner)
            {
                await store.ApplyIndexesAsync(definition.Name, winner.Definition.Indexes, cancellationToken);
            }

            throw Exists(definition.Name);
        }

        return Remember(new Collection(definition, schema, now, now));
    }

    /// <summary>
    /// Replaces a definition: applies the new index set, then records it. With <paramref name="ifMatch"/> only while the stored
    /// definition is at that version (else a 412 <c>version_mismatch</c> with <c>currentVersion</c>, and nothing changes).
    /// </summary>
    public async Task<Collection> UpdateAsync(CollectionDefinition definition, long? ifMatch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var schema = await CompileForSaveAsync(definition, cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            var stored = await store.GetAsync(CollectionNames.Definitions, definition.Name, cancellationToken)
                ?? throw CollectionNames.NotDefined(definition.Name, "name");
            var version = stored[SystemFields.Version]!.GetValue<long>();
            if (ifMatch is { } expected && expected != version)
            {
                throw Mismatch(definition.Name, version);
            }

            await store.ApplyIndexesAsync(definition.Name, definition.Indexes, cancellationToken);

            var createdAt = stored[SystemFields.CreatedAt]!.GetValue<string>();
            var now = Timestamps.Format(time.GetUtcNow());
            try
            {
                await store.WriteAsync([new ReplaceOperation(CollectionNames.Definitions, ToStored(definition, createdAt, now, version + 1), version)], cancellationToken);
                return Remember(new Collection(definition, schema, createdAt, now, version + 1));
            }
            catch (VersionMismatchException) when (attempt < MaxWriteAttempts && ifMatch is null)
            {
                // Another admin changed it meanwhile; without If-Match the last writer wins, on a fresh read.
            }
            catch (VersionMismatchException) when (ifMatch is not null)
            {
                // The version If-Match named was there when read, and another save took it first.
                var current = await store.GetAsync(CollectionNames.Definitions, definition.Name, cancellationToken)
                    ?? throw CollectionNames.NotDefined(definition.Name, "name");
                throw Mismatch(definition.Name, current[SystemFields.Version]!.GetValue<long>());
            }
        }
    }

    /// <summary>Deletes a collection with all its documents. Data goes first, so a failure leaves a definition to retry with.</summary>
    public async Task<bool> DeleteAsync(string name, long? ifMatch = null, CancellationToken cancellationToken = default)
    {
        if (await store.GetAsync(CollectionNames.Definitions, name, cancellationToken) is not { } stored)
        {
            return false;
        }

        // Checked before the data goes: a refused delete leaves everything as it was.
        if (ifMatch is { } expected && stored[SystemFields.Version]!.GetValue<long>() is var version && expected != version)
        {
            throw Mismatch(name, version);
        }

        await store.DropCollectionAsync(name, cancellationToken);
        try
        {
            await store.WriteAsync([new DeleteOperation(CollectionNames.Definitions, name)], cancellationToken);
        }
        catch (VersionMismatchException)
        {
            // Deleted concurrently: the outcome is the same.
        }

        _cache.TryRemove(name, out _);
        return true;
    }

    /// <summary>Defines a schemaless collection on first write (service key with <c>AutoCreate</c> on).</summary>
    public async Task<Collection> GetOrAutoCreateAsync(string name, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(name, cancellationToken) is { } existing)
        {
            return existing;
        }

        try
        {
            return await CreateAsync(new CollectionDefinition(name, null, [], new Dictionary<string, string>()), cancellationToken);
        }
        catch (DomainException ex) when (ex.Kind == ErrorKind.Conflict)
        {
            // Another request created it first; use theirs.
            return await FindFreshAsync(name, cancellationToken)
                ?? throw new DomainException(ErrorKind.Conflict, "collection_exists", $"Collection '{name}' was created and deleted concurrently; retry.");
        }
    }

    private async Task<Collection?> FindFreshAsync(string name, CancellationToken cancellationToken)
    {
        _cache.TryRemove(name, out _);
        return await FindAsync(name, cancellationToken);
    }

    private Collection Remember(Collection collection)
    {
        _cache[collection.Name] = new CacheEntry(collection, time.GetTimestamp());
        return collection;
    }

    // What only a save refuses is checked first (SchemaKeywords, CheckForSave); a stored definition loads as it was saved.
    private Task<SchemaValidator?> CompileForSaveAsync(CollectionDefinition definition, CancellationToken cancellationToken)
    {
        CollectionDefinitionParser.CheckForSave(definition);
        if (definition.Schema is { } schema)
        {
            SchemaKeywords.Check(schema, options.Value.MaxSchemaRefs);
        }

        return CompileAsync(definition, cancellationToken);
    }

    private static async Task<SchemaValidator?> CompileAsync(CollectionDefinition definition, CancellationToken cancellationToken) =>
        definition.Schema is null ? null : await SchemaValidator.CompileAsync(definition.Schema, cancellationToken);

    private static DomainException Exists(string name) =>
        new(ErrorKind.Conflict, "collection_exists", $"Collection '{name}' is already defined.", "name");

    private static JsonObject ToStored(CollectionDefinition definition, string createdAt, string updatedAt, long version)
    {
        var json = definition.ToJson();
        json.Remove("name");
        json[SystemFields.Id] = definition.Name;
        json[SystemFields.Version] = version;
        json[SystemFields.CreatedAt] = createdAt;
        json[SystemFields.UpdatedAt] = updatedAt;
        json[SystemFields.CreatedBy] = null;
        return json;
    }

    private static async Task<Collection> FromStoredAsync(JsonObject stored, CancellationToken cancellationToken)
    {
        var api = (JsonObject)stored.DeepClone();
        var name = api[SystemFields.Id]!.GetValue<string>();
        foreach (var field in SystemFields.All)
        {
            api.Remove(field);
        }

        api["name"] = name;
        var definition = CollectionDefinitionParser.Parse(api, name, new CollectionOptions { MaxIndexes = 64, MaxIndexFields = 16 });
        return new Collection(
            definition,
            await CompileAsync(definition, cancellationToken),
            stored[SystemFields.CreatedAt]!.GetValue<string>(),
            stored[SystemFields.UpdatedAt]!.GetValue<string>(),
            stored[SystemFields.Version]!.GetValue<long>());
    }

    private static DomainException Mismatch(string name, long current) =>
        new(ErrorKind.PreconditionFailed, "version_mismatch", $"Collection '{name}' is at version {current}; the If-Match precondition did not hold.")
        {
            Extensions = new Dictionary<string, object?> { ["currentVersion"] = current },
        };
}
