using System.Text.Json;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Documents;

/// <summary>
/// Parses the <c>sort</c> parameter: a comma list (<c>"-_createdAt,name"</c>) or an array of keys
/// (<c>["-_createdAt", "name"]</c>); <c>-</c> means descending. Errors are <c>invalid_sort</c>.
/// </summary>
public static class SortParser
{
    public const string InvalidSort = "invalid_sort";

    /// <summary>Default most keys (before the service appends <c>_id</c>); <c>QueryOptions.MaxSortFields</c> configures it.</summary>
    public const int DefaultMaxKeys = 8;

    /// <summary>Parses the comma-list form; null or blank text is no sort. Bad paths are <c>invalid_path</c>.</summary>
    public static IReadOnlyList<SortField> Parse(string? sort, string location = "sort", int maxKeys = DefaultMaxKeys)
    {
        if (string.IsNullOrWhiteSpace(sort))
        {
            return [];
        }

        var keys = sort.Split(',');
        return Build(keys.Select((key, i) => (key, keys.Length == 1 ? location : $"{location}[{i}]")).ToList(), location, maxKeys);
    }

    /// <summary>Parses the body form: a comma-list string or an array of key strings; null or absent is no sort.</summary>
    public static IReadOnlyList<SortField> Parse(JsonElement sort, string location = "sort", int maxKeys = DefaultMaxKeys)
    {
        switch (sort.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return [];
            case JsonValueKind.String:
                return Parse(sort.GetString(), location, maxKeys);
            case JsonValueKind.Array:
                var keys = new List<(string Key, string Location)>();
                var index = 0;
                foreach (var item in sort.EnumerateArray())
                {
                    var at = $"{location}[{index++}]";
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        throw new InvalidInputException(InvalidSort, "Each sort key must be a string such as \"-name\".", at);
                    }

                    keys.Add((item.GetString()!, at));
                }

                return Build(keys, location, maxKeys);
            default:
                throw new InvalidInputException(InvalidSort, "The sort must be a string such as \"-a,b\" or an array of keys.", location);
        }
    }

    private static List<SortField> Build(List<(string Key, string Location)> keys, string location, int maxKeys)
    {
        if (keys.Count > maxKeys)
        {
            throw new InvalidInputException(InvalidSort, $"At most {maxKeys} sort keys are allowed.", location);
        }

        var fields = new List<SortField>(keys.Count);
        foreach (var (raw, at) in keys)
        {
            var key = raw.Trim();
            var descending = key.StartsWith('-');
            var path = descending ? key[1..] : key;
            FieldPaths.Validate(path, at);

            if (fields.Exists(f => f.Path == path))
            {
                throw new InvalidInputException(InvalidSort, $"The sort names '{path}' twice.", at);
            }

            fields.Add(new SortField(path, descending));
        }

        return fields;
    }
}
