using System.Globalization;
using System.Text;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// A SQLite JSON path into <see cref="Document"/> (the SQL expression of the JSON text it reads: the row's
/// <c>data</c>, or one <c>json_each</c> element), either a constant (emitted as a SQL string literal, so expression
/// indexes can match it) or a SQL expression.
/// </summary>
internal readonly record struct SqliteJsonPath(string Sql, bool IsConstant, string Document = "data")
{
    public static SqliteJsonPath Root { get; } = new("'$'", true);

    /// <summary>
    /// The root of one element of a <c>json_each</c> row (objects and arrays only; any other element reads as
    /// missing). Paths below an element read the element's own JSON text, not <c>data</c> again through the row's
    /// <c>fullkey</c>: that re-resolved the document from its start for every element, so a condition through an
    /// array of n objects cost n² (a 1 MiB document with 80,000 objects in one array took a query its whole 30 s
    /// budget on SQLite; now a few milliseconds).
    /// </summary>
    public static SqliteJsonPath InElement(string alias) =>
        new("'$'", true, "(CASE WHEN " + alias + ".type IN ('object', 'array') THEN " + alias + ".value END)");

    /// <summary>
    /// Appends an object key. Keys are always quoted so <c>-</c>, <c>[</c> or spaces are taken literally. SQLite's
    /// quoted labels end at the next <c>"</c> and have no escape for it, so a key holding one cannot be addressed:
    /// it is refused here too (field names and paths already refuse it), never spliced into a different path. A
    /// backslash in a label is read as the start of an escape (compared with the key as JSON escapes it), so it is
    /// written as <c>\\</c>: <c>c\d</c> unescaped would find nothing, and a unique index on it would hold one value.
    /// </summary>
    public SqliteJsonPath Key(string key) => key.Contains('"', StringComparison.Ordinal)
        ? throw new Common.InvalidInputException("invalid_path", "A field name must not contain '\"'.", Common.JsonInput.Printable(key))
        : Append(".\"" + key.Replace("\\", "\\\\", StringComparison.Ordinal) + "\"");

    public SqliteJsonPath Index(int index) => Append("[" + index.ToString(CultureInfo.InvariantCulture) + "]");

    private SqliteJsonPath Append(string suffix)
    {
        if (IsConstant)
        {
            // Sql is a quoted literal: insert before the closing quote.
            return new SqliteJsonPath(Sql[..^1] + SqliteSql.EscapeLiteralBody(suffix) + "'", true, Document);
        }

        return new SqliteJsonPath(Sql + " || " + SqliteSql.Literal(suffix), false, Document);
    }

    public override string ToString() => Sql;
}

/// <summary>The SQL expressions every part of the provider shares, so filters, sorts and indexes use identical text.</summary>
internal static class SqliteSql
{
    /// <summary>Type ranks in MongoDB's order: missing/null, numbers, strings, objects, arrays, booleans.</summary>
    public const int RankNull = 1;
    public const int RankNumber = 2;
    public const int RankString = 3;
    public const int RankObject = 4;
    public const int RankArray = 5;
    public const int RankBoolean = 6;

    public static string Literal(string value) => "'" + EscapeLiteralBody(value) + "'";

    public static string EscapeLiteralBody(string value) => value.Replace("'", "''", StringComparison.Ordinal);

    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string JsonType(SqliteJsonPath path) => "json_type(" + path.Document + ", " + path.Sql + ")";

    /// <summary>The type rank of the value at <paramref name="path"/>; missing counts as null.</summary>
    public static string Rank(SqliteJsonPath path) =>
        "CASE json_type(" + path.Document + ", " + path.Sql + ") WHEN 'integer' THEN 2 WHEN 'real' THEN 2 WHEN 'text' THEN 3 WHEN 'object' THEN 4 WHEN 'array' THEN 5 WHEN 'true' THEN 6 WHEN 'false' THEN 6 ELSE 1 END";

    /// <summary>
    /// The comparable value at <paramref name="path"/> within its rank: numbers as numbers, strings as text,
    /// objects and arrays as their minified JSON text, booleans as 0/1, null and missing as 0. Never NULL,
    /// so comparisons stay two-valued under NOT and unique indexes treat null as a value.
    /// </summary>
    public static string Value(SqliteJsonPath path) => "IFNULL(json_extract(" + path.Document + ", " + path.Sql + "), 0)";

    /// <summary>Rank and value of a sort or index key. One function so user indexes and queries emit identical expressions.</summary>
    public static (string Rank, string Value) SortKey(string dotPath)
    {
        if (dotPath == SystemFields.Id)
        {
            return ("3", "id");
        }

        var path = SortPath(dotPath);
        return (Rank(path), Value(path));
    }

    /// <summary>
    /// The location a document sorts by, as <see cref="Filters.JsonValueOrder.GetSortValue"/> (and so the cursor)
    /// defines it: through objects by key, and a numeric segment indexes an array. Constant unless the path has a
    /// numeric segment, which then picks index or key by the type found there (still deterministic, so indexable).
    /// </summary>
    public static SqliteJsonPath SortPath(string dotPath)
    {
        var path = SqliteJsonPath.Root;
        foreach (var segment in dotPath.Split('.'))
        {
            if (segment.Length is > 0 and < 10 && segment.All(char.IsAsciiDigit))
            {
                var index = int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture);
                path = new SqliteJsonPath(
                    path.Sql + " || CASE " + JsonType(path) + " WHEN 'array' THEN " + Literal("[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]")
                    + " ELSE " + Literal(".\"" + segment + "\"") + " END",
                    false);
            }
            else
            {
                path = path.Key(segment);
            }
        }

        return path;
    }

    /// <summary>Number of Unicode code points, which is what SQLite's <c>substr</c> and <c>length</c> count for text.</summary>
    public static int CodePointCount(string value)
    {
        var count = 0;
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }

            count++;
        }

        return count;
    }

    /// <summary>
    /// The smallest string greater than every string starting with <paramref name="prefix"/> in code point
    /// order (= SQLite's binary UTF-8 order), or null when there is none.
    /// </summary>
    public static string? PrefixUpperBound(string prefix)
    {
        var codePoints = new List<int>();
        for (var i = 0; i < prefix.Length; i++)
        {
            if (char.IsSurrogatePair(prefix, i))
            {
                codePoints.Add(char.ConvertToUtf32(prefix, i));
                i++;
                continue;
            }

            var cp = (int)prefix[i];
            if (char.IsSurrogate(prefix[i]))
            {
                // A lone surrogate has no UTF-8 form; without a bound the prefix check alone stays exact.
                return null;
            }

            codePoints.Add(cp);
        }

        while (codePoints.Count > 0)
        {
            var last = codePoints[^1] + 1;
            if (last == 0xD800)
            {
                last = 0xE000;
            }

            if (last <= 0x10FFFF)
            {
                codePoints[^1] = last;
                var builder = new StringBuilder();
                foreach (var cp in codePoints)
                {
                    builder.Append(char.ConvertFromUtf32(cp));
                }

                return builder.ToString();
            }

            codePoints.RemoveAt(codePoints.Count - 1);
        }

        return null;
    }
}
