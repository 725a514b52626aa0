using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Audit;

/// <summary>Deletes audit entries older than <see cref="AuditOptions.Retention"/>, every <see cref="AuditOptions.CleanupInterval"/>, on every node.</summary>
internal sealed class AuditCleanup(IDocumentStore store, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditCleanup> logger) : BackgroundService
{
    private const int PageSize = 500;

    /// <summary>The read of a pass: the oldest entries' ids only (MongoDB reads no entry to answer them).</summary>
    internal static DocumentQuery Query(FilterNode filter) =>
        new(filter, [new SortField(AuditLog.AtField), new SortField(SystemFields.Id)], PageSize, Fields: [SystemFields.Id]);

    /// <summary>One pass; returns how many entries it removed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var before = Timestamps.Format(time.GetUtcNow() - options.Value.Retention);
        var filter = new FieldNode(AuditLog.AtField, FieldOperator.Lt, ScalarJson.Element(before));
        var removed = 0;
        while (true)
        {
            var page = await store.QueryAsync(AuditLog.Collection, Query(filter), cancellationToken);
            foreach (var document in page)
            {
                try
                {
                    await store.WriteAsync([new DeleteOperation(AuditLog.Collection, document[SystemFields.Id]!.GetValue<string>())], cancellationToken);
                    removed++;
                }
                catch (VersionMismatchException)
                {
                    // Another node removed it first.
                }
            }

            if (page.Count < PageSize)
            {
                return removed;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval, time);
        do
        {
            try
            {
                var removed = await RunOnceAsync(stoppingToken);
                AuditLogMessages.Cleanup(logger, removed);
            }
            catch (StorageUnavailableException ex)
            {
                AuditLogMessages.CleanupFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
