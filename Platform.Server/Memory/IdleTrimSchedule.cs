namespace Platform.Server.Memory;

/// <summary>
/// Decides, at each look of <see cref="IdleMemoryTrimmer"/>, whether to trim now: when no request has started or
/// finished for the idle delay, none is in flight, this idle period has not been trimmed yet, and enough was allocated
/// since the last trim for it to matter. Plain code over counts and timestamps, so tests drive it without a clock.
/// </summary>
internal sealed class IdleTrimSchedule(TimeSpan idleDelay, TimeProvider time)
{
    /// <summary>
    /// Below this much allocated since the last trim there is little to give back (the GC's gen0 budget is what an
    /// idle period leaves touched, and only what was allocated touched it), so a node polled by a load balancer's
    /// health check every few seconds does not run a full collection after every probe.
    /// </summary>
    public const long MinAllocatedBytes = 4 * 1024 * 1024;

    private RequestCounts? _seen;
    private long _quietSince;
    private bool _trimmed;
    private long _allocatedAtTrim;

    /// <summary>How often the trimmer looks: a tenth of the delay, so a trim comes at most that late.</summary>
    public static TimeSpan PollInterval(TimeSpan idleDelay) => idleDelay / 10;

    /// <summary>True when the trim should run now; it then counts as done for this idle period.</summary>
    /// <param name="counts">The requests started and finished so far.</param>
    /// <param name="allocatedBytes">The process's managed bytes allocated so far (<see cref="IMemoryTrimmer.AllocatedBytes"/>).</param>
    public bool ShouldTrim(RequestCounts counts, long allocatedBytes)
    {
        var now = time.GetTimestamp();
        if (_seen != counts)
        {
            // Something started or finished since the last look: a new busy stretch, and a new idle period after it.
            _seen = counts;
            _quietSince = now;
            _trimmed = false;
            return false;
        }

        if (_trimmed
            || counts.InFlight > 0
            || time.GetElapsedTime(_quietSince, now) < idleDelay
            || allocatedBytes - _allocatedAtTrim < MinAllocatedBytes)
        {
            return false;
        }

        _trimmed = true;
        _allocatedAtTrim = allocatedBytes;
        return true;
    }
}
