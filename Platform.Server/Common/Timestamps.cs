namespace Platform.Server.Common;

/// <summary>The one timestamp format of the API and the store: ISO-8601 UTC with milliseconds.</summary>
public static class Timestamps
{
    /// <summary>The format as a .NET custom pattern (for parsing; <see cref="Format"/> writes the same characters).</summary>
    public const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    private const int Length = 24;

    /// <summary>
    /// <paramref name="value"/> in UTC as <see cref="Pattern"/> would format it (milliseconds truncated, the year in four
    /// digits), written digit by digit: every create formats its timestamps, and a run record its start, and the custom
    /// pattern's general formatter (quoted literals, culture lookup) cost about 1 µs of a create's CPU (issue 9, item 10).
    /// </summary>
    public static string Format(DateTimeOffset value) =>
        string.Create(Length, value.UtcDateTime, static (chars, utc) =>
        {
            Digits(chars[..4], utc.Year);
            chars[4] = '-';
            Digits(chars.Slice(5, 2), utc.Month);
            chars[7] = '-';
            Digits(chars.Slice(8, 2), utc.Day);
            chars[10] = 'T';
            Digits(chars.Slice(11, 2), utc.Hour);
            chars[13] = ':';
            Digits(chars.Slice(14, 2), utc.Minute);
            chars[16] = ':';
            Digits(chars.Slice(17, 2), utc.Second);
            chars[19] = '.';
            Digits(chars.Slice(20, 3), utc.Millisecond);
            chars[23] = 'Z';
        });

    // Right-aligned, zero-padded to the span's width; the value always fits (year 1-9999, the others their ranges).
    private static void Digits(Span<char> into, int value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}
