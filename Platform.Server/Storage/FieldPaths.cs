using Platform.Server.Common;

namespace Platform.Server.Storage;

/// <summary>Dot paths as used by filters, sorts, projections, indexes and updates.</summary>
public static class FieldPaths
{
    /// <summary>Most segments a path may have (documents are at most 32 levels deep).</summary>
    public const int MaxSegments = 32;

    /// <summary>
    /// Longest field name (one path segment), in UTF-8 bytes. MongoDB has no limit of its own and SQLite none either,
    /// but a name is repeated in every document that has it, in every index key path, change event and log line: a
    /// 100 KB name is an abuse vector, not a schema. 1,024 bytes is far beyond any real name.
    /// </summary>
    public const int MaxNameBytes = 1024;

    /// <summary>
    /// What is wrong with a field name beyond the structural rules, or null: longer than <see cref="MaxNameBytes"/>;
    /// control characters (NUL included) have no place in a name and break logs and paths, and <c>"</c> is the quote of
    /// SQLite's JSON paths, which have no escape for it (DESIGN.md section 3 leaves both out of the rules a name may use).
    /// </summary>
    public static string? NameProblem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);

        // A UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4): short names need no count.
        if (name.Length > MaxNameBytes / 3 && System.Text.Encoding.UTF8.GetByteCount(name) is var bytes && bytes > MaxNameBytes)
        {
            return $"is {bytes} bytes long; at most {MaxNameBytes} are allowed";
        }

        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                return $"must not contain control characters (found \\u{(int)c:x4})";
            }

            if (c == '"')
            {
                return "must not contain '\"'";
            }
        }

        return null;
    }

    /// <summary>
    /// A path is one or more non-empty segments joined by dots; no segment starts with <c>$</c> or holds a control
    /// character or a <c>"</c> (see <see cref="NameProblem"/>).
    /// Throws a 400 with <paramref name="code"/> naming <paramref name="field"/> otherwise.
    /// </summary>
    public static void Validate(string? path, string field, string code = "invalid_path")
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new InvalidInputException(code, "A field path must not be empty.", field);
        }

        var segments = path.Split('.');
        if (segments.Length > MaxSegments)
        {
            throw new InvalidInputException(code, $"'{path}' has more than {MaxSegments} segments.", field);
        }

        foreach (var segment in segments)
        {
            if (segment.Length == 0)
            {
                throw new InvalidInputException(code, $"'{path}' has an empty segment.", field);
            }

            if (segment[0] == '$')
            {
                throw new InvalidInputException(code, $"'{path}': path segments must not start with '$'.", field);
            }

            if (NameProblem(segment) is { } problem)
            {
                throw new InvalidInputException(code, $"'{JsonInput.Printable(path)}': a path segment {problem}.", field);
            }
        }
    }
}
