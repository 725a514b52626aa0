using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Auth;

/// <summary>
/// A store double for the auth and admin unit tests: exactly the part of the port those services use
/// (get, insert/replace/delete with version checks, unique single-field indexes, queries by top-level
/// equality or match-all sorted by top-level fields). Anything else throws, so a test never silently
/// relies on semantics this double does not have; the real providers are covered by the conformance suite.
/// </summary>
internal sealed class InMemoryDocumentStore : IDocumentStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _collections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<IndexDefinition>> _indexes = new(StringComparer.Ordinal);

    /// <summary>Runs after each <see cref="GetAsync"/> has read, before it returns; lets a test play "another node" at the worst moment.</summary>
    public Func<string, string, Task>? AfterGet { get; set; }

    public int WriteCalls { get; private set; }

    public int QueryCalls { get; private set; }

    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<bool> PingAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

    public Task CreateCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _collections.TryAdd(collection, new Dictionary<string, JsonObject>(StringComparer.Ordinal));
        }

        return Task.CompletedTask;
    }

    public Task DropCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _collections.Remove(collection);
            _indexes.Remove(collection);
        }

        return Task.CompletedTask;
    }

    public Task ApplyIndexesAsync(string collection, IReadOnlyList<IndexDefinition> indexes, CancellationToken cancellationToken = default)
    {
        if (indexes.Any(i => i.Fields.Count != 1 || i.Fields[0].Path.Contains('.', StringComparison.Ordinal)))
        {
            throw new NotSupportedException("The test store supports single top-level field indexes only.");
        }

        lock (_gate)
        {
            _indexes[collection] = indexes;
        }

        return Task.CompletedTask;
    }

    public async Task<JsonObject?> GetAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        JsonObject? result;
        lock (_gate)
        {
            result = Collection(collection).TryGetValue(id, out var document) ? (JsonObject)document.DeepClone() : null;
        }

        if (AfterGet is { } hook)
        {
            await hook(collection, id);
        }

        return result;
    }

    public Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default)
    {
        if (query.After is not null)
        {
            throw new NotSupportedException("The test store has no keyset paging.");
        }

        lock (_gate)
        {
            QueryCalls++;
            IEnumerable<JsonObject> matches = Collection(collection).Values.Where(d => Matches(d, query.Filter));
            IOrderedEnumerable<JsonObject>? ordered = null;
            foreach (var sort in query.Sort)
            {
                Func<JsonObject, string> key = d => d[sort.Path]?.ToJsonString() ?? string.Empty;
                ordered = ordered is null
                    ? (sort.Descending ? matches.OrderByDescending(key, StringComparer.Ordinal) : matches.OrderBy(key, StringComparer.Ordinal))
                    : (sort.Descending ? ordered.ThenByDescending(key, StringComparer.Ordinal) : ordered.ThenBy(key, StringComparer.Ordinal));
            }

            IReadOnlyList<JsonObject> page = [.. (ordered ?? matches).Take(query.Limit).Select(d => (JsonObject)d.DeepClone())];
            return Task.FromResult(page);
        }
    }

    public Task<long> CountAsync(string collection, FilterNode filter, TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult((long)Collection(collection).Values.Count(d => Matches(d, filter)));
        }
    }

    /// <summary>Runs before each <see cref="WriteAsync"/> applies its operations; lets a test hold a write in flight.</summary>
    public Func<IReadOnlyList<WriteOperation>, Task>? BeforeWrite { get; set; }

    public async Task WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken cancellationToken = default)
    {
        if (BeforeWrite is { } hook)
        {
            await hook(operations);
        }

        Write(operations);
    }

    private void Write(IReadOnlyList<WriteOperation> operations)
    {
        lock (_gate)
        {
            WriteCalls++;
            // Apply to copies and swap in only when every operation succeeded: all or nothing.
            var staged = new Dictionary<string, Dictionary<string, JsonObject>>(StringComparer.Ordinal);
            Dictionary<string, JsonObject> Stage(string name) =>
                staged.TryGetValue(name, out var copy) ? copy : staged[name] = new Dictionary<string, JsonObject>(Collection(name), StringComparer.Ordinal);

            for (var i = 0; i < operations.Count; i++)
            {
                var documents = Stage(operations[i].Collection);
                switch (operations[i])
                {
                    case InsertOperation insert:
                        var id = insert.Document[SystemFields.Id]!.GetValue<string>();
                        if (documents.ContainsKey(id))
                        {
                            throw new DuplicateIdException(insert.Collection, id, i);
                        }

                        CheckUnique(insert.Collection, documents, insert.Document, i);
                        documents[id] = (JsonObject)insert.Document.DeepClone();
                        break;
                    case ReplaceOperation replace:
                        var replaceId = replace.Document[SystemFields.Id]!.GetValue<string>();
                        var current = documents.GetValueOrDefault(replaceId);
                        var version = current?[SystemFields.Version]!.GetValue<long>();
                        if (version != replace.ExpectedVersion)
                        {
                            throw new VersionMismatchException(replace.Collection, replaceId, version, i);
                        }

                        CheckUnique(replace.Collection, documents, replace.Document, i);
                        documents[replaceId] = (JsonObject)replace.Document.DeepClone();
                        break;
                    case DeleteOperation delete:
                        var existing = documents.GetValueOrDefault(delete.Id);
                        var existingVersion = existing?[SystemFields.Version]!.GetValue<long>();
                        if (existing is null || (delete.ExpectedVersion is { } expected && expected != existingVersion))
                        {
                            throw new VersionMismatchException(delete.Collection, delete.Id, existingVersion, i);
                        }

                        documents.Remove(delete.Id);
                        break;
                    default:
                        throw new NotSupportedException(operations[i].GetType().Name);
                }
            }

            foreach (var (name, documents) in staged)
            {
                _collections[name] = documents;
            }
        }
    }

    private void CheckUnique(string collection, Dictionary<string, JsonObject> documents, JsonObject document, int opIndex)
    {
        var id = document[SystemFields.Id]!.GetValue<string>();
        foreach (var index in _indexes.GetValueOrDefault(collection) ?? [])
        {
            var field = index.Fields[0].Path;
            if (index.Unique && document[field] is { } value
                && documents.Values.Any(d => d[SystemFields.Id]!.GetValue<string>() != id && JsonNode.DeepEquals(d[field], value)))
            {
                throw new UniqueIndexViolationException(collection, index.Name, opIndex);
            }
        }
    }

    private Dictionary<string, JsonObject> Collection(string name) =>
        _collections.TryGetValue(name, out var documents) ? documents : [];

    private static bool Matches(JsonObject document, FilterNode filter) => filter switch
    {
        MatchAllNode => true,
        FieldNode { Operator: FieldOperator.Eq } field when !field.Path.Contains('.', StringComparison.Ordinal) && field.Value.ValueKind != JsonValueKind.Array =>
            JsonNode.DeepEquals(document[field.Path], JsonNode.Parse(field.Value.GetRawText())),
        _ => FilterMatcher.Matches(filter, document),
    };
}
