using Hangfire;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.InMemory;
using Hangfire.Server;
using Hangfire.Storage;
using Platform.Server.Functions.Schedules;

namespace Platform.Server.Tests.Functions.Schedules;

/// <summary>
/// <see cref="DueTimeScheduler"/>: a pass enqueues what is due and sleeps until the next due time (not a poll
/// interval), on Hangfire's in-memory storage; nothing here waits for a due time.
/// </summary>
public sealed class DueTimeSchedulerTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly DateTime Now = new(2026, 12, 6, 12, 0, 0, 500, DateTimeKind.Utc);

    [Fact]
    public void SleepFor_NothingScheduled_SleepsTheLongest() =>
        Assert.Equal(DueTimeScheduler.MaxSleep, DueTimeScheduler.SleepFor(null, Now, Poll));

    [Fact]
    public void SleepFor_ADueTimeAhead_SleepsUntilJustAfterIt() =>
        Assert.Equal(TimeSpan.FromMilliseconds(9_500) + DueTimeScheduler.Margin, DueTimeScheduler.SleepFor(Now.AddMilliseconds(9_500), Now, Poll));

    [Fact]
    public void SleepFor_ADueTimeFarAhead_WakesAtLeastEveryMaxSleep() =>
        Assert.Equal(DueTimeScheduler.MaxSleep, DueTimeScheduler.SleepFor(Now.AddHours(3), Now, Poll));

    [Theory]
    [InlineData(0)]
    [InlineData(-1_500)]
    public void SleepFor_ADueTimeThePassDidNotMoveOn_FallsBackToThePollInterval_NeverATightLoop(int offsetMs) =>
        Assert.Equal(Poll, DueTimeScheduler.SleepFor(Now.AddMilliseconds(offsetMs), Now, Poll));

    [Fact]
    public void Pass_SleepsUntilJustAfterTheEarliestNextExecution_NotAPollInterval()
    {
        // Hangfire's scheduler compares due times with the storage's clock (the in-memory storage has one): real time.
        using var storage = new InMemoryStorage();
        var manager = new RecurringJobManager(storage);
        manager.AddOrUpdate("function:hourly", () => Console.WriteLine("hourly"), "0 * * * *");
        manager.AddOrUpdate("function:every-minute", () => Console.WriteLine("minute"), "* * * * *");
        using var wakeUp = new ScheduleWakeUp();
        var poll = TimeSpan.FromMinutes(5);
        var scheduler = new DueTimeScheduler(new BackgroundJobFactory(JobFilterProviders.Providers), new DefaultTimeZoneResolver(), wakeUp, poll, TimeProvider.System);
        using var stopping = new CancellationTokenSource();
        var context = new BackgroundProcessContext("test-server", storage, new Dictionary<string, object>(), Guid.NewGuid(), stopping.Token, stopping.Token, stopping.Token);

        var before = DateTime.UtcNow;
        var sleep = scheduler.Pass(context);
        var after = DateTime.UtcNow;

        // The every-minute job is the earliest; the sleep ends just after its next execution (within the pass's own time).
        var next = NextExecution(storage, "function:every-minute");
        Assert.True(next > after - TimeSpan.FromSeconds(1), $"next execution {next:O} was not moved past the pass at {after:O}");
        Assert.InRange(sleep - DueTimeScheduler.Margin, next - after, next - before);
        Assert.True(sleep <= TimeSpan.FromMinutes(1) + DueTimeScheduler.Margin, $"slept {sleep}, more than a minute");
        Assert.NotEqual(poll, sleep);
    }

    [Fact]
    public async Task Execute_WakesWhenSignalled_RatherThanSleepingUntilTheDueTime()
    {
        using var storage = new InMemoryStorage();
        var manager = new RecurringJobManager(storage);
        manager.AddOrUpdate("function:probe", () => Console.WriteLine("probe"), "0 0 1 1 *");
        using var wakeUp = new ScheduleWakeUp();
        var scheduler = new DueTimeScheduler(new BackgroundJobFactory(JobFilterProviders.Providers), new DefaultTimeZoneResolver(), wakeUp, TimeSpan.FromMinutes(10), TimeProvider.System);
        using var stopping = new CancellationTokenSource();
        var context = new BackgroundProcessContext("test-server", storage, new Dictionary<string, object>(), Guid.NewGuid(), stopping.Token, stopping.Token, stopping.Token);

        // Due next New Year: without the signal this call would sleep at least MaxSleep (a minute).
        wakeUp.Signal();
        var execute = Task.Run(() => scheduler.Execute(context), TestContext.Current.CancellationToken);
        await execute.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    private static DateTime NextExecution(JobStorage storage, string id)
    {
        using var connection = storage.GetConnection();
        return JobHelper.DeserializeNullableDateTime(connection.GetAllEntriesFromHash("recurring-job:" + id)!["NextExecution"])!.Value;
    }
}
