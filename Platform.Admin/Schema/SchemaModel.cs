using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Admin.Components;

namespace Platform.Admin.Schema;

/// <summary>The types the visual schema editor offers; <see cref="Any"/> is a field without a single <c>type</c> keyword.</summary>
public static class SchemaTypes
{
    public const string String = "string";
    public const string Number = "number";
    public const string Integer = "integer";
    public const string Boolean = "boolean";
    public const string Object = "object";
    public const string Array = "array";
    public const string Any = "any";

    /// <summary>Every type, in the order the editor lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [String, Number, Integer, Boolean, Object, Array, Any];
}

/// <summary>
/// One node of a JSON Schema as the visual editor sees it: a type with its bounds, enum values and pattern, the
/// properties of an object, the item type of an array. Keywords the editor does not show (<c>description</c>,
/// <c>format</c>, <c>oneOf</c>, <c>additionalProperties</c>...) are kept in <see cref="Other"/> and written back
/// unchanged, so switching between the visual and the JSON view loses nothing.
/// </summary>
public sealed class SchemaNode
{
    /// <summary>One of <see cref="SchemaTypes.All"/>.</summary>
    public string Type { get; set; } = SchemaTypes.String;

    /// <summary>Allowed values, as the user types them (converted to the node's type when written).</summary>
    public IList<string> Enum { get; set; } = [];

    /// <summary><c>minimum</c> (number, integer).</summary>
    public decimal? Minimum { get; set; }

    /// <summary><c>maximum</c> (number, integer).</summary>
    public decimal? Maximum { get; set; }

    /// <summary><c>minLength</c> (string) or <c>minItems</c> (array).</summary>
    public int? MinLength { get; set; }

    /// <summary><c>maxLength</c> (string) or <c>maxItems</c> (array).</summary>
    public int? MaxLength { get; set; }

    /// <summary><c>pattern</c> (string): an ECMAScript regular expression.</summary>
    public string? Pattern { get; set; }

    /// <summary>An object's properties, in order.</summary>
    public IList<SchemaField> Fields { get; set; } = [];

    /// <summary>An array's item type (null: items of any type).</summary>
    public SchemaNode? Items { get; set; }

    /// <summary>Keywords the editor does not show, written back as they were.</summary>
    public JsonObject Other { get; set; } = [];

    /// <summary>Names listed in <c>required</c> that are not among the properties, kept as they were.</summary>
    public IList<string> OtherRequired { get; set; } = [];
}

/// <summary>A named property of an object node.</summary>
public sealed class SchemaField
{
    public string Name { get; set; } = string.Empty;

    /// <summary>Whether the name is in the parent's <c>required</c>.</summary>
    public bool Required { get; set; }

    public SchemaNode Node { get; set; } = new();
}

/// <summary>Converts between JSON Schema (JSON text or <see cref="JsonObject"/>) and the editor's <see cref="SchemaNode"/>.</summary>
public static class SchemaModel
{
    private static readonly HashSet<string> Handled =
        ["type", "enum", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "properties", "required", "items"];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The schema a new collection starts with: an object without properties.</summary>
    public static SchemaNode Empty() => new() { Type = SchemaTypes.Object };

    /// <summary>Reads a schema into the editor's model.</summary>
    public static SchemaNode FromJson(JsonObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var node = new SchemaNode { Type = SchemaTypes.Any };
        var type = schema["type"] is JsonValue t && t.TryGetValue<string>(out var typeName) && SchemaTypes.All.Contains(typeName) && typeName != SchemaTypes.Any
            ? typeName
            : null;
        if (type is not null)
        {
            node.Type = type;
        }
        else if (schema["type"] is not null)
        {
            node.Other["type"] = schema["type"]!.DeepClone();
        }

        var bounded = type is SchemaTypes.Number or SchemaTypes.Integer;
        var lengthKeys = type == SchemaTypes.Array ? ("minItems", "maxItems") : ("minLength", "maxLength");
        foreach (var (key, value) in schema)
        {
            var used = key switch
            {
                "enum" => value is JsonArray values && values.All(v => v is JsonValue) && TryReadEnum(values, node),
                "minimum" when bounded => TryDecimal(value, v => node.Minimum = v),
                "maximum" when bounded => TryDecimal(value, v => node.Maximum = v),
                "minLength" or "minItems" when key == lengthKeys.Item1 && type is SchemaTypes.String or SchemaTypes.Array => TryInt(value, v => node.MinLength = v),
                "maxLength" or "maxItems" when key == lengthKeys.Item2 && type is SchemaTypes.String or SchemaTypes.Array => TryInt(value, v => node.MaxLength = v),
                "pattern" when type == SchemaTypes.String => value is JsonValue p && p.TryGetValue<string>(out var pattern) && (node.Pattern = pattern) is not null,
                "properties" when type == SchemaTypes.Object => value is JsonObject properties && ReadProperties(properties, node),
                "items" when type == SchemaTypes.Array => value is JsonObject items && (node.Items = FromJson(items)) is not null,
                "type" => true,
                "required" => false,
                _ => false,
            };
            if (!used && key != "type" && key != "required")
            {
                node.Other[key] = value?.DeepClone();
            }
        }

        if (schema["required"] is JsonArray required)
        {
            if (type == SchemaTypes.Object && required.All(r => r is JsonValue v && v.TryGetValue<string>(out _)))
            {
                foreach (var name in required.Select(r => r!.GetValue<string>()))
                {
                    var field = node.Fields.FirstOrDefault(f => f.Name == name);
                    if (field is not null)
                    {
                        field.Required = true;
                    }
                    else
                    {
                        node.OtherRequired.Add(name);
                    }
                }
            }
            else
            {
                node.Other["required"] = required.DeepClone();
            }
        }
        else if (schema["required"] is not null)
        {
            node.Other["required"] = schema["required"]!.DeepClone();
        }

        return node;
    }

    /// <summary>Writes the model as JSON Schema.</summary>
    /// <exception cref="FormatException">An enum value that is not of the node's type, or a field without a name or named twice.</exception>
    public static JsonObject ToJson(SchemaNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var json = new JsonObject();
        if (node.Type != SchemaTypes.Any)
        {
            json["type"] = node.Type;
        }

        if (node.Enum.Count > 0)
        {
            json["enum"] = new JsonArray([.. node.Enum.Select(v => EnumValue(node.Type, v))]);
        }

        if (node.Type is SchemaTypes.Number or SchemaTypes.Integer)
        {
            SetIf(json, "minimum", node.Minimum);
            SetIf(json, "maximum", node.Maximum);
        }

        if (node.Type == SchemaTypes.String)
        {
            SetIf(json, "minLength", node.MinLength);
            SetIf(json, "maxLength", node.MaxLength);
            if (!string.IsNullOrEmpty(node.Pattern))
            {
                json["pattern"] = node.Pattern;
            }
        }

        if (node.Type == SchemaTypes.Array)
        {
            SetIf(json, "minItems", node.MinLength);
            SetIf(json, "maxItems", node.MaxLength);
            if (node.Items is not null)
            {
                json["items"] = ToJson(node.Items);
            }
        }

        if (node.Type == SchemaTypes.Object)
        {
            var properties = new JsonObject();
            var required = new JsonArray();
            foreach (var field in node.Fields)
            {
                if (string.IsNullOrWhiteSpace(field.Name))
                {
                    throw new FormatException("Every field needs a name.");
                }

                if (properties.ContainsKey(field.Name))
                {
                    throw new FormatException($"The field \"{field.Name}\" is defined twice.");
                }

                properties[field.Name] = ToJson(field.Node);
                if (field.Required)
                {
                    required.Add(field.Name);
                }
            }

            foreach (var name in node.OtherRequired)
            {
                required.Add(name);
            }

            if (node.Fields.Count > 0 || node.Other.Count == 0)
            {
                json["properties"] = properties;
            }

            if (required.Count > 0)
            {
                json["required"] = required;
            }
        }

        foreach (var (key, value) in node.Other)
        {
            json[key] = value?.DeepClone();
        }

        return json;
    }

    /// <summary>Parses JSON text typed in the JSON view.</summary>
    /// <returns>The schema, or null with a message saying what is wrong and where.</returns>
    public static JsonObject? Parse(string text, out string? error)
    {
        error = null;
        try
        {
            var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            if (node is JsonObject schema)
            {
                return schema;
            }

            error = "A JSON Schema is a JSON object ({ ... }).";
            return null;
        }
        catch (JsonException ex)
        {
            error = "Invalid JSON" + Formats.JsonPosition(ex) + ".";
            return null;
        }
    }

    /// <summary>The schema as indented JSON text, as the JSON view shows it.</summary>
    public static string Format(JsonObject schema) => schema.ToJsonString(Indented);

    private static bool ReadProperties(JsonObject properties, SchemaNode node)
    {
        if (properties.Any(p => p.Value is not JsonObject))
        {
            return false;
        }

        foreach (var (name, value) in properties)
        {
            node.Fields.Add(new SchemaField { Name = name, Node = FromJson((JsonObject)value!) });
        }

        return true;
    }

    private static bool TryReadEnum(JsonArray values, SchemaNode node)
    {
        var texts = new List<string>();
        foreach (var value in values.Cast<JsonValue>())
        {
            switch (value.GetValueKind())
            {
                case JsonValueKind.String when node.Type is SchemaTypes.String:
                    var text = value.GetValue<string>();
                    if (text.Contains(',', StringComparison.Ordinal) || text != text.Trim() || text.Length == 0)
                    {
                        return false; // not representable in the comma-separated box; kept as JSON
                    }

                    texts.Add(text);
                    break;
                case JsonValueKind.Number when node.Type is SchemaTypes.Number or SchemaTypes.Integer:
                    texts.Add(value.ToJsonString());
                    break;
                case JsonValueKind.True or JsonValueKind.False when node.Type is SchemaTypes.Boolean:
                    texts.Add(value.ToJsonString());
                    break;
                default:
                    return false;
            }
        }

        node.Enum = texts;
        return true;
    }

    private static JsonNode EnumValue(string type, string text) => type switch
    {
        SchemaTypes.String => JsonValue.Create(text),
        SchemaTypes.Integer when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        SchemaTypes.Number when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) => JsonNode.Parse(text.Trim())!,
        SchemaTypes.Boolean when text is "true" or "false" => JsonValue.Create(text == "true"),
        _ => throw new FormatException($"The allowed value \"{text}\" is not a valid {type}."),
    };

    private static bool TryDecimal(JsonNode? value, Action<decimal> set)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<decimal>(out var number))
        {
            set(number);
            return true;
        }

        return false;
    }

    private static bool TryInt(JsonNode? value, Action<int> set)
    {
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var number) && number >= 0)
        {
            set(number);
            return true;
        }

        return false;
    }

    private static void SetIf(JsonObject json, string key, decimal? value)
    {
        if (value is { } v)
        {
            json[key] = v;
        }
    }

    private static void SetIf(JsonObject json, string key, int? value)
    {
        if (value is { } v)
        {
            json[key] = v;
        }
    }
}
