using System.Text.Json.Nodes;
using Platform.Server.Storage;

namespace Platform.Server.Documents;

/// <summary>
/// Applies a <c>fields</c> projection as MongoDB's inclusion projection does: the result keeps the
/// document's field order, always has the system fields, and for a path through an array keeps, in each
/// element that is an object (or nested array), the selected sub-fields; scalar elements are dropped. A path and one of
/// its prefixes together select the prefix in full.
/// </summary>
public static class Projection
{
    /// <summary>A new document with only <paramref name="fields"/> and the system fields; all of it when the list is empty.</summary>
    public static JsonObject Apply(JsonObject document, IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count == 0)
        {
            return document.DeepClone().AsObject();
        }

        var tree = new Selection();
        foreach (var path in fields)
        {
            tree.Add(path.Split('.'), 0);
        }

        foreach (var system in SystemFields.All)
        {
            tree.Add([system], 0);
        }

        return Project(document, tree);
    }

    private static JsonObject Project(JsonObject source, Selection selection)
    {
        var result = new JsonObject();
        foreach (var (name, value) in source)
        {
            if (!selection.Children.TryGetValue(name, out var child))
            {
                continue;
            }

            if (child.Whole)
            {
                result[name] = value?.DeepClone();
            }
            else if (value is JsonObject obj)
            {
                result[name] = Project(obj, child);
            }
            else if (value is JsonArray array)
            {
                result[name] = ProjectArray(array, child);
            }
        }

        return result;
    }

    private static JsonArray ProjectArray(JsonArray array, Selection selection)
    {
        var result = new JsonArray();
        foreach (var element in array)
        {
            switch (element)
            {
                case JsonObject obj:
                    result.Add(Project(obj, selection));
                    break;
                case JsonArray nested:
                    result.Add(ProjectArray(nested, selection));
                    break;
            }
        }

        return result;
    }

    private sealed class Selection
    {
        public Dictionary<string, Selection> Children { get; } = new(StringComparer.Ordinal);

        public bool Whole { get; private set; }

        public void Add(string[] segments, int index)
        {
            if (Whole)
            {
                return;
            }

            if (index == segments.Length)
            {
                Whole = true;
                Children.Clear();
                return;
            }

            if (!Children.TryGetValue(segments[index], out var child))
            {
                child = new Selection();
                Children[segments[index]] = child;
            }

            child.Add(segments, index + 1);
        }
    }
}
