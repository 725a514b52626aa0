using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Rules;
using Platform.Server.Storage;

namespace Platform.Server.Collections;

/// <summary>Turns an admin API body into a <see cref="CollectionDefinition"/>, naming the field at fault on any error.</summary>
public static class CollectionDefinitionParser
{
    // What the API answers may be sent back as read: the read-only members are ignored (If-Match, not the body's version, makes a save conditional).
    private static readonly HashSet<string> KnownKeys = ["name", "schema", "indexes", "rules", "createdAt", "updatedAt", "version"];

    /// <param name="body">The request body.</param>
    /// <param name="nameFromUrl">For PUT: the name in the URL, which the body may repeat but not contradict.</param>
    /// <param name="options">Index limits.</param>
    public static CollectionDefinition Parse(JsonObject body, string? nameFromUrl, CollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (key, _) in body)
        {
            if (!KnownKeys.Contains(key))
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' in a collection definition (allowed: name, schema, indexes, rules).", key);
            }
        }

        var name = body["name"] switch
        {
            null when nameFromUrl is not null => nameFromUrl,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            null => throw new InvalidInputException("invalid_definition", "'name' is required.", "name"),
            _ => throw new InvalidInputException("invalid_definition", "'name' must be a string.", "name"),
        };
        CollectionNames.Validate(name, "name");
        if (nameFromUrl is not null && name != nameFromUrl)
        {
            throw new InvalidInputException("invalid_definition", $"The body names '{name}' but the URL names '{nameFromUrl}'; renaming is not supported.", "name");
        }

        var schema = body["schema"] switch
        {
            null => null,
            JsonObject obj => (JsonObject)obj.DeepClone(),
            _ => throw new InvalidInputException("invalid_schema", "'schema' must be a JSON Schema object or null.", "schema"),
        };

        return new CollectionDefinition(name, schema, ParseIndexes(body["indexes"], options), ParseRules(body["rules"]));
    }

    private static List<IndexDefinition> ParseIndexes(JsonNode? node, CollectionOptions options)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            throw new InvalidInputException("invalid_index", "'indexes' must be an array.", "indexes");
        }

        if (array.Count > options.MaxIndexes)
        {
            throw new InvalidInputException("invalid_index", $"A collection may have at most {options.MaxIndexes} indexes.", "indexes");
        }

        var result = new List<IndexDefinition>();
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"indexes[{i}]";
            if (array[i] is not JsonObject index)
            {
                throw new InvalidInputException("invalid_index", "Each index must be an object like {\"fields\": [\"a\", \"-b\"], \"unique\": false}.", at);
            }

            foreach (var (key, _) in index)
            {
                if (key is not ("fields" or "unique"))
                {
                    throw new InvalidInputException("invalid_index", $"Unknown index field '{key}' (allowed: fields, unique).", $"{at}.{key}");
                }
            }

            if (index["fields"] is not JsonArray fields || fields.Count == 0)
            {
                throw new InvalidInputException("invalid_index", "'fields' must be a non-empty array of field paths ('-' prefix for descending).", $"{at}.fields");
            }

            if (fields.Count > options.MaxIndexFields)
            {
                throw new InvalidInputException("invalid_index", $"An index may have at most {options.MaxIndexFields} fields.", $"{at}.fields");
            }

            var keys = new List<SortField>();
            for (var f = 0; f < fields.Count; f++)
            {
                var fieldAt = $"{at}.fields[{f}]";
                if (fields[f] is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
                {
                    throw new InvalidInputException("invalid_index", "Index fields must be strings.", fieldAt);
                }

                var text = value.GetValue<string>();
                var descending = text.StartsWith('-');
                var path = descending ? text[1..] : text;
                FieldPaths.Validate(path, fieldAt);
                if (keys.Any(k => k.Path == path))
                {
                    throw new InvalidInputException("invalid_index", $"'{path}' appears twice in one index.", fieldAt);
                }

                keys.Add(new SortField(path, descending));
            }

            var unique = index["unique"] switch
            {
                null => false,
                JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
                _ => throw new InvalidInputException("invalid_index", "'unique' must be true or false.", $"{at}.unique"),
            };

            var definition = new IndexDefinition(keys, unique);
            if (result.Any(existing => existing.Name == definition.Name))
            {
                throw new InvalidInputException("invalid_index", "The same index is defined twice.", at);
            }

            result.Add(definition);
        }

        return result;
    }

    private static Dictionary<string, string> ParseRules(JsonNode? node)
    {
        var rules = new Dictionary<string, string>();
        if (node is null)
        {
            return rules;
        }

        if (node is not JsonObject obj)
        {
            throw new InvalidInputException("invalid_rule", "'rules' must be an object of rule expressions per operation.", "rules");
        }

        foreach (var (operation, rule) in obj)
        {
            if (!CollectionDefinition.RuleOperations.Contains(operation))
            {
                throw new InvalidInputException("invalid_rule", $"Unknown rule operation '{operation}' (allowed: {string.Join(", ", CollectionDefinition.RuleOperations)}).", $"rules.{operation}");
            }

            switch (rule)
            {
                case null:
                    continue;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    rules[operation] = value.GetValue<string>();
                    break;
                default:
                    throw new InvalidInputException("invalid_rule", "A rule must be an expression string (or null for none).", $"rules.{operation}");
            }
        }

        // Every rule is compiled now so that a bad one is refused when saved, all of them in one answer.
        var errors = new List<FieldError>();
        foreach (var (operation, text) in rules)
        {
            try
            {
                RuleCompiler.Compile(operation, text);
                RuleCompiler.CheckAuthMembers(text, $"rules.{operation}");
            }
            catch (InvalidInputException e)
            {
                errors.Add(new FieldError(e.Field ?? $"rules.{operation}", e.Message, e.Position));
            }
        }

        if (errors.Count > 0)
        {
            var first = errors[0];
            var message = errors.Count == 1
                ? $"The {first.Path} rule is not valid: {first.Message}"
                : $"{errors.Count} rules are not valid ({string.Join(", ", errors.Select(e => e.Path))}); see errors.";
            throw new InvalidInputException("invalid_rule", message, first.Path, ErrorKind.Invalid, first.Position) { Errors = errors };
        }

        return rules;
    }

    /// <summary>
    /// What a save refuses beyond <see cref="Parse"/>, which also reads stored definitions back (so a definition saved before
    /// a rule was added still loads): two indexes over the same keys that differ only in <c>unique</c>. The unique one serves
    /// every read the plain one would, and MongoDB refuses a second index over the same keys (IndexOptionsConflict).
    /// </summary>
    public static void CheckForSave(CollectionDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        for (var i = 0; i < definition.Indexes.Count; i++)
        {
            var keys = IndexDefinition.NameOf(definition.Indexes[i].Fields, unique: false);
            for (var j = 0; j < i; j++)
            {
                if (IndexDefinition.NameOf(definition.Indexes[j].Fields, unique: false) == keys)
                {
                    throw new InvalidInputException(
                        "invalid_index",
                        $"indexes[{j}] has the same fields; one index serves them (a unique one serves every read a plain one would).",
                        $"indexes[{i}]");
                }
            }
        }
    }
}
