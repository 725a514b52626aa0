using System.Threading.Channels;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Functions.Definitions;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// Keeps Hangfire's recurring jobs equal to the function definitions (<see cref="IFunctionCatalog"/>): an enabled
/// function with a <c>schedule</c> has the recurring job <c>function:{name}</c> with its cron and IANA time zone;
/// every other <c>function:</c> job is removed. At start-up it reconciles everything (so a job whose function was
/// deleted while the server was down goes away, and an unchanged schedule keeps its next execution: a due time missed
/// while no node was up runs once, Hangfire's relaxed misfire handling); then each change made on this node at once
/// (<see cref="IFunctionCatalog.Changed"/>) and everything every <see cref="FunctionOptions.DefinitionCacheTime"/>
/// (changes made on other nodes). Every node runs it; the writes are idempotent.
/// <para>
/// Hangfire itself (<see cref="ScheduleHangfire"/>) is opened only once a scheduled function is wanted: until then
/// there is nothing to register, and a job left in the storage by a function deleted while the server was down cannot
/// run on a node without a Hangfire server (the first reconcile after opening removes it; a run would skip it anyway,
/// <see cref="ScheduledFunctionJob"/> reads the definition at run time). The node's Hangfire server starts after the
/// first reconcile, so it catches up missed runs of the schedules that are wanted, and nothing else.
/// </para>
/// </summary>
public sealed class ScheduleSynchronizer(
    IFunctionCatalog catalog,
    ScheduleHangfire hangfire,
    ScheduleWakeUp wakeUp,
    IOptions<FunctionOptions> options,
    TimeProvider time,
    ILogger<ScheduleSynchronizer> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);
    private readonly Channel<string> _changed = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The recurring job options of a schedule: its zone, and one catch-up run for any number of missed due times.</summary>
    public static RecurringJobOptions JobOptions(CronSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return new RecurringJobOptions { TimeZone = schedule.Zone, MisfireHandling = MisfireHandlingMode.Relaxed };
    }

    /// <summary>Makes the recurring jobs match <paramref name="functions"/> (every function there is); returns how many jobs changed.</summary>
    public int Reconcile(IReadOnlyList<FunctionDefinition> functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        var wanted = functions.Where(IsScheduled).ToDictionary(f => f.Name, StringComparer.Ordinal);
        if (wanted.Count == 0 && !hangfire.IsOpen)
        {
            // Nothing to register, and no server here that could run what the storage may still hold.
            return 0;
        }

        List<RecurringJobDto> existing;
        using (var connection = hangfire.Storage.GetConnection())
        {
            existing = connection.GetRecurringJobs();
        }

        var changes = 0;
        foreach (var job in existing)
        {
            if (ScheduledFunctionJob.FunctionOf(job.Id) is { } name && !wanted.ContainsKey(name))
            {
                hangfire.RecurringJobs.RemoveIfExists(job.Id);
                ScheduleLog.Removed(logger, name);
                changes++;
            }
        }

        var current = existing.ToDictionary(j => j.Id, StringComparer.Ordinal);
        foreach (var definition in wanted.Values)
        {
            CronSchedule schedule;
            try
            {
                schedule = CronSchedule.Parse(definition.Schedule!.Cron, definition.Schedule.TimeZone);
            }
            catch (InvalidInputException ex)
            {
                // Checked when saved; a zone this node's time zone database lacks must not stop the other schedules.
                ScheduleLog.Unschedulable(logger, definition.Name, ex.Message);
                continue;
            }

            if (current.TryGetValue(ScheduledFunctionJob.RecurringJobId(definition.Name), out var job)
                && job.LoadException is null
                && string.Equals(job.Cron, schedule.Cron, StringComparison.Ordinal)
                && string.Equals(job.TimeZoneId ?? TimeZoneInfo.Utc.Id, schedule.Zone.Id, StringComparison.Ordinal))
            {
                continue;
            }

            Register(definition.Name, schedule);
            changes++;
        }

        if (wanted.Count > 0)
        {
            hangfire.EnsureServerStarted();
        }

        return changes;
    }

    /// <summary>Whether <paramref name="definition"/> wants a recurring job (enabled, with a schedule).</summary>
    public static bool IsScheduled(FunctionDefinition definition) =>
        definition is { Enabled: true, Schedule: not null };

    /// <summary>Makes one function's recurring job match its definition (null: the function is gone).</summary>
    public void Apply(string name, FunctionDefinition? definition)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (definition is { Enabled: true, Schedule: { } schedule })
        {
            Register(name, CronSchedule.Parse(schedule.Cron, schedule.TimeZone));
            hangfire.EnsureServerStarted();
        }
        else if (hangfire.IsOpen)
        {
            hangfire.RecurringJobs.RemoveIfExists(ScheduledFunctionJob.RecurringJobId(name));
            ScheduleLog.Removed(logger, name);
        }
        else
        {
            // Hangfire was never opened on this node, so it registered nothing and runs nothing.
            return;
        }

        wakeUp.Signal();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        void OnChanged(string name) => _changed.Writer.TryWrite(name);
        catalog.Changed += OnChanged;
        var interval = options.Value.DefinitionCacheTime > MinimumInterval ? options.Value.DefinitionCacheTime : MinimumInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = interval;
                try
                {
                    Reconcile(await catalog.ListAsync(stoppingToken));
                    await DrainChangesAsync(interval, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Leave the jobs as they are: a failed read says nothing about which functions exist.
                    wait = options.Value.RetryDelay;
                    ScheduleLog.SyncFailed(logger, ex, wait);
                    await Task.Delay(wait, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            catalog.Changed -= OnChanged;
        }
    }

    // Applies local changes as they come until the next full reconcile is due.
    private async Task DrainChangesAsync(TimeSpan interval, CancellationToken stoppingToken)
    {
        using var due = new CancellationTokenSource(interval, time);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, due.Token);
        try
        {
            while (await _changed.Reader.WaitToReadAsync(timer.Token))
            {
                while (_changed.Reader.TryRead(out var name))
                {
                    var definition = await catalog.GetAsync(name, stoppingToken);
                    if (!hangfire.IsOpen && definition is not null && IsScheduled(definition))
                    {
                        // The first schedule on this node: a whole reconcile, which opens Hangfire, clears jobs left by
                        // functions deleted while it was closed, and only then starts the server.
                        Reconcile(await catalog.ListAsync(stoppingToken));
                        wakeUp.Signal();
                    }
                    else
                    {
                        Apply(name, definition);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Time for the next full reconcile.
        }
    }

    private void Register(string name, CronSchedule schedule)
    {
        hangfire.RecurringJobs.AddOrUpdate<ScheduledFunctionJob>(
            ScheduledFunctionJob.RecurringJobId(name),
            job => job.RunAsync(name, null, CancellationToken.None),
            schedule.Cron,
            JobOptions(schedule));
        ScheduleLog.Registered(logger, name, schedule.Cron, schedule.TimeZoneId);

        // This node's DueTimeScheduler may be asleep until a later due time than this schedule's.
        wakeUp.Signal();
    }
}
