using System.Text.Json.Nodes;
using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>Realtime: the answering node's connections and subscriptions, and a live watch of one collection.</summary>
public class RealtimeService(BaasClient client)
{
    public virtual Task<RealtimeStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) =>
        client.Admin.Realtime.GetStatisticsAsync(cancellationToken);

    public virtual async Task<IReadOnlyList<string>> ListCollectionsAsync(CancellationToken cancellationToken = default) =>
        [.. (await client.Admin.Collections.ListAsync(cancellationToken)).Select(c => c.Name).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Watches the documents of <paramref name="collection"/> matching <paramref name="filter"/> (null: all); returns once the
    /// server acknowledged the subscription, so every later change arrives. Dispose the watch to end it.
    /// </summary>
    /// <exception cref="BaasException">The server refused the watch (<c>collection_not_found</c>, <c>invalid_filter</c>, ...).</exception>
    public virtual Task<DocumentWatch<JsonObject>> WatchAsync(string collection, JsonObject? filter, CancellationToken cancellationToken = default)
    {
        Query<JsonObject> query = client.Collection<JsonObject>(collection);
        if (filter is { Count: > 0 })
        {
            query = query.Where(filter);
        }

        return query.SubscribeAsync(cancellationToken: cancellationToken);
    }
}
