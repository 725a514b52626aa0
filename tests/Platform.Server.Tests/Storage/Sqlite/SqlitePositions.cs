using System.Globalization;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>The sequence number of a SQLite feed position (<c>&lt;epoch&gt;-&lt;seq&gt;</c>, or a bare number).</summary>
internal static class SqlitePositions
{
    public static long Sequence(string position) =>
        long.Parse(position.AsSpan(position.LastIndexOf('-') + 1), NumberStyles.None, CultureInfo.InvariantCulture);
}
