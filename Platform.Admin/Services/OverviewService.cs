using System.Reflection;
using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>
/// One collection on the overview: its name and how many documents it holds, or, when the server refused to count it
/// (e.g. <c>query_timeout</c> on a huge collection), why.
/// </summary>
public sealed record CollectionSummary(string Name, long? Documents, BaasException? Refused = null);

/// <summary>What the overview shows, read from the public API only.</summary>
/// <param name="Health">The server's readiness (<c>/health/ready</c>).</param>
/// <param name="Collections">Every collection with its document count.</param>
/// <param name="Users">App users counted, up to <see cref="OverviewService.UserCountLimit"/>.</param>
/// <param name="MoreUsers">Whether there are more users than were counted.</param>
/// <param name="DashboardVersion">The version of this dashboard build (shipped with the server).</param>
/// <param name="Server">The server's version and storage provider (<c>/api/admin/overview</c>).</param>
/// <param name="Realtime">The realtime clients of the node that answered.</param>
public sealed record OverviewData(
    BaasHealth Health, IReadOnlyList<CollectionSummary> Collections, int Users, bool MoreUsers, string DashboardVersion, ServerOverview Server, RealtimeStatistics Realtime);

/// <summary>Reads the overview: health, server version and storage, realtime clients, collections with document counts, the number of app users.</summary>
public class OverviewService(BaasClient client, CollectionCounter counter)
{
    /// <summary>Users are counted by paging the admin users API; past this many the overview says "more than".</summary>
    public const int UserCountLimit = 1000;

    public virtual async Task<OverviewData> GetAsync(CancellationToken cancellationToken = default)
    {
        var health = await client.GetHealthAsync(cancellationToken);
        var server = await client.Admin.Settings.GetServerOverviewAsync(cancellationToken);
        var realtime = await client.Admin.Realtime.GetStatisticsAsync(cancellationToken);
        var collections = await client.Admin.Collections.ListAsync(cancellationToken);
        string[] names = [.. collections.Select(c => c.Name).Order(StringComparer.Ordinal)];
        var counts = new Dictionary<string, CollectionCount>(StringComparer.Ordinal);
        await counter.CountEachAsync(names, (name, count) =>
        {
            counts[name] = count;
            return Task.CompletedTask;
        }, cancellationToken);

        // A refused count is shown in its own row (and the total says it is a lower bound): one huge collection must not
        // take the whole overview, the dashboard's landing page, down with it.
        List<CollectionSummary> summaries = [.. names.Select(name => new CollectionSummary(name, counts[name].Documents, counts[name].Refused))];

        var users = 0;
        var more = false;
        string? cursor = null;
        do
        {
            var page = await client.Admin.Users.ListAsync(limit: UserCountLimit, cursor: cursor, cancellationToken: cancellationToken);
            users += page.Items.Count;
            cursor = page.NextCursor;
            if (users >= UserCountLimit && cursor is not null)
            {
                more = true;
                break;
            }
        }
        while (cursor is not null);

        return new OverviewData(health, summaries, users, more, Version, server, realtime);
    }

    private static string Version { get; } =
        typeof(OverviewService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(OverviewService).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
