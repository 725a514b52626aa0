using Platform.Server.Auth;
using Platform.Server.Storage;

namespace Platform.Server.Realtime;

/// <summary>
/// Removes the records of expired realtime tickets, spent or not, every <see cref="Interval"/> on every node (nodes
/// racing to delete a record is harmless). A ticket is refused once expired whether or not its record is still there,
/// so this only bounds the collection: about the tickets of one interval plus their lifetime.
/// </summary>
internal sealed class RealtimeTicketCleanup(RealtimeTickets tickets, TimeProvider time, ILogger<RealtimeTicketCleanup> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private const int PageSize = 500;

    /// <summary>One pass; returns how many records it removed.</summary>
    public Task<int> RunOnceAsync(CancellationToken cancellationToken = default) => tickets.RemoveExpiredAsync(PageSize, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var removed = await RunOnceAsync(stoppingToken);
                AuthLog.RealtimeTicketCleanup(logger, removed);
            }
            catch (StorageUnavailableException ex)
            {
                AuthLog.RealtimeTicketCleanupFailed(logger, ex);
            }
        }
    }
}
