using System.Globalization;
using System.Text.Json;

namespace Platform.Admin.Components;

/// <summary>How the dashboard writes values: one format everywhere, independent of the browser's locale.</summary>
public static class Formats
{
    /// <summary>A UTC instant as <c>2026-01-31 14:05:09 UTC</c>.</summary>
    public static string Time(DateTimeOffset time) =>
        time == default ? "—" : time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A size as <c>512 B</c>, <c>1.5 KiB</c>, <c>12.3 MiB</c>.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.##", CultureInfo.InvariantCulture) + " GiB",
    };

    /// <summary>
    /// Where typed JSON stops parsing, as <c> (line 2, column 7)</c> (1-based; empty when unknown). The exception's own
    /// message is never shown: the WebAssembly build carries no framework resource strings, so it reads
    /// "ZeroDepthAtEnd, LineNumber: 0 | BytePositionInLine: 33." in the browser.
    /// </summary>
    public static string JsonPosition(JsonException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.LineNumber is { } line
            ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, column {(error.BytePositionInLine ?? 0) + 1})")
            : string.Empty;
    }
}
