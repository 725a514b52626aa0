using System.Globalization;
using System.Text.Json.Nodes;

namespace Platform.Admin.Components;

/// <summary>How a field differs between two JSON values.</summary>
public enum DiffKind
{
    Same,
    Added,
    Removed,
    Changed,
}

/// <summary>One field (a dotted path to a leaf) of a before/after pair.</summary>
/// <param name="Path">The field, e.g. <c>profile.name</c> or <c>tags[1]</c>; empty for a whole value that is not an object or array.</param>
/// <param name="Before">Its JSON before, or null when absent.</param>
/// <param name="After">Its JSON after, or null when absent.</param>
/// <param name="Kind">Whether and how it changed.</param>
public sealed record DiffLine(string Path, string? Before, string? After, DiffKind Kind);

/// <summary>Compares two JSON values leaf by leaf, for before/after views that highlight what changed.</summary>
public static class JsonDiff
{
    /// <summary>Every leaf of either value, in path order, with how it changed.</summary>
    public static IReadOnlyList<DiffLine> Compare(JsonNode? before, JsonNode? after)
    {
        var left = Flatten(before);
        var right = Flatten(after);
        var lines = new List<DiffLine>();
        foreach (var path in left.Keys.Union(right.Keys).Order(StringComparer.Ordinal))
        {
            var hasBefore = left.TryGetValue(path, out var b);
            var hasAfter = right.TryGetValue(path, out var a);
            var kind = !hasBefore ? DiffKind.Added : !hasAfter ? DiffKind.Removed : string.Equals(a, b, StringComparison.Ordinal) ? DiffKind.Same : DiffKind.Changed;
            lines.Add(new DiffLine(path, b, a, kind));
        }

        return lines;
    }

    /// <summary>The leaves of <paramref name="node"/> by path (nothing for null).</summary>
    public static Dictionary<string, string> Flatten(JsonNode? node)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is not null)
        {
            Walk(node, string.Empty, leaves);
        }

        return leaves;
    }

    private static void Walk(JsonNode? node, string path, Dictionary<string, string> leaves)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (key, value) in obj)
                {
                    Walk(value, path.Length == 0 ? key : path + "." + key, leaves);
                }

                break;
            case JsonArray array when array.Count > 0:
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", leaves);
                }

                break;
            default:
                leaves[path] = node?.ToJsonString() ?? "null";
                break;
        }
    }
}
