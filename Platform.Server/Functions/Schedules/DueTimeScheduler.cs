using Hangfire;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;
using Hangfire.Storage;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// Enqueues the runs of recurring jobs at their due time instead of at the next poll (issue 9 item 10). Hangfire's own
/// recurring-job scheduler looks for due jobs every <see cref="ScheduleOptions.PollInterval"/>, so a run was enqueued
/// up to one interval late and then waited up to another for a worker's next look at the queue. This background process
/// (one more in this node's Hangfire server) runs the same Hangfire scheduler, which enqueues what is due under the
/// storage's <c>recurring-jobs:lock</c> and moves each job's next execution on (so a due time is still enqueued once
/// across processes and nodes, and a due time missed while no node was up still runs once: Hangfire's misfire
/// handling), but calls it when the earliest next execution in the storage is reached, read after each pass. Between
/// due times it sleeps: no polling while idle beyond Hangfire's own. It also wakes when a schedule changes on this node
/// (<see cref="ScheduleWakeUp"/>) and at least every <see cref="MaxSleep"/>; a schedule saved on another node is
/// found by that node's scheduler or by Hangfire's poll. A job whose next execution has passed but that a pass did not
/// move on (its lock held elsewhere, a job Hangfire cannot load) is looked at again after
/// <see cref="ScheduleOptions.PollInterval"/>, never in a tight loop. What is left is the worker's poll of the queue:
/// a run starts at most about one <see cref="ScheduleOptions.PollInterval"/> after its due time.
/// </summary>
public sealed class DueTimeScheduler : IBackgroundProcess
{
    /// <summary>Hangfire's set of recurring job ids, scored by each job's next execution (Unix seconds).</summary>
    public const string RecurringJobsSet = "recurring-jobs";

    /// <summary>The longest sleep between two passes when nothing is due sooner.</summary>
    public static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long after a due time the pass runs: Hangfire compares whole seconds, and a pass a few milliseconds early
    /// would find nothing due and sleep for a poll interval.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(25);

    // The highest score to look for (the year 9999): storages convert scores to 64-bit integers.
    private static readonly double LastScore = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    private readonly RecurringJobScheduler _scheduler;
    private readonly ScheduleWakeUp _wakeUp;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;

    public DueTimeScheduler(IBackgroundJobFactory factory, ITimeZoneResolver timeZones, ScheduleWakeUp wakeUp, TimeSpan pollInterval, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(timeZones);
        ArgumentNullException.ThrowIfNull(wakeUp);
        ArgumentNullException.ThrowIfNull(time);
        _wakeUp = wakeUp;
        _pollInterval = pollInterval;
        _time = time;

        // Hangfire's scheduler, with the smallest positive delay after its pass: the wait is ours.
        _scheduler = new RecurringJobScheduler(factory, TimeSpan.FromTicks(1), timeZones, () => time.GetUtcNow().UtcDateTime);
    }

    public void Execute(BackgroundProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var sleep = Pass(context);
        if (context.IsStopping)
        {
            return;
        }

        try
        {
            _wakeUp.Wait(sleep, context.StoppingToken);
        }
        catch (OperationCanceledException) when (context.IsStopping)
        {
            // Shutting down.
        }
    }

    /// <summary>One pass: enqueues what is due (Hangfire's scheduler) and answers how long to sleep before the next.</summary>
    internal TimeSpan Pass(BackgroundProcessContext context)
    {
        _scheduler.Execute(context);
        var (next, now) = NextExecution(context.Storage);
        return SleepFor(next, now, _pollInterval);
    }

    /// <summary>
    /// How long to sleep after a pass: until just past <paramref name="next"/> (the earliest next execution, UTC), at
    /// most <see cref="MaxSleep"/>; <paramref name="pollInterval"/> when it has already passed (the pass could not move
    /// it on); <see cref="MaxSleep"/> when no job has one.
    /// </summary>
    public static TimeSpan SleepFor(DateTime? next, DateTime now, TimeSpan pollInterval)
    {
        if (next is not { } due)
        {
            return MaxSleep;
        }

        var until = due - now;
        if (until <= TimeSpan.Zero)
        {
            return pollInterval;
        }

        until += Margin;
        return until < MaxSleep ? until : MaxSleep;
    }

    public override string ToString() => nameof(DueTimeScheduler);

    // The job with the lowest score is the one due first; its hash holds the exact time. "Now" is the clock Hangfire's
    // scheduler compares with: the storage's when it has one (so nodes with skewed clocks agree), else this node's.
    private (DateTime? Next, DateTime Now) NextExecution(JobStorage storage)
    {
        using var connection = storage.GetConnection();
        var now = storage.HasFeature(JobStorageFeatures.Connection.GetUtcDateTime) && connection is JobStorageConnection withClock
            ? withClock.GetUtcDateTime()
            : _time.GetUtcNow().UtcDateTime;
        var id = connection.GetFirstByLowestScoreFromSet(RecurringJobsSet, 0, LastScore);
        if (id is null)
        {
            return (null, now);
        }

        var hash = connection.GetAllEntriesFromHash("recurring-job:" + id);
        var next = hash is not null && hash.TryGetValue("NextExecution", out var raw) ? JobHelper.DeserializeNullableDateTime(raw) : null;
        return (next, now);
    }
}
