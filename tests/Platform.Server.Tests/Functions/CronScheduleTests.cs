using Platform.Server.Common;
using Platform.Server.Functions.Definitions;

namespace Platform.Server.Tests.Functions;

public sealed class CronScheduleTests
{
    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    [Fact]
    public void Next_InBerlin_KeepsLocalTimeAcrossTheSpringChange()
    {
        // 2026-03-29: Berlin moves from UTC+1 to UTC+2 at 02:00 local.
        var schedule = CronSchedule.Parse("30 3 * * *", "Europe/Berlin");
        var next = schedule.Next(Utc(2026, 3, 27, 12, 0), 4);
        Assert.Equal([Utc(2026, 3, 28, 2, 30), Utc(2026, 3, 29, 1, 30), Utc(2026, 3, 30, 1, 30), Utc(2026, 3, 31, 1, 30)], next);
    }

    [Fact]
    public void Next_InBerlin_RunsATimeThatDoesNotExistOnceRightAfterTheGap()
    {
        // 02:30 does not exist on 2026-03-29 in Berlin: it runs at 03:00 local (01:00 UTC), once.
        var next = CronSchedule.Parse("30 2 * * *", "Europe/Berlin").Next(Utc(2026, 3, 28, 12, 0), 3);
        Assert.Equal([Utc(2026, 3, 29, 1, 0), Utc(2026, 3, 30, 0, 30), Utc(2026, 3, 31, 0, 30)], next);
    }

    [Fact]
    public void Next_InNewYork_RunsAnAmbiguousTimeOnceOnTheFallChange()
    {
        // 2026-11-01: New York goes back from UTC-4 to UTC-5 at 02:00 local, so 01:30 happens twice; it runs once.
        var next = CronSchedule.Parse("30 1 * * *", "America/New_York").Next(Utc(2026, 10, 31, 12, 0), 3);
        Assert.Equal([Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 2, 6, 30), Utc(2026, 11, 3, 6, 30)], next);
    }

    [Fact]
    public void Next_InNewYork_KeepsLocalTimeAcrossTheSpringChange()
    {
        // 2026-03-08: New York moves from UTC-5 to UTC-4.
        var next = CronSchedule.Parse("0 9 * * 1-5", "America/New_York").Next(Utc(2026, 3, 5, 0, 0), 3);
        Assert.Equal([Utc(2026, 3, 5, 14, 0), Utc(2026, 3, 6, 14, 0), Utc(2026, 3, 9, 13, 0)], next);
    }

    [Fact]
    public void Parse_SixFields_HasSeconds_AndUtcIsTheDefault()
    {
        var schedule = CronSchedule.Parse("*/15 * * * * *", null);
        Assert.Equal("UTC", schedule.TimeZoneId);
        Assert.Equal([Utc(2026, 1, 1, 0, 0, 15), Utc(2026, 1, 1, 0, 0, 30)], schedule.Next(Utc(2026, 1, 1, 0, 0), 2));
    }

    [Theory]
    [InlineData("* * * *")]
    [InlineData("* * * * * * *")]
    [InlineData("61 * * * *")]
    [InlineData("nonsense here * * *")]
    public void Parse_BadCron_Is400NamingScheduleCron(string cron)
    {
        var error = Assert.Throws<InvalidInputException>(() => CronSchedule.Parse(cron, "UTC"));
        Assert.Equal("invalid_schedule", error.Code);
        Assert.Equal("schedule.cron", error.Field);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("W. Europe Standard Time")]
    [InlineData("+02:00")]
    public void Parse_BadZone_Is400NamingScheduleTimeZone(string zone)
    {
        var error = Assert.Throws<InvalidInputException>(() => CronSchedule.Parse("0 3 * * *", zone));
        Assert.Equal("schedule.timeZone", error.Field);
    }
}
