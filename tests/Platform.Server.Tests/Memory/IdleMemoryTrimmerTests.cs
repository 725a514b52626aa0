using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Platform.Server.Memory;

namespace Platform.Server.Tests.Memory;

/// <summary>
/// The hosted service over a fake clock and a fake trim: the clock moves one poll interval at a time and the test waits
/// for the service to have looked before moving it again, so no assertion depends on how fast the machine is.
/// </summary>
public sealed class IdleMemoryTrimmerTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Poll = IdleTrimSchedule.PollInterval(Delay);

    [Fact]
    public async Task Trims_OnceADelayAfterTheLastRequest_NotWhileRequestsCome()
    {
        var clock = new LookCountingClock();
        var activity = new RequestActivity();
        var trimmer = new FakeTrimmer(clock);
        using var service = Service(activity, trimmer, clock, new MemoryOptions { IdleDelay = Delay });
        await service.StartAsync(Ct);
        await clock.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        // Busy for two delays: a request between every two looks; then one long request alone, for a delay and a half.
        for (var step = 0; step < 20; step++)
        {
            activity.Started();
            activity.Finished();
            await StepAsync(clock);
        }

        activity.Started();
        for (var step = 0; step < 15; step++)
        {
            await StepAsync(clock);
        }

        Assert.Empty(trimmer.TrimmedAt);
        activity.Finished();
        var lastActivity = clock.GetUtcNow();

        for (var step = 0; step < 60; step++)
        {
            await StepAsync(clock);
        }

        // One trim for the idle period: the first look after the last request finished starts it, the trim comes a delay later.
        var trimmedAt = Assert.Single(trimmer.TrimmedAt);
        Assert.Equal(Delay + Poll, trimmedAt - lastActivity);
        await service.StopAsync(Ct);
    }

    [Fact]
    public async Task Disabled_NeverLooksNorTrims()
    {
        var clock = new LookCountingClock();
        var trimmer = new FakeTrimmer(clock);
        using var service = Service(new RequestActivity(), trimmer, clock, new MemoryOptions { TrimWhenIdle = false, IdleDelay = Delay });
        await service.StartAsync(Ct);

        // ExecuteAsync runs on the thread pool: it returns at once, without a timer.
        await service.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(service.ExecuteTask.IsCompletedSuccessfully);
        Assert.False(clock.TimerCreated.IsCompleted);
        for (var step = 0; step < 30; step++)
        {
            clock.Advance(Poll);
        }

        Assert.Empty(trimmer.TrimmedAt);
        Assert.Equal(0, clock.Looks);
        await service.StopAsync(Ct);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IdleMemoryTrimmer Service(RequestActivity activity, IMemoryTrimmer trimmer, TimeProvider clock, MemoryOptions options) =>
        new(activity, trimmer, Options.Create(options), clock, NullLogger<IdleMemoryTrimmer>.Instance);

    /// <summary>Moves the clock one poll interval and waits until the service has looked (read the clock) after it.</summary>
    private static async Task StepAsync(LookCountingClock clock)
    {
        var before = clock.Looks;
        clock.Advance(Poll);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (clock.Looks == before)
        {
            await Task.Delay(1, timeout.Token);
        }
    }

    /// <summary>
    /// A fake clock that counts the timestamps taken (the service takes one per look) and tells when the service's timer
    /// exists: the clock must not move before, or the timer would start counting from the moved time.
    /// </summary>
    private sealed class LookCountingClock : FakeTimeProvider
    {
        private readonly TaskCompletionSource _timerCreated = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _looks;
        private long _lastLookAtTicks;

        public int Looks => Volatile.Read(ref _looks);

        /// <summary>The fake time of the latest look: a trim is part of a look, and the next look waits for it.</summary>
        public DateTimeOffset LastLookAt => new(Volatile.Read(ref _lastLookAtTicks), TimeSpan.Zero);

        public Task TimerCreated => _timerCreated.Task;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _timerCreated.TrySetResult();
            return timer;
        }

        public override long GetTimestamp()
        {
            Volatile.Write(ref _lastLookAtTicks, GetUtcNow().UtcTicks);
            Interlocked.Increment(ref _looks);
            return base.GetTimestamp();
        }
    }

    /// <summary>Records the time of the look in which each trim ran (the test may have moved the clock since).</summary>
    private sealed class FakeTrimmer(LookCountingClock clock) : IMemoryTrimmer
    {
        private readonly List<DateTimeOffset> _trimmedAt = [];

        /// <summary>Far more than a trim needs to have been allocated: what this test process allocated does not matter.</summary>
        public long AllocatedBytes => 1L << 40;

        public IReadOnlyList<DateTimeOffset> TrimmedAt
        {
            get
            {
                lock (_trimmedAt)
                {
                    return [.. _trimmedAt];
                }
            }
        }

        public bool Trim()
        {
            lock (_trimmedAt)
            {
                _trimmedAt.Add(clock.LastLookAt);
            }

            return false;
        }
    }
}
