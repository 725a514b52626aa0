using System.Globalization;

namespace Platform.Admin.Components;

/// <summary>How the dashboard writes values: one format everywhere, independent of the browser's locale.</summary>
public static class Formats
{
    /// <summary>A UTC instant as <c>2026-01-31 14:05:09 UTC</c>.</summary>
    public static string Time(DateTimeOffset time) =>
        time == default ? "—" : time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
