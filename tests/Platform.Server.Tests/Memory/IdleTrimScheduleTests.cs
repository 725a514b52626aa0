using Microsoft.Extensions.Time.Testing;
using Platform.Server.Memory;

namespace Platform.Server.Tests.Memory;

public sealed class IdleTrimScheduleTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Poll = IdleTrimSchedule.PollInterval(Delay);
    private const long Plenty = 64L * 1024 * 1024;

    [Fact]
    public void ShouldTrim_OnceAfterTheDelay_WhenNoRequestStartsOrFinishes()
    {
        var clock = new FakeTimeProvider();
        var schedule = new IdleTrimSchedule(Delay, clock);
        var counts = new RequestCounts(10, 10);

        var trims = new List<TimeSpan>();
        for (var elapsed = TimeSpan.Zero; elapsed <= 4 * Delay; elapsed += Poll)
        {
            if (schedule.ShouldTrim(counts, Plenty))
            {
                trims.Add(elapsed);
            }

            clock.Advance(Poll);
        }

        // The first look starts the idle period; the trim comes at the first look a full delay after it, and only once.
        Assert.Equal([Delay], trims);
    }

    [Fact]
    public void ShouldTrim_Never_WhileRequestsKeepStarting()
    {
        var clock = new FakeTimeProvider();
        var schedule = new IdleTrimSchedule(Delay, clock);

        for (var look = 0; look < 200; look++)
        {
            // One request started and finished between every two looks: busy, though none is in flight at a look.
            Assert.False(schedule.ShouldTrim(new RequestCounts(look + 1, look + 1), Plenty));
            clock.Advance(Poll);
        }
    }

    [Fact]
    public void ShouldTrim_Never_WhileARequestIsInFlight_ThenADelayAfterItFinishes()
    {
        var clock = new FakeTimeProvider();
        var schedule = new IdleTrimSchedule(Delay, clock);
        var running = new RequestCounts(5, 4);

        for (var look = 0; look < 100; look++)
        {
            Assert.False(schedule.ShouldTrim(running, Plenty));
            clock.Advance(Poll);
        }

        var finished = new RequestCounts(5, 5);
        var finishedAt = clock.GetTimestamp();
        while (!schedule.ShouldTrim(finished, Plenty))
        {
            clock.Advance(Poll);
            Assert.True(clock.GetElapsedTime(finishedAt) <= Delay + Poll, "no trim within the delay after the last request finished");
        }

        Assert.True(clock.GetElapsedTime(finishedAt) >= Delay);
    }

    [Fact]
    public void ShouldTrim_AgainAfterTheNextBusyStretch_OncePerIdlePeriod()
    {
        var clock = new FakeTimeProvider();
        var schedule = new IdleTrimSchedule(Delay, clock);

        Assert.Equal(1, Looks(schedule, clock, new RequestCounts(1, 1), Plenty, 3 * Delay));
        Assert.Equal(0, Looks(schedule, clock, new RequestCounts(1, 1), 2 * Plenty, 3 * Delay));
        Assert.Equal(1, Looks(schedule, clock, new RequestCounts(2, 2), 2 * Plenty, 3 * Delay));
    }

    [Fact]
    public void ShouldTrim_Not_WhenLittleWasAllocatedSinceTheLastTrim()
    {
        var clock = new FakeTimeProvider();
        var schedule = new IdleTrimSchedule(Delay, clock);

        Assert.Equal(1, Looks(schedule, clock, new RequestCounts(1, 1), Plenty, 3 * Delay));

        // A health probe's worth of allocation in the next idle period: nothing to give back.
        Assert.Equal(0, Looks(schedule, clock, new RequestCounts(2, 2), Plenty + 100_000, 3 * Delay));

        // Enough allocated since the last trim: the next idle period trims again.
        Assert.Equal(1, Looks(schedule, clock, new RequestCounts(3, 3), Plenty + IdleTrimSchedule.MinAllocatedBytes, 3 * Delay));
    }

    [Fact]
    public void PollInterval_IsATenthOfTheDelay() =>
        Assert.Equal(TimeSpan.FromMilliseconds(500), IdleTrimSchedule.PollInterval(TimeSpan.FromSeconds(5)));

    /// <summary>Looks every poll interval for <paramref name="span"/> with the same counts; the trims that came.</summary>
    private static int Looks(IdleTrimSchedule schedule, FakeTimeProvider clock, RequestCounts counts, long allocated, TimeSpan span)
    {
        var trims = 0;
        for (var elapsed = TimeSpan.Zero; elapsed <= span; elapsed += Poll)
        {
            trims += schedule.ShouldTrim(counts, allocated) ? 1 : 0;
            clock.Advance(Poll);
        }

        return trims;
    }
}
