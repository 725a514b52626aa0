using System.Diagnostics;
using System.Text.Json.Nodes;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Storage;

/// <summary>
/// The <see cref="IDocumentStore"/> every feature gets: the configured provider, with each call counted and timed
/// (<c>baas.storage.operations</c>, <c>baas.storage.operation.duration</c>, by operation, provider and outcome) and,
/// when a tracer listens to <c>Baas.Storage</c>, wrapped in a client span. Without a listener
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and nothing is allocated for tracing;
/// the metrics cost two timestamps and two instrument calls per store call, which are no-ops until a meter listener
/// (the OpenTelemetry SDK) enables them.
/// </summary>
internal sealed class InstrumentedDocumentStore(IDocumentStore inner, StorageMetrics metrics, string provider) : IDocumentStore
{
    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        RunAsync("initialize", null, ct => inner.InitializeAsync(ct), cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken = default) =>
        RunAsync("ping", null, ct => inner.PingAsync(ct), cancellationToken);

    public Task CreateCollectionAsync(string collection, CancellationToken cancellationToken = default) =>
        RunAsync("create_collection", collection, ct => inner.CreateCollectionAsync(collection, ct), cancellationToken);

    public Task DropCollectionAsync(string collection, CancellationToken cancellationToken = default) =>
        RunAsync("drop_collection", collection, ct => inner.DropCollectionAsync(collection, ct), cancellationToken);

    public Task ApplyIndexesAsync(string collection, IReadOnlyList<IndexDefinition> indexes, CancellationToken cancellationToken = default) =>
        RunAsync("apply_indexes", collection, ct => inner.ApplyIndexesAsync(collection, indexes, ct), cancellationToken);

    public Task<JsonObject?> GetAsync(string collection, string id, CancellationToken cancellationToken = default) =>
        RunAsync("get", collection, ct => inner.GetAsync(collection, id, ct), cancellationToken);

    public Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default) =>
        RunAsync("query", collection, ct => inner.QueryAsync(collection, query, ct), cancellationToken);

    public Task<long> CountAsync(string collection, FilterNode filter, CancellationToken cancellationToken = default) =>
        RunAsync("count", collection, ct => inner.CountAsync(collection, filter, ct), cancellationToken);

    public Task<long> CountAsync(string collection, FilterNode filter, TimeSpan? timeout, CancellationToken cancellationToken = default) =>
        RunAsync("count", collection, ct => inner.CountAsync(collection, filter, timeout, ct), cancellationToken);

    public bool CombinedWritesAreCheap => inner.CombinedWritesAreCheap;

    public Task WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken cancellationToken = default) =>
        RunAsync("write", operations.Count > 0 ? operations[0].Collection : null, ct => inner.WriteAsync(operations, ct), cancellationToken);

    private async Task RunAsync(string operation, string? collection, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        await RunAsync<bool>(
            operation,
            collection,
            async ct =>
            {
                await call(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);

    private async Task<T> RunAsync<T>(string operation, string? collection, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var activity = metrics.ActivitySource.StartActivity("store " + operation, ActivityKind.Client);
        if (activity is not null)
        {
            // OpenTelemetry's database conventions: the system, the operation, the collection.
            activity.SetTag("db.system.name", provider);
            activity.SetTag("db.operation.name", operation);
            activity.SetTag("db.collection.name", collection);
        }

        var started = Stopwatch.GetTimestamp();
        var ok = false;
        try
        {
            var result = await call(cancellationToken).ConfigureAwait(false);
            ok = true;
            return result;
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            activity.SetTag("error.type", ex.GetType().FullName);
            throw;
        }
        finally
        {
            metrics.OperationEnded(operation, provider, ok, Stopwatch.GetElapsedTime(started));
        }
    }
}
