using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Platform.Sdk.Documents;
using Platform.Sdk.Realtime;

namespace Platform.Sdk;

/// <summary>Realtime watches on queries and documents (docs/sdk.md, "Realtime").</summary>
public static class RealtimeExtensions
{
    /// <summary>
    /// Streams the changes to the documents matching the query's filter (its sort and limit do not apply), live, until
    /// <paramref name="cancellationToken"/> is cancelled. All watches of a client share one connection, which reconnects
    /// by itself and resumes every watch after the last change it delivered, so no change is lost or repeated; when the
    /// server no longer has the missed changes, a <see cref="DocumentChangeType.Reset"/> arrives followed by the current
    /// documents as <see cref="DocumentChangeType.Added"/>.
    /// </summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="query">The query whose filter to watch.</param>
    /// <param name="cancellationToken">Ends the watch (the enumeration then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The changes, in commit order per document.</returns>
    /// <exception cref="BaasException">The server refused the watch (<c>collection_not_found</c>, <c>forbidden</c>, <c>invalid_filter</c>, ...).</exception>
    public static IAsyncEnumerable<DocumentChange<T>> WatchAsync<T>(this Query<T> query, CancellationToken cancellationToken = default) =>
        WatchAsync(query, null, cancellationToken);

    /// <summary>Streams the changes to the documents matching the query's filter; see <see cref="WatchAsync{T}(Query{T}, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="query">The query whose filter to watch.</param>
    /// <param name="options">E.g. <see cref="WatchOptions.Snapshot"/> to get the current matches first.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>The changes.</returns>
    public static IAsyncEnumerable<DocumentChange<T>> WatchAsync<T>(this Query<T> query, WatchOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = query.ToFilterJson();
        return Run(query, new Watch(query.CollectionName, filter.Count == 0 ? null : filter, null, options?.Snapshot ?? false), cancellationToken);
    }

    /// <summary>
    /// Streams the changes to one document (created, modified, removed), under the collection's <c>get</c> rule;
    /// reconnects and resumes like <see cref="WatchAsync{T}(Query{T}, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document id (it need not exist yet).</param>
    /// <param name="options">E.g. <see cref="WatchOptions.Snapshot"/> to get the document first, when it exists.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>The changes.</returns>
    public static IAsyncEnumerable<DocumentChange<T>> WatchAsync<T>(this DocumentCollection<T> collection, string id, WatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Run(collection, new Watch(collection.Name, null, id, options?.Snapshot ?? false), cancellationToken);
    }

    /// <summary>
    /// Starts watching the documents matching the query's filter and returns once the server has acknowledged the
    /// subscription: every change committed after this returns is delivered (with <see cref="WatchOptions.Snapshot"/>,
    /// the snapshot is buffered already). Enumerate the result once; dispose it to end the watch. Reconnects and
    /// resumes like <see cref="WatchAsync{T}(Query{T}, CancellationToken)"/>.
    /// </summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="query">The query whose filter to watch.</param>
    /// <param name="options">E.g. <see cref="WatchOptions.Snapshot"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for the subscription (not the watch: dispose it for that).</param>
    /// <returns>The live watch.</returns>
    /// <exception cref="BaasException">The server refused the watch.</exception>
    public static Task<DocumentWatch<T>> SubscribeAsync<T>(this Query<T> query, WatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = query.ToFilterJson();
        return StartAsync(query, new Watch(query.CollectionName, filter.Count == 0 ? null : filter, null, options?.Snapshot ?? false), cancellationToken);
    }

    /// <summary>Starts watching one document and returns once the server has acknowledged it; see <see cref="SubscribeAsync{T}(Query{T}, WatchOptions?, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The document type.</typeparam>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document id (it need not exist yet).</param>
    /// <param name="options">E.g. <see cref="WatchOptions.Snapshot"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for the subscription.</param>
    /// <returns>The live watch.</returns>
    public static Task<DocumentWatch<T>> SubscribeAsync<T>(this DocumentCollection<T> collection, string id, WatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return StartAsync(collection, new Watch(collection.Name, null, id, options?.Snapshot ?? false), cancellationToken);
    }

    private static async Task<DocumentWatch<T>> StartAsync<T>(Query<T> query, Watch watch, CancellationToken cancellationToken)
    {
        var session = query.Transport?.Realtime ?? throw new NotSupportedException("This query does not belong to a BaasClient.");
        session.Add(watch);
        try
        {
            await watch.Live.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            session.Remove(watch);
            throw;
        }

        return new DocumentWatch<T>(session, watch, query.Mapper);
    }

    private static async IAsyncEnumerable<DocumentChange<T>> Run<T>(Query<T> query, Watch watch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var session = query.Transport?.Realtime ?? throw new NotSupportedException("This query does not belong to a BaasClient.");
        session.Add(watch);
        try
        {
            await foreach (var change in ReadAsync(session, watch, query.Mapper, cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            session.Remove(watch);
        }
    }

    internal static async IAsyncEnumerable<DocumentChange<T>> ReadAsync<T>(RealtimeSession session, Watch watch, DocumentMapper<T> mapper, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = watch.Items.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                watch.Taken(item);
                if (item.Kind == WatchItemKind.Lagged)
                {
                    session.Resume(watch);
                    continue;
                }

                yield return ToChange(item, mapper);
            }
        }
    }

    private static DocumentChange<T> ToChange<T>(in WatchItem item, DocumentMapper<T> mapper)
    {
        var type = item.Kind switch
        {
            WatchItemKind.Added => DocumentChangeType.Added,
            WatchItemKind.Modified => DocumentChangeType.Modified,
            WatchItemKind.Removed => DocumentChangeType.Removed,
            _ => DocumentChangeType.Reset,
        };
        var document = item.Document is JsonObject json ? mapper.FromJson(json) : null;
        return new DocumentChange<T>(type, item.Id, document, item.Sequence);
    }
}
