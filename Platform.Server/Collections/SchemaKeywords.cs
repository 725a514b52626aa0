using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Server.Common;

namespace Platform.Server.Collections;

/// <summary>
/// Checks, when a schema is saved, the keywords NJsonSchema compiles without complaint but cannot apply: a <c>pattern</c> or
/// <c>patternProperties</c> key that is not a regular expression, a <c>type</c> that names no JSON type, and a <c>$ref</c>
/// that leads back to the schema it is in without descending into a value (<c>{"$ref": "#"}</c>, an <c>allOf</c> member
/// referring to itself). Each of those was saved, and then every write of the collection was refused with a 422 that
/// blamed the document. Each is a 400 <c>invalid_schema</c> naming the keyword's place. Only saves are checked: a stored
/// schema still loads as it did.
/// </summary>
/// <remarks>
/// The walk follows the schema's structure, so a property that happens to be named <c>pattern</c> or <c>type</c> is
/// a name, not a keyword. A recursive schema that descends (<c>{"properties": {"children": {"items": {"$ref": "#"}}}}</c>)
/// is a tree of any depth and stays allowed.
/// </remarks>
public static class SchemaKeywords
{
    private static readonly HashSet<string> JsonTypes = ["null", "boolean", "object", "array", "number", "integer", "string"];

    // Keywords whose value is one schema applied to a value below this one (an item, a property, a name).
    private static readonly string[] ChildSchemas = ["additionalItems", "additionalProperties", "contains", "propertyNames"];

    // Keywords whose value is one schema applied to this same value.
    private static readonly string[] SameValueSchemas = ["not", "if", "then", "else"];

    // Keywords whose value is an array of schemas applied to this same value.
    private static readonly string[] SameValueSchemaLists = ["allOf", "anyOf", "oneOf"];

    // Keywords whose value maps names to schemas applied below this value (or, for the definitions, nowhere by themselves).
    private static readonly string[] SchemaMaps = ["properties", "definitions", "$defs"];

    /// <summary>
    /// Throws a 400 <c>invalid_schema</c> naming the first keyword of <paramref name="schema"/> that cannot be applied, or
    /// the first <c>$ref</c> beyond <paramref name="maxRefs"/> (<see cref="CollectionOptions.MaxSchemaRefs"/>).
    /// </summary>
    public static void Check(JsonObject schema, int maxRefs)
    {
        ArgumentNullException.ThrowIfNull(schema);
        CheckReferenceCount(schema, maxRefs);
        var schemas = new Dictionary<JsonObject, SchemaPlace>(ReferenceEqualityComparer.Instance);
        Walk(schema, "schema", schemas);
        CheckReferenceCycles(schema, schemas);
    }

    private sealed class SchemaPlace(string path)
    {
        public string Path { get; } = path;

        /// <summary>The schemas applied to the same value as this one, each with the <c>$ref</c> place when it is a reference.</summary>
        public List<(JsonObject Target, string? RefPath)> SameValue { get; } = [];
    }

    private static void Walk(JsonNode? node, string path, Dictionary<JsonObject, SchemaPlace> schemas)
    {
        // true and false are schemas too; anything else where a schema belongs is NJsonSchema's to refuse.
        if (node is not JsonObject schema || schemas.ContainsKey(schema))
        {
            return;
        }

        var place = new SchemaPlace(path);
        schemas.Add(schema, place);
        foreach (var (key, value) in schema)
        {
            switch (key)
            {
                case "type":
                    CheckType(value, $"{path}.type");
                    break;
                case "pattern":
                    CheckPattern(value, $"{path}.pattern");
                    break;
                case "patternProperties" when value is JsonObject patterns:
                    foreach (var (pattern, child) in patterns)
                    {
                        CheckPattern(JsonValue.Create(pattern), $"{path}.patternProperties.{pattern}");
                        Walk(child, $"{path}.patternProperties.{pattern}", schemas);
                    }

                    break;
                case "items" when value is JsonArray tuple:
                    for (var i = 0; i < tuple.Count; i++)
                    {
                        Walk(tuple[i], $"{path}.items[{i}]", schemas);
                    }

                    break;
                case "items":
                    Walk(value, $"{path}.items", schemas);
                    break;
                case "dependencies" when value is JsonObject dependencies:
                    foreach (var (name, dependency) in dependencies)
                    {
                        // A schema dependency applies to this same value; an array of names is no schema.
                        Walk(dependency, $"{path}.dependencies.{name}", schemas);
                        if (dependency is JsonObject dependent)
                        {
                            place.SameValue.Add((dependent, null));
                        }
                    }

                    break;
                default:
                    if (ChildSchemas.Contains(key))
                    {
                        Walk(value, $"{path}.{key}", schemas);
                    }
                    else if (SameValueSchemas.Contains(key))
                    {
                        Walk(value, $"{path}.{key}", schemas);
                        if (value is JsonObject same)
                        {
                            place.SameValue.Add((same, null));
                        }
                    }
                    else if (SameValueSchemaLists.Contains(key) && value is JsonArray members)
                    {
                        for (var i = 0; i < members.Count; i++)
                        {
                            Walk(members[i], $"{path}.{key}[{i}]", schemas);
                            if (members[i] is JsonObject member)
                            {
                                place.SameValue.Add((member, null));
                            }
                        }
                    }
                    else if (SchemaMaps.Contains(key) && value is JsonObject map)
                    {
                        foreach (var (name, child) in map)
                        {
                            Walk(child, $"{path}.{key}.{name}", schemas);
                        }
                    }

                    break;
            }
        }
    }

    private static void CheckType(JsonNode? value, string path)
    {
        var names = value switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
            JsonArray array when array.Count > 0 && array.All(item => item?.GetValueKind() == JsonValueKind.String) => array.Select(item => item!.GetValue<string>()).ToList(),
            _ => null,
        };
        if (names is null)
        {
            throw Invalid("\"type\" must be a JSON type name or a non-empty array of them (null, boolean, object, array, number, integer, string).", path);
        }

        if (names.FirstOrDefault(name => !JsonTypes.Contains(name)) is { } unknown)
        {
            throw Invalid($"\"{JsonInput.Printable(unknown)}\" is not a JSON type (null, boolean, object, array, number, integer, string).", path);
        }
    }

    private static void CheckPattern(JsonNode? value, string path)
    {
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            throw Invalid("A pattern must be a regular expression string.", path);
        }

        try
        {
            // Parsed as NJsonSchema's Regex.IsMatch(value, pattern) parses it; the match timeout is the process default.
            _ = new Regex(v.GetValue<string>());
        }
        catch (ArgumentException ex)
        {
            throw Invalid($"The pattern is not a .NET regular expression: {ex.Message}", path);
        }
    }

    /// <summary>
    /// A cycle among the schemas applied to one value would be followed without end at every write; a cycle always passes
    /// through a <c>$ref</c> (the rest of the graph is the schema's own tree), and that reference is named.
    /// </summary>
    private static void CheckReferenceCycles(JsonObject root, Dictionary<JsonObject, SchemaPlace> schemas)
    {
        // A reference may point anywhere in the document, also outside the keywords walked so far: its target is walked then.
        var pending = new Queue<JsonObject>(schemas.Keys);
        while (pending.TryDequeue(out var schema))
        {
            if (schema["$ref"] is JsonValue reference && reference.GetValueKind() == JsonValueKind.String
                && Resolve(root, reference.GetValue<string>()) is JsonObject target)
            {
                var place = schemas[schema];
                if (!schemas.ContainsKey(target))
                {
                    var known = schemas.Count;
                    Walk(target, $"{place.Path}.$ref", schemas);
                    foreach (var added in schemas.Keys.Skip(known))
                    {
                        pending.Enqueue(added);
                    }
                }

                place.SameValue.Add((target, $"{place.Path}.$ref"));
            }
        }

        // Depth-first over the same-value edges, without recursion (a chain of references may be thousands long).
        var state = new Dictionary<JsonObject, bool>(ReferenceEqualityComparer.Instance); // false: on the path; true: done
        foreach (var start in schemas.Keys)
        {
            if (state.ContainsKey(start))
            {
                continue;
            }

            var path = new List<(JsonObject Schema, int Next, string? RefPath)> { (start, 0, null) };
            state[start] = false;
            while (path.Count > 0)
            {
                var (schema, next, refPath) = path[^1];
                var edges = schemas[schema].SameValue;
                if (next == edges.Count)
                {
                    state[schema] = true;
                    path.RemoveAt(path.Count - 1);
                    continue;
                }

                path[^1] = (schema, next + 1, refPath);
                var (target, edgeRef) = edges[next];
                if (!state.TryGetValue(target, out var done))
                {
                    state[target] = false;
                    path.Add((target, 0, edgeRef));
                }
                else if (!done)
                {
                    // Back to a schema on the path: the cycle is the path from it, closed by this edge.
                    var from = path.FindIndex(step => ReferenceEquals(step.Schema, target));
                    var closing = edgeRef ?? path.Skip(from + 1).Select(step => step.RefPath).LastOrDefault(p => p is not null);
                    throw Invalid("This reference leads back to the schema it is in without descending into a value, so checking a document would never end. Refer to a schema below a property or an item instead.", closing ?? schemas[target].Path);
                }
            }
        }
    }

    /// <summary>The node a local JSON Pointer reference (<c>#</c>, <c>#/definitions/a</c>) names in <paramref name="root"/>, or null.</summary>
    private static JsonNode? Resolve(JsonObject root, string reference)
    {
        if (!reference.StartsWith('#'))
        {
            return null;
        }

        var pointer = Uri.UnescapeDataString(reference[1..]);
        if (pointer.Length == 0)
        {
            return root;
        }

        if (pointer[0] != '/')
        {
            return null; // a plain-name fragment ("#thing"), resolved by $id: not followed here
        }

        JsonNode? node = root;
        foreach (var raw in pointer[1..].Split('/'))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject obj => obj.TryGetPropertyValue(token, out var child) ? child : null,
                JsonArray array when int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    // What a node of the schema document is to the $ref count: a schema (its keywords known), a map of names to schemas,
    // or something else (an unknown keyword's value), where every $ref still counts, since the compiler may take it for one.
    private enum Position
    {
        Schema,
        NameMap,
        SchemaList,
        Other,
    }

    // Keywords whose value is data (values to compare with, or to show), not a schema: a "$ref" member in it is a value
    // like any other, which the compiler never resolves (20,000 of them in each compiled as fast as the same renamed,
    // where 20,000 in an allOf took 1.4 s more).
    private static readonly HashSet<string> DataKeywords = ["enum", "const", "default", "examples"];

    /// <summary>
    /// Counts every <c>$ref</c> in the document, reachable or not (the compiler resolves them all), before anything else
    /// is walked, so a schema made of a huge chain of references is refused before it costs a compile. Values of data
    /// keywords (<see cref="DataKeywords"/>) of a schema are not walked; under a keyword this check does not know, every
    /// <c>$ref</c> counts.
    /// </summary>
    private static void CheckReferenceCount(JsonObject schema, int maxRefs)
    {
        var count = 0;
        var pending = new Stack<(JsonNode Node, string Path, Position Position)>();
        pending.Push((schema, "schema", Position.Schema));
        while (pending.TryPop(out var item))
        {
            switch (item.Node)
            {
                case JsonObject json:
                    // Pushed in reverse, so the document is counted in its own order and the refused $ref is the first beyond.
                    foreach (var (key, value) in json.Reverse())
                    {
                        if (item.Position == Position.Schema && DataKeywords.Contains(key))
                        {
                            continue;
                        }

                        if (item.Position != Position.NameMap && key == "$ref" && value is JsonValue reference
                            && reference.GetValueKind() == JsonValueKind.String && ++count > maxRefs)
                        {
                            throw Invalid($"The schema has more than {maxRefs} $ref keywords (Baas:Collections:MaxSchemaRefs): each is resolved whenever the schema is compiled, at every save and every load. Share definitions instead of chaining them.", $"{item.Path}.$ref");
                        }

                        if (value is JsonObject or JsonArray)
                        {
                            pending.Push((value, $"{item.Path}.{key}", ChildPosition(item.Position, key, value)));
                        }
                    }

                    break;
                case JsonArray array:
                    for (var i = array.Count - 1; i >= 0; i--)
                    {
                        if (array[i] is { } element and (JsonObject or JsonArray))
                        {
                            pending.Push((element, $"{item.Path}[{i}]", item.Position == Position.SchemaList ? Position.Schema : Position.Other));
                        }
                    }

                    break;
            }
        }
    }

    private static Position ChildPosition(Position parent, string key, JsonNode value) => parent switch
    {
        Position.NameMap => Position.Schema,
        Position.Schema when key == "items" => value is JsonArray ? Position.SchemaList : Position.Schema,
        Position.Schema when ChildSchemas.Contains(key) || SameValueSchemas.Contains(key) => Position.Schema,
        Position.Schema when SameValueSchemaLists.Contains(key) => Position.SchemaList,
        Position.Schema when SchemaMaps.Contains(key) || key is "patternProperties" or "dependencies" => Position.NameMap,
        _ => Position.Other,
    };

    private static InvalidInputException Invalid(string message, string path) => new("invalid_schema", message, path);
}
