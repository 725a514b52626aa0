using Cronos;
using Platform.Server.Common;

namespace Platform.Server.Functions.Definitions;

/// <summary>
/// A parsed cron expression in an IANA time zone (DESIGN.md section 9): 5 fields (minute precision) or 6 (with
/// seconds first). Pure: no clock, no I/O. Next occurrences are computed in the zone, so "0 2 * * *" in
/// Europe/Berlin is 02:00 Berlin time in winter and in summer; on a spring-forward day a time that does not
/// exist runs at the first instant after the gap, and on a fall-back day a time that exists twice runs once
/// (Cronos' rules, the same as cron's). Thread-safe.
/// </summary>
public sealed class CronSchedule
{
    /// <summary>How many next due times a definition shows (<c>nextRuns</c>).</summary>
    public const int PreviewCount = 5;

    private readonly CronExpression _expression;

    private CronSchedule(string cron, CronExpression expression, TimeZoneInfo zone, string zoneId)
    {
        Cron = cron;
        _expression = expression;
        Zone = zone;
        TimeZoneId = zoneId;
    }

    /// <summary>The expression as written.</summary>
    public string Cron { get; }

    /// <summary>The IANA zone id as written (default <c>UTC</c>).</summary>
    public string TimeZoneId { get; }

    public TimeZoneInfo Zone { get; }

    /// <summary>Parses a schedule; every problem is a 400 naming <c>schedule.cron</c> or <c>schedule.timeZone</c>.</summary>
    /// <exception cref="InvalidInputException">Code <c>invalid_schedule</c>.</exception>
    public static CronSchedule Parse(string cron, string? timeZone)
    {
        ArgumentNullException.ThrowIfNull(cron);
        var text = cron.Trim();
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            throw new InvalidInputException(
                "invalid_schedule",
                $"A cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); '{cron}' has {fields}.",
                "schedule.cron");
        }

        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new InvalidInputException("invalid_schedule", $"'{cron}' is not a valid cron expression: {ex.Message}", "schedule.cron");
        }

        var zoneId = string.IsNullOrWhiteSpace(timeZone) ? "UTC" : timeZone;
        return new CronSchedule(text, expression, FindZone(zoneId), zoneId);
    }

    /// <summary>Resolves an IANA zone id (<c>Europe/Berlin</c>, <c>UTC</c>); a Windows id or an unknown name is a 400.</summary>
    public static TimeZoneInfo FindZone(string zoneId)
    {
        ArgumentNullException.ThrowIfNull(zoneId);
        if (zoneId is "UTC" or "Etc/UTC")
        {
            return TimeZoneInfo.Utc;
        }

        // Only IANA ids are part of the contract; a Windows id would work on one OS and not another.
        if (TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone) && zone.HasIanaId)
        {
            return zone;
        }

        throw new InvalidInputException("invalid_schedule", $"'{zoneId}' is not an IANA time zone (such as 'UTC', 'Europe/Berlin' or 'America/New_York').", "schedule.timeZone");
    }

    /// <summary>The first due time strictly after <paramref name="after"/>, or null when the expression never fires again.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after) => _expression.GetNextOccurrence(after, Zone, inclusive: false)?.ToUniversalTime();

    /// <summary>The next <paramref name="count"/> due times strictly after <paramref name="after"/>, in UTC.</summary>
    public IReadOnlyList<DateTimeOffset> Next(DateTimeOffset after, int count = PreviewCount)
    {
        var result = new List<DateTimeOffset>(count);
        var cursor = after;
        while (result.Count < count && NextAfter(cursor) is { } next)
        {
            result.Add(next);
            cursor = next;
        }

        return result;
    }
}
