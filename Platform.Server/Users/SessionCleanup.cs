using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Users;

/// <summary>
/// Removes what sessions leave behind: refresh-token records past their expiry (an expired token is refused
/// whether or not its record exists) and ended sessions once every access token they issued has expired (a
/// session the <see cref="SessionGuard"/> cannot find counts as alive, so an ended one must outlive its tokens).
/// Runs hourly on every node; nodes racing to delete the same record is harmless.
/// </summary>
internal sealed class SessionCleanup(
    IDocumentStore store,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<SessionCleanup> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private const int PageSize = 500;

    /// <summary>One pass; returns how many records it removed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var removed = await DeleteWhereAsync(
            SessionService.RefreshTokensCollection,
            new FieldNode("expiresAt", FieldOperator.Lt, ScalarJson.Element(Timestamps.Format(now))),
            cancellationToken);

        var endedBefore = now - options.Value.AccessTokenLifetime - BaasTokenService.ClockSkew - TimeSpan.FromMinutes(1);
        removed += await DeleteWhereAsync(
            SessionService.SessionsCollection,
            new AndNode(
            [
                new FieldNode("revoked", FieldOperator.Eq, ScalarJson.Element(true)),
                new FieldNode("revokedAt", FieldOperator.Lt, ScalarJson.Element(Timestamps.Format(endedBefore))),
            ]),
            cancellationToken);
        return removed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var removed = await RunOnceAsync(stoppingToken);
                UserLog.SessionCleanup(logger, removed);
            }
            catch (StorageUnavailableException ex)
            {
                // The next tick tries again; the records only take space meanwhile.
                UserLog.SessionCleanupFailed(logger, ex);
            }
        }
    }

    /// <summary>The read of a pass: what the delete needs, the id and version, not the whole record.</summary>
    internal static DocumentQuery Query(FilterNode filter) =>
        new(filter, [new SortField(SystemFields.Id)], PageSize, Fields: [SystemFields.Id, SystemFields.Version]);

    private async Task<int> DeleteWhereAsync(string collection, FilterNode filter, CancellationToken cancellationToken)
    {
        var removed = 0;
        while (true)
        {
            var page = await store.QueryAsync(collection, Query(filter), cancellationToken);
            foreach (var document in page)
            {
                if (await TryDeleteAsync(collection, document, cancellationToken))
                {
                    removed++;
                }
            }

            if (page.Count < PageSize)
            {
                return removed;
            }
        }
    }

    private async Task<bool> TryDeleteAsync(string collection, JsonObject document, CancellationToken cancellationToken)
    {
        try
        {
            await store.WriteAsync(
                [new DeleteOperation(collection, SystemDocuments.GetString(document, SystemFields.Id), SystemDocuments.GetVersion(document))],
                cancellationToken);
            return true;
        }
        catch (VersionMismatchException)
        {
            // Deleted by another node, or just changed (then the next pass looks again).
            return false;
        }
    }
}
