using Microsoft.Extensions.Options;

namespace Platform.Server.Memory;

/// <summary>
/// Gives memory back after a burst (issue 13, item 5): nothing else in the process returns what the GC's budgets and
/// glibc's arenas kept from the last load. Looks at the request counts every tenth of <c>Baas:Memory:IdleDelay</c>
/// and trims once per idle period (<see cref="IdleTrimSchedule"/>); with <c>Baas:Memory:TrimWhenIdle</c> off it
/// returns at once.
/// </summary>
internal sealed partial class IdleMemoryTrimmer(
    RequestActivity activity,
    IMemoryTrimmer trimmer,
    IOptions<MemoryOptions> options,
    TimeProvider time,
    ILogger<IdleMemoryTrimmer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.TrimWhenIdle)
        {
            return;
        }

        var schedule = new IdleTrimSchedule(settings.IdleDelay, time);
        using var timer = new PeriodicTimer(IdleTrimSchedule.PollInterval(settings.IdleDelay), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!schedule.ShouldTrim(activity.Read(), trimmer.AllocatedBytes))
            {
                continue;
            }

            if (!logger.IsEnabled(LogLevel.Debug))
            {
                _ = trimmer.Trim();
                continue;
            }

            // Read only for the log: on Linux the working set comes from System.Diagnostics.Process, not otherwise loaded.
            var before = Environment.WorkingSet;
            var started = time.GetTimestamp();
            var native = trimmer.Trim();
            var elapsed = time.GetElapsedTime(started);
            var after = Environment.WorkingSet;
            Log.Trimmed(logger, before / 1048576.0, after / 1048576.0, native, elapsed.TotalMilliseconds);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1040, EventName = "MemoryTrimmed", Level = LogLevel.Debug, Message = "Idle: memory trimmed, resident {BeforeMiB:F1} MiB before, {AfterMiB:F1} MiB after (native heaps trimmed: {NativeHeapTrimmed}) in {Milliseconds:F1} ms")]
        public static partial void Trimmed(ILogger logger, double beforeMiB, double afterMiB, bool nativeHeapTrimmed, double milliseconds);
    }
}
