using System.ComponentModel;
using System.Globalization;
using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.Options;
using Platform.Server.Functions.Runs;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// What a function's recurring job runs (Hangfire activates it from DI for each run). It reads the function's current
/// version at run time, runs it through <see cref="IFunctionExecutor"/> with trigger <c>schedule</c> and the due time,
/// and after a failed or timed-out run schedules the next attempt with backoff (<see cref="FunctionOptions.RetryDelay"/>
/// doubling up to <see cref="FunctionOptions.MaxRetryDelay"/>) until the definition's <c>retries</c> are used up: the
/// last attempt is marked a dead letter by the executor. Script failures are recorded runs, never exceptions here, so
/// Hangfire's own retry (below) only covers the host failing (the store unreachable), and runs the same attempt again.
/// </summary>
[AutomaticRetry(Attempts = 3, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
public sealed class ScheduledFunctionJob(
    IFunctionCatalog catalog,
    IFunctionExecutor executor,
    IBackgroundJobClient jobs,
    IOptions<FunctionOptions> options,
    TimeProvider time,
    ILogger<ScheduledFunctionJob> logger)
{
    /// <summary>The recurring job's id of a function.</summary>
    public static string RecurringJobId(string function) => "function:" + function;

    /// <summary>The function a recurring job id names, or null when it is not one of these jobs.</summary>
    public static string? FunctionOf(string recurringJobId) =>
        recurringJobId is not null && recurringJobId.StartsWith("function:", StringComparison.Ordinal) ? recurringJobId["function:".Length..] : null;

    /// <summary>One due time of the schedule: the first attempt.</summary>
    /// <param name="function">The function's name.</param>
    /// <param name="context">Hangfire's context (filled in by Hangfire): holds the due time.</param>
    /// <param name="cancellationToken">Hangfire's shutdown token.</param>
    [DisplayName("Scheduled run of function {0}")]
    public Task RunAsync(string function, PerformContext? context, CancellationToken cancellationToken) =>
        ExecuteAsync(function, DueTime(context), attempt: 1, cancellationToken);

    /// <summary>A later attempt of the run due at <paramref name="dueAt"/>.</summary>
    /// <param name="function">The function's name.</param>
    /// <param name="dueAt">The due time of the first attempt.</param>
    /// <param name="attempt">2 for the first retry.</param>
    /// <param name="cancellationToken">Hangfire's shutdown token.</param>
    [DisplayName("Retry {2} of scheduled function {0}")]
    public Task RetryAsync(string function, DateTimeOffset dueAt, int attempt, CancellationToken cancellationToken) =>
        ExecuteAsync(function, dueAt, attempt, cancellationToken);

    /// <summary>
    /// A later attempt of the run due at <paramref name="dueAt"/> that starts no earlier than <paramref name="notBefore"/>
    /// (the end of its backoff). Job storages keep a scheduled job's time in whole seconds, so Hangfire may start it up to
    /// a second early; the rest of the backoff is waited here (never longer than <paramref name="backoff"/>).
    /// </summary>
    /// <param name="function">The function's name.</param>
    /// <param name="dueAt">The due time of the first attempt.</param>
    /// <param name="attempt">2 for the first retry.</param>
    /// <param name="notBefore">When the backoff after the previous attempt ends.</param>
    /// <param name="backoff">That backoff: the longest this attempt waits here.</param>
    /// <param name="cancellationToken">Hangfire's shutdown token.</param>
    [DisplayName("Retry {2} of scheduled function {0}")]
    public async Task RetryAfterAsync(string function, DateTimeOffset dueAt, int attempt, DateTimeOffset notBefore, TimeSpan backoff, CancellationToken cancellationToken)
    {
        // Timers count whole milliseconds and may wake a fraction of one early: wait again for what is left.
        var giveUpAt = time.GetUtcNow() + backoff;
        var early = notBefore - time.GetUtcNow();
        while (early > TimeSpan.Zero && time.GetUtcNow() < giveUpAt)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(early.TotalMilliseconds)), time, cancellationToken);
            early = notBefore - time.GetUtcNow();
        }

        await ExecuteAsync(function, dueAt, attempt, cancellationToken);
    }

    /// <summary>The delay before attempt <paramref name="attempt"/> + 1: the base delay doubled per attempt, capped.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan first, TimeSpan max)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var ticks = Math.Min(first.Ticks * factor, max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    private async Task ExecuteAsync(string function, DateTimeOffset dueAt, int attempt, CancellationToken cancellationToken)
    {
        // The version current now, not the one the job was registered with; a function disabled, unscheduled or
        // deleted since (its job is being removed) does not run.
        var definition = await catalog.GetAsync(function, cancellationToken);
        if (definition is null || !definition.Enabled || definition.Schedule is null)
        {
            ScheduleLog.Skipped(logger, function, dueAt);
            return;
        }

        var last = attempt > definition.Retries;
        var run = await executor.ExecuteAsync(
            definition,
            new FunctionInvocation
            {
                RunId = FunctionExecutor.NewRunId(),
                Trigger = RunTrigger.Schedule,
                Attempt = attempt,
                LastAttempt = last,
                DueAt = dueAt,
            },
            cancellationToken);
        if (last || run.Status is not (RunStatus.Failed or RunStatus.TimedOut))
        {
            return;
        }

        var delay = Backoff(attempt, options.Value.RetryDelay, options.Value.MaxRetryDelay);
        var notBefore = time.GetUtcNow() + delay;
        jobs.Schedule<ScheduledFunctionJob>(job => job.RetryAfterAsync(function, dueAt, attempt + 1, notBefore, delay, CancellationToken.None), delay);
        var status = run.Status.Name();
        ScheduleLog.RetryScheduled(logger, function, run.Id, attempt, status, attempt + 1, delay);
    }

    // The recurring job scheduler stores the occurrence it fires for as the job parameter "Time" (Unix seconds); a
    // missed occurrence caught up at start-up fires once, at that moment.
    private DateTimeOffset DueTime(PerformContext? context)
    {
        if (context is null)
        {
            return time.GetUtcNow();
        }

        var raw = context.Connection.GetJobParameter(context.BackgroundJob.Id, "Time");
        if (raw is not null && long.TryParse(raw.Trim('"'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        return new DateTimeOffset(DateTime.SpecifyKind(context.BackgroundJob.CreatedAt, DateTimeKind.Utc));
    }
}
