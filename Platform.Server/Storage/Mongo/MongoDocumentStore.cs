using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Storage.Mongo;

// Placeholder replaced by the SQLite provider work before this lands.
public sealed class MongoDocumentStore(IOptions<StorageOptions> storage, ILogger<MongoDocumentStore> logger) : IDocumentStore
{
    public Task InitializeAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException(storage.Value.Database + logger);
    public Task<bool> PingAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task CreateCollectionAsync(string collection, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task DropCollectionAsync(string collection, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task ApplyIndexesAsync(string collection, IReadOnlyList<IndexDefinition> indexes, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<JsonObject?> GetAsync(string collection, string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<long> CountAsync(string collection, FilterNode filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
