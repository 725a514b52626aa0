using System.Text.Json;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Documents;

/// <summary>
/// Parses the <c>fields</c> projection parameter: a comma list (<c>"title,author.name"</c>) or an array
/// of paths. Errors are <c>invalid_fields</c> (<c>invalid_path</c> for a bad path; a path named twice is <c>invalid_fields</c> at
/// its second place). System fields are always returned and need not be listed.
/// </summary>
public static class FieldsParser
{
    public const string InvalidFields = "invalid_fields";

    /// <summary>At most this many paths.</summary>
    public const int MaxFields = 100;

    /// <summary>Parses the comma-list form; null or blank text is no projection (an empty list).</summary>
    public static IReadOnlyList<string> Parse(string? fields, string location = "fields")
    {
        if (string.IsNullOrWhiteSpace(fields))
        {
            return [];
        }

        var paths = fields.Split(',');
        return Build(paths.Select((p, i) => (p, paths.Length == 1 ? location : $"{location}[{i}]")).ToList(), location);
    }

    /// <summary>Parses the body form: a comma-list string or an array of path strings; null or absent is no projection.</summary>
    public static IReadOnlyList<string> Parse(JsonElement fields, string location = "fields")
    {
        switch (fields.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return [];
            case JsonValueKind.String:
                return Parse(fields.GetString(), location);
            case JsonValueKind.Array:
                var paths = new List<(string Path, string Location)>();
                var index = 0;
                foreach (var item in fields.EnumerateArray())
                {
                    var at = $"{location}[{index++}]";
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        throw new InvalidInputException(InvalidFields, "Each field must be a path string such as \"author.name\".", at);
                    }

                    paths.Add((item.GetString()!, at));
                }

                return Build(paths, location);
            default:
                throw new InvalidInputException(InvalidFields, "Fields must be a string such as \"a,b.c\" or an array of paths.", location);
        }
    }

    private static List<string> Build(List<(string Path, string Location)> paths, string location)
    {
        if (paths.Count > MaxFields)
        {
            throw new InvalidInputException(InvalidFields, $"At most {MaxFields} fields may be listed.", location);
        }

        var result = new List<string>(paths.Count);
        foreach (var (raw, at) in paths)
        {
            var path = raw.Trim();
            FieldPaths.Validate(path, at);

            // As a sort, a CSV header or a JSON object may not name a field twice: a repeat is a mistake to report, not to
            // fold away (fields=a,a was answered as fields=a).
            if (result.Contains(path, StringComparer.Ordinal))
            {
                throw new InvalidInputException(InvalidFields, $"The fields name '{path}' twice.", at);
            }

            result.Add(path);
        }

        return result;
    }
}
