using System.Globalization;

namespace Platform.Server.Common;

/// <summary>The one timestamp format of the API and the store: ISO-8601 UTC with milliseconds.</summary>
public static class Timestamps
{
    public const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);
}
