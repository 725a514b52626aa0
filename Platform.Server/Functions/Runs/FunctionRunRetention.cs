using Microsoft.Extensions.Options;

namespace Platform.Server.Functions.Runs;

/// <summary>
/// Deletes run records older than <see cref="FunctionOptions.RunRetention"/> (DESIGN.md: 7 days), in pages,
/// every <see cref="SweepInterval"/> on every node (a page another node already deleted is skipped).
/// </summary>
public sealed partial class FunctionRunRetention(
    FunctionRunStore runs,
    IOptions<FunctionOptions> options,
    TimeProvider time,
    ILogger<FunctionRunRetention> logger) : BackgroundService
{
    /// <summary>Runs deleted per store write.</summary>
    public const int PageSize = 500;

    /// <summary>How often a node sweeps.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(10);

    /// <summary>Deletes every run that started more than the retention ago; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = time.GetUtcNow() - options.Value.RunRetention;
        var total = 0;
        while (true)
        {
            var deleted = await runs.DeleteOlderThanAsync(cutoff, PageSize, cancellationToken);
            total += deleted;
            if (deleted < PageSize)
            {
                return total;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var deleted = await SweepAsync(stoppingToken);
                if (deleted > 0)
                {
                    Log.Swept(logger, deleted);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The store may be briefly unreachable; the next sweep tries again.
                Log.SweepFailed(logger, ex);
            }

            try
            {
                await Task.Delay(SweepInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9110, Level = LogLevel.Information, Message = "Deleted {Count} function runs older than the retention.")]
        public static partial void Swept(ILogger logger, int count);

        [LoggerMessage(EventId = 9111, Level = LogLevel.Warning, Message = "Deleting old function runs failed; the next sweep retries.")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
