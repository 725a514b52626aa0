using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.AdminTools;

/// <summary>
/// The CSV rules of import and export (docs/api.md, "CSV"): RFC 4180 records (comma separated, double quotes around
/// a cell that holds a comma, quote or line break, a quote inside doubled); the header row holds field paths (dot
/// paths for nested objects); an empty cell is a missing field; a cell that is a JSON value (number, true, false,
/// null, a "quoted string", an array, an object) is that value; any other cell is a string.
/// </summary>
public static class Csv
{
    /// <summary>The value of one cell, or null when the field is missing (an empty cell).</summary>
    public static bool TryParseCell(string cell, out JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(cell);
        value = null;
        if (cell.Length == 0)
        {
            return false;
        }

        if (LooksLikeJson(cell))
        {
            try
            {
                using var document = JsonDocument.Parse(cell);
                value = JsonSerializer.SerializeToNode(document.RootElement);
                return true;
            }
            catch (JsonException)
            {
                // Not JSON after all: plain text.
            }
        }

        value = JsonValue.Create(cell);
        return true;
    }

    /// <summary>The cell text for a value (before CSV quoting): strings as they are unless they would read back as something else.</summary>
    public static string FormatCell(JsonNode? value)
    {
        if (value is JsonValue text && text.GetValueKind() == JsonValueKind.String)
        {
            // A string that would read back as something else (a number, "true", JSON, nothing) is written as a JSON
            // string. So is one a spreadsheet would run as a formula (CSV injection: an app user stores
            // =HYPERLINK(...) or =cmd|... and the admin opens the export): the cell then starts with a quote, which
            // spreadsheets read as text, and it still imports back as the same string.
            var s = text.GetValue<string>();
            var readsBack = TryParseCell(s, out var back) && back is JsonValue b && b.GetValueKind() == JsonValueKind.String && b.GetValue<string>() == s;
            return readsBack && !StartsLikeAFormula(s) ? s : JsonSerializer.Serialize(s);
        }

        return value is null ? "null" : value.ToJsonString();
    }

    /// <summary>Quotes a cell when RFC 4180 needs it (or when leading or trailing spaces would be trimmed by spreadsheets).</summary>
    public static string Quote(string cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        var needs = cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (cell.Length > 0 && (cell[0] == ' ' || cell[^1] == ' '));
        return needs ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
    }

    /// <summary>Writes one record (cells joined by commas, CRLF at the end).</summary>
    public static void WriteRecord(TextWriter writer, IEnumerable<string> cells)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(cells);
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
            {
                writer.Write(',');
            }

            writer.Write(Quote(cell));
            first = false;
        }

        writer.Write("\r\n");
    }

    /// <summary>Flattens a document into leaf paths: nested objects become dot paths; arrays and empty objects stay whole.</summary>
    public static void Flatten(JsonObject document, Action<string, JsonNode?> leaf, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(leaf);
        foreach (var (name, value) in document)
        {
            var path = prefix + name;
            if (value is JsonObject { Count: > 0 } inner)
            {
                Flatten(inner, leaf, path + ".");
            }
            else
            {
                leaf(path, value);
            }
        }
    }

    /// <summary>
    /// The cell text of a header (a field path): as it is, unless a spreadsheet would run it as a formula (an app user
    /// may name a field <c>=cmd|...</c> as freely as a value), when it is written as a JSON string, as such a value is.
    /// Field names cannot hold a double quote, so a header cell starting with one is never a plain name:
    /// <see cref="ReadHeader"/> reads it back as the JSON string.
    /// </summary>
    public static string FormatHeaderCell(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return StartsLikeAFormula(path) ? JsonSerializer.Serialize(path) : path;
    }

    /// <summary>
    /// The field paths of a header row (a cell written as a JSON string by <see cref="FormatHeaderCell"/> is that
    /// string), checked: non-empty field paths, each once.
    /// </summary>
    /// <exception cref="InvalidInputException"><c>invalid_csv</c> or a field-path code, naming <c>header[i]</c>.</exception>
    public static IReadOnlyList<string> ReadHeader(IReadOnlyList<string> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var header = new string[cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            header[i] = cells[i].StartsWith('"') && TryParseCell(cells[i], out var value) && value is JsonValue text && text.TryGetValue<string>(out var name)
                ? name
                : cells[i];
        }

        ValidateHeader(header);
        return header;
    }

    /// <summary>Checks a header row: non-empty field paths, each once.</summary>
    public static void ValidateHeader(IReadOnlyList<string> header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++)
        {
            var at = $"header[{i}]";
            if (header[i].Length == 0)
            {
                throw new InvalidInputException("invalid_csv", $"Column {i + 1} of the header row has no name.", at);
            }

            FieldPaths.Validate(header[i], at);
            if (!seen.Add(header[i]))
            {
                throw new InvalidInputException("invalid_csv", $"The header names '{header[i]}' twice.", at);
            }
        }
    }

    /// <summary>Builds a document from one record under <paramref name="header"/>; throws <see cref="InvalidInputException"/> for a bad row.</summary>
    public static JsonObject ToDocument(IReadOnlyList<string> header, IReadOnlyList<string> cells)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Count != header.Count)
        {
            throw new InvalidInputException("invalid_row", $"The row has {cells.Count} cells; the header has {header.Count}.");
        }

        var document = new JsonObject();
        for (var i = 0; i < header.Count; i++)
        {
            if (!TryParseCell(cells[i], out var value))
            {
                continue;
            }

            var segments = header[i].Split('.');
            var target = document;
            for (var s = 0; s < segments.Length - 1; s++)
            {
                target = target[segments[s]] switch
                {
                    null when !target.ContainsKey(segments[s]) => (JsonObject)(target[segments[s]] = new JsonObject()),
                    JsonObject existing => existing,
                    _ => throw new InvalidInputException("invalid_row", $"Column '{header[i]}' needs '{string.Join('.', segments[..(s + 1)])}' to be an object, but another column set it to a value."),
                };
            }

            if (target.ContainsKey(segments[^1]))
            {
                throw new InvalidInputException("invalid_row", $"Column '{header[i]}' sets a field another column already set.");
            }

            target[segments[^1]] = value;
        }

        return document;
    }

    // The characters OWASP lists as starting a formula in Excel, LibreOffice and Google Sheets.
    private static bool StartsLikeAFormula(string text) => text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r';

    private static bool LooksLikeJson(string text)
    {
        var t = text.AsSpan().Trim();
        if (t.Length == 0)
        {
            return false;
        }

        var c = t[0];
        return c is '{' or '[' or '"' or '-' or (>= '0' and <= '9') || t is "true" or "false" or "null";
    }
}

/// <summary>Reads RFC 4180 records from a text stream one at a time, holding at most one record in memory.</summary>
public sealed class CsvRecordReader(TextReader reader, int maxRecordChars)
{
    private readonly char[] _buffer = new char[8192];
    private int _position;
    private int _length;

    /// <summary>The next record's cells, or null at the end.</summary>
    /// <exception cref="InvalidInputException"><c>line_too_long</c>, or <c>invalid_csv</c> for a quote left open at the end.</exception>
    public async Task<List<string>?> ReadAsync(CancellationToken cancellationToken = default)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        var afterQuote = false;
        var total = 0;
        var any = false;
        while (true)
        {
            if (_position == _length)
            {
                _length = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
                _position = 0;
                if (_length == 0)
                {
                    if (quoted)
                    {
                        throw new InvalidInputException("invalid_csv", "A quoted cell is not closed before the end of the upload.");
                    }

                    if (!any)
                    {
                        return null;
                    }

                    cells.Add(cell.ToString());
                    return cells;
                }
            }

            var c = _buffer[_position++];
            any = true;
            if (++total > maxRecordChars)
            {
                throw new InvalidInputException("line_too_long", $"A CSV record is longer than {maxRecordChars} characters (Baas:AdminTools:ImportMaxLineBytes).");
            }

            if (quoted)
            {
                if (c == '"')
                {
                    quoted = false;
                    afterQuote = true;
                }
                else
                {
                    cell.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when afterQuote:
                    // A doubled quote inside a quoted cell.
                    cell.Append('"');
                    quoted = true;
                    afterQuote = false;
                    break;
                case '"' when cell.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    cells.Add(cell.ToString());
                    cell.Clear();
                    afterQuote = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    cells.Add(cell.ToString());
                    return cells;
                default:
                    cell.Append(c);
                    afterQuote = false;
                    break;
            }
        }
    }
}
