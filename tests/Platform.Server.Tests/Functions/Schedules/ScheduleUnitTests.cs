using Hangfire;
using Hangfire.InMemory;
using Hangfire.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Platform.Server.Functions.Definitions;
using Platform.Server.Functions.Schedules;
using Platform.Server.Tests.Functions.Triggers;

namespace Platform.Server.Tests.Functions.Schedules;

public sealed class ScheduleUnitTests
{
    [Theory]
    [InlineData(1, 1_000)]
    [InlineData(2, 2_000)]
    [InlineData(3, 4_000)]
    [InlineData(10, 60_000)]
    [InlineData(1_000, 60_000)]
    public void Backoff_DoublesPerAttempt_UpToTheCap(int attempt, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ScheduledFunctionJob.Backoff(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)));

    [Fact]
    public async Task RetryAfter_StartedEarlyByTheJobStorage_WaitsForTheRestOfItsBackoff()
    {
        // Job storages keep a scheduled job's time in whole seconds, so Hangfire may start a retry before its backoff ends.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 10, 0, 0, 950, TimeSpan.Zero));
        var catalog = new FakeFunctionCatalog();
        catalog.Save(Definition("nightly", new Platform.Server.Functions.FunctionSchedule("* * * * *")) with { Retries = 2 });
        var executor = new FakeFunctionExecutor(clock);
        using var storage = new InMemoryStorage();
        var job = new ScheduledFunctionJob(catalog, executor, new BackgroundJobClient(storage), Options.Create(new Platform.Server.Functions.FunctionOptions()), clock, NullLogger<ScheduledFunctionJob>.Instance);
        var dueAt = clock.GetUtcNow().AddSeconds(-1);

        var retry = job.RetryAfterAsync("nightly", dueAt, 2, clock.GetUtcNow().AddMilliseconds(300), TimeSpan.FromMilliseconds(400), TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromMilliseconds(299));
        Assert.False(retry.IsCompleted);
        Assert.Empty(executor.Calls);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        await retry.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var call = Assert.Single(executor.Calls);
        Assert.Equal(2, call.Invocation.Attempt);
        Assert.Equal(dueAt, call.Invocation.DueAt);
        Assert.Equal(clock.GetUtcNow(), call.At);
    }

    [Fact]
    public async Task RetryAfter_StartedOnTime_RunsAtOnce()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));
        var catalog = new FakeFunctionCatalog();
        catalog.Save(Definition("nightly", new Platform.Server.Functions.FunctionSchedule("* * * * *")) with { Retries = 2 });
        var executor = new FakeFunctionExecutor(clock);
        using var storage = new InMemoryStorage();
        var job = new ScheduledFunctionJob(catalog, executor, new BackgroundJobClient(storage), Options.Create(new Platform.Server.Functions.FunctionOptions()), clock, NullLogger<ScheduledFunctionJob>.Instance);

        await job.RetryAfterAsync("nightly", clock.GetUtcNow(), 2, clock.GetUtcNow().AddMilliseconds(-5), TimeSpan.FromMilliseconds(400), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Single(executor.Calls);
    }

    [Fact]
    public void RecurringJobId_NamesTheFunction_AndOtherJobsAreNotOurs()
    {
        Assert.Equal("function:nightly", ScheduledFunctionJob.RecurringJobId("nightly"));
        Assert.Equal("nightly", ScheduledFunctionJob.FunctionOf("function:nightly"));
        Assert.Null(ScheduledFunctionJob.FunctionOf("someone-elses-job"));
    }

    [Fact]
    public void JobOptions_UseTheIanaZone_AndCatchUpOnce()
    {
        var options = ScheduleSynchronizer.JobOptions(CronSchedule.Parse("0 3 * * *", "Europe/Berlin"));
        Assert.Equal("Europe/Berlin", options.TimeZone.Id);
        Assert.Equal(MisfireHandlingMode.Relaxed, options.MisfireHandling);
    }

    [Theory]
    [InlineData("0 3 * * *", "Europe/Berlin")]
    [InlineData("30 2 * * *", "Europe/Berlin")]
    [InlineData("30 1 * * *", "America/New_York")]
    [InlineData("*/20 * * * * *", "UTC")]
    [InlineData("0 0 1 * *", "Asia/Kolkata")]
    public void Hangfire_ComputesTheSameNextRun_AsNextRuns(string cron, string zone)
    {
        // nextRuns (CronSchedule) and the recurring job (Hangfire) must agree, DST rules included.
        using var storage = new InMemoryStorage();
        var schedule = CronSchedule.Parse(cron, zone);
        var manager = new RecurringJobManager(storage);
        var before = DateTimeOffset.UtcNow;
        manager.AddOrUpdate("function:probe", () => Console.WriteLine("probe"), schedule.Cron, ScheduleSynchronizer.JobOptions(schedule));
        using var connection = storage.GetConnection();
        var job = Assert.Single(connection.GetRecurringJobs(["function:probe"]));
        Assert.Equal(zone == "UTC" ? TimeZoneInfo.Utc.Id : zone, job.TimeZoneId);
        var next = new DateTimeOffset(DateTime.SpecifyKind(job.NextExecution!.Value, DateTimeKind.Utc));
        var expected = schedule.NextAfter(before - TimeSpan.FromSeconds(1))!.Value;

        // Hangfire computes from its own "now", a moment after ours: the same occurrence, or the one after.
        Assert.True(next == expected || next == schedule.NextAfter(expected), $"Hangfire: {next:O}; nextRuns: {expected:O}");
    }

    [Fact]
    public void Reconcile_AddsChangesAndRemovesJobs_AndLeavesOtherJobsAlone()
    {
        using var storage = new InMemoryStorage();
        var manager = new RecurringJobManager(storage);
        manager.AddOrUpdate("someone-elses-job", () => Console.WriteLine("x"), "0 0 * * *");
        manager.AddOrUpdate("function:deleted-meanwhile", () => Console.WriteLine("x"), "0 0 * * *");
        var synchronizer = new ScheduleSynchronizer(
            new StaticCatalog(),
            new ScheduleHangfire(() => storage, () => manager, createServer: null),
            new ScheduleWakeUp(),
            Microsoft.Extensions.Options.Options.Create(new Platform.Server.Functions.FunctionOptions()),
            TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ScheduleSynchronizer>.Instance);

        var functions = new List<Platform.Server.Functions.FunctionDefinition>
        {
            Definition("nightly", new("0 3 * * *", "Europe/Berlin")),
            Definition("paused", new("* * * * *")) with { Enabled = false },
            Definition("plain", null),
        };
        Assert.Equal(2, synchronizer.Reconcile(functions));
        Assert.Equal(0, synchronizer.Reconcile(functions));
        Assert.Equal(["function:nightly", "someone-elses-job"], Jobs(storage).Select(j => j.Id).Order(StringComparer.Ordinal));
        Assert.Equal(("0 3 * * *", "Europe/Berlin"), Jobs(storage).Where(j => j.Id == "function:nightly").Select(j => (j.Cron, j.TimeZoneId)).Single());

        functions[0] = Definition("nightly", new("0 4 * * *", "America/New_York"));
        functions[1] = functions[1] with { Enabled = true };
        Assert.Equal(2, synchronizer.Reconcile(functions));
        Assert.Equal(("0 4 * * *", "America/New_York"), Jobs(storage).Where(j => j.Id == "function:nightly").Select(j => (j.Cron, j.TimeZoneId)).Single());
        Assert.Contains(Jobs(storage), j => j.Id == "function:paused");

        synchronizer.Apply("paused", null);
        Assert.DoesNotContain(Jobs(storage), j => j.Id == "function:paused");
    }

    private static List<RecurringJobDto> Jobs(JobStorage storage)
    {
        using var connection = storage.GetConnection();
        return connection.GetRecurringJobs();
    }

    private static Platform.Server.Functions.FunctionDefinition Definition(string name, Platform.Server.Functions.FunctionSchedule? schedule) =>
        new() { Name = name, Code = "export default async function (ctx) {}", Schedule = schedule, Version = 1 };

    private sealed class StaticCatalog : Platform.Server.Functions.IFunctionCatalog
    {
        public event Action<string>? Changed { add { } remove { } }

        public Task<Platform.Server.Functions.FunctionDefinition?> GetAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult<Platform.Server.Functions.FunctionDefinition?>(null);

        public Task<Platform.Server.Functions.FunctionDefinition?> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default) => Task.FromResult<Platform.Server.Functions.FunctionDefinition?>(null);

        public Task<IReadOnlyList<Platform.Server.Functions.FunctionDefinition>> ListAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<Platform.Server.Functions.FunctionDefinition>>([]);
    }
}
