using System.Text.Json.Nodes;
using Platform.Sdk;

namespace Platform.Admin.Services;

/// <summary>One collection's count: the number, or why the server refused to count it (e.g. <c>query_timeout</c>).</summary>
public sealed record CollectionCount(long? Documents, BaasException? Refused);

/// <summary>
/// Counts the documents of collections for the overview and the collections list. A count is a scan of the whole
/// collection on the server, so a list is counted a few collections at a time rather than all at once.
/// </summary>
public class CollectionCounter(BaasClient client)
{
    /// <summary>Counts in flight at most while counting a list: enough to fill the list quickly, few enough that a
    /// dozen collections do not start a dozen scans at once.</summary>
    public const int Parallelism = 3;

    /// <summary>Counts every document of one collection.</summary>
    public virtual Task<long> CountAsync(string name, CancellationToken cancellationToken = default) =>
        client.Collection<JsonObject>(name).CountAsync(cancellationToken);

    /// <summary>
    /// Counts each collection, <see cref="Parallelism"/> at a time, in the order given, and reports each result to
    /// <paramref name="counted"/> as it arrives; a count the server refuses is reported with its error, not thrown,
    /// so one huge collection does not hide the others' numbers.
    /// </summary>
    public async Task CountEachAsync(IReadOnlyList<string> names, Func<string, CollectionCount, Task> counted, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(counted);
        var next = -1;

        // The workers run on the caller's context (no Task.Run): a component's callback may then render directly.
        async Task WorkAsync()
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < names.Count)
            {
                var name = names[index];
                CollectionCount result;
                try
                {
                    result = new CollectionCount(await CountAsync(name, cancellationToken), null);
                }
                catch (BaasException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    result = new CollectionCount(null, ex);
                }

                await counted(name, result);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(Parallelism, names.Count)).Select(_ => WorkAsync()));
    }
}
