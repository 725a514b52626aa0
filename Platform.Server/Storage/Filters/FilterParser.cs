using System.Text;
using System.Text.Json;
using Platform.Server.Common;

namespace Platform.Server.Storage.Filters;

/// <summary>
/// Parses the client filter language (DESIGN.md section 4, a MongoDB subset) into a <see cref="FilterNode"/> tree.
/// Every error is an <see cref="InvalidInputException"/> with code <c>invalid_filter</c>, <c>unknown_operator</c>
/// or <c>filter_too_complex</c>, and a <c>Field</c> locating the fault, e.g. <c>filter.$or[1].age.$gt</c>.
/// </summary>
public static class FilterParser
{
    public const string InvalidFilter = "invalid_filter";
    public const string UnknownOperator = "unknown_operator";
    public const string FilterTooComplex = "filter_too_complex";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Parses the query-string form. Null, empty or blank text is the empty filter (matches everything).
    /// Malformed JSON is reported with the 0-based character position of the fault.
    /// </summary>
    /// <param name="json">The filter as JSON text.</param>
    /// <param name="limits">Limits to enforce; <see cref="FilterLimits.Default"/> when null.</param>
    /// <param name="location">Name of the parameter, the root of every error's <c>Field</c>.</param>
    public static FilterNode Parse(string? json, FilterLimits? limits = null, string location = "filter")
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return MatchAllNode.Instance;
        }

        JsonDocument document;
        try
        {
            var utf8 = Encoding.UTF8.GetBytes(json);
            try
            {
                JsonInput.Validate(utf8, DocumentOptions.MaxDepth, location);
            }
            catch (InvalidInputException ex) when (ex.Position is { } bytePosition)
            {
                var position = CharPosition(json, 0, bytePosition);
                throw new InvalidInputException(ex.Code, ex.Message.Replace($"byte {bytePosition}", $"character {position}", StringComparison.Ordinal), ex.Field, position: position);
            }

            document = JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (JsonException ex)
        {
            var position = CharPosition(json, ex.LineNumber, ex.BytePositionInLine);
            throw new InvalidInputException(
                InvalidFilter,
                $"The filter is not valid JSON (at character {position}).",
                location,
                position: position);
        }

        using (document)
        {
            return new Parser(limits ?? FilterLimits.Default).ParseFilter(document.RootElement, location, 1);
        }
    }

    /// <summary>Parses a filter given as a JSON value (the body form). Operand values in the tree are clones.</summary>
    /// <param name="filter">The filter; must be a JSON object.</param>
    /// <param name="limits">Limits to enforce; <see cref="FilterLimits.Default"/> when null.</param>
    /// <param name="location">Name of the parameter, the root of every error's <c>Field</c>.</param>
    public static FilterNode Parse(JsonElement filter, FilterLimits? limits = null, string location = "filter")
    {
        ArgumentNullException.ThrowIfNull(location);

        // A parsed element may come from a path that did not apply the input rules (a realtime subscription).
        JsonInput.Validate(filter, DocumentOptions.MaxDepth, location);
        var parser = new Parser(limits ?? FilterLimits.Default);
        return parser.ParseFilter(filter, location, 1);
    }

    /// <summary>
    /// Parses a condition on the elements of an array, as the operand of <c>$elemMatch</c> is parsed (also used
    /// for <c>$pull</c>): an object whose keys are all field operators applies to each element's value
    /// (<see cref="ElemMatchNode.OnElementValue"/>), any other object is a filter on each element's fields.
    /// The returned node has an empty path.
    /// </summary>
    public static ElemMatchNode ParseElementCondition(JsonElement condition, FilterLimits? limits = null, string location = "filter")
    {
        ArgumentNullException.ThrowIfNull(location);
        var parser = new Parser(limits ?? FilterLimits.Default);
        return parser.ParseElemMatch(string.Empty, condition, location, 0);
    }

    /// <summary>
    /// Checks a dot path as the filter language accepts it: non-empty segments, none starting with <c>$</c>.
    /// Throws <c>invalid_filter</c> naming <paramref name="location"/>.
    /// </summary>
    public static void ValidatePath(string path, string location) => FieldPaths.Validate(path, location, InvalidFilter);

    // JsonException reports a line and a UTF-8 byte offset within it; clients want a character offset.
    private static int CharPosition(string text, long? lineNumber, long? bytePositionInLine)
    {
        var index = 0;
        for (long line = 0; line < (lineNumber ?? 0) && index < text.Length; index++)
        {
            if (text[index] == '\n')
            {
                line++;
            }
        }

        var bytes = bytePositionInLine ?? 0;
        long seen = 0;
        while (index < text.Length && seen < bytes)
        {
            var length = char.IsHighSurrogate(text[index]) && index + 1 < text.Length ? 2 : 1;
            seen += Encoding.UTF8.GetByteCount(text.AsSpan(index, length));
            index += length;
        }

        return index;
    }

    private static bool IsLogicalOperator(string name) => name is "$and" or "$or" or "$nor";

    private static bool IsFieldOperator(string name) => name is
        "$eq" or "$ne" or "$gt" or "$gte" or "$lt" or "$lte" or "$in" or "$nin" or "$exists"
        or "$startsWith" or "$contains" or "$containsi" or "$size" or "$all" or "$elemMatch" or "$not";

    private static FilterNode Combine(List<FilterNode> nodes)
    {
        // Nested ANDs are flattened and match-all children dropped: the meaning is the same and
        // translators get a flatter tree.
        var flat = new List<FilterNode>(nodes.Count);
        foreach (var node in nodes)
        {
            switch (node)
            {
                case AndNode and:
                    flat.AddRange(and.Children);
                    break;
                case MatchAllNode:
                    break;
                default:
                    flat.Add(node);
                    break;
            }
        }

        return flat.Count switch
        {
            0 => MatchAllNode.Instance,
            1 => flat[0],
            _ => new AndNode(flat),
        };
    }

    private sealed class Parser(FilterLimits limits)
    {
        private int conditions;

        public FilterNode ParseFilter(JsonElement filter, string location, int depth)
        {
            CheckDepth(location, depth);
            if (filter.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInputException(InvalidFilter, $"A filter must be a JSON object, not {Describe(filter)}.", location);
            }

            var nodes = new List<FilterNode>();
            foreach (var property in filter.EnumerateObject())
            {
                var name = property.Name;
                var at = location + "." + name;
                if (name.StartsWith('$'))
                {
                    if (IsLogicalOperator(name))
                    {
                        nodes.Add(ParseLogical(name, property.Value, at, depth));
                    }
                    else if (IsFieldOperator(name))
                    {
                        throw new InvalidInputException(
                            InvalidFilter,
                            $"'{name}' is a field operator; apply it to a field, e.g. {{\"field\": {{\"{name}\": ...}}}}.",
                            at);
                    }
                    else
                    {
                        throw UnknownOperatorError(name, at);
                    }
                }
                else
                {
                    ValidatePath(name, at);
                    nodes.Add(ParseFieldCondition(name, property.Value, at, depth));
                }
            }

            return Combine(nodes);
        }

        private FilterNode ParseLogical(string name, JsonElement value, string location, int depth)
        {
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            {
                throw new InvalidInputException(InvalidFilter, $"'{name}' needs a non-empty array of filter objects.", location);
            }

            var children = new List<FilterNode>(value.GetArrayLength());
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                children.Add(ParseFilter(item, $"{location}[{index}]", depth + 1));
                index++;
            }

            return name switch
            {
                "$and" => Combine(children),
                "$or" => children.Count == 1 ? children[0] : new OrNode(children),
                _ => new NorNode(children),
            };
        }

        private FilterNode ParseFieldCondition(string path, JsonElement value, string location, int depth)
        {
            if (!IsOperatorObject(value, location))
            {
                return Field(path, FieldOperator.Eq, value, location);
            }

            var nodes = new List<FilterNode>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in value.EnumerateObject())
            {
                RejectRepeated(seen, property.Name, location);
                nodes.Add(ParseOperator(path, property.Name, property.Value, location + "." + property.Name, depth));
            }

            return Combine(nodes);
        }

        // An operator object is a JSON object, so an operator can appear in it once. Text input is already checked for
        // repeated keys (JsonInput); a tree built elsewhere (an update's $pull, a parsed element) is checked here, because
        // MongoDB cannot hold two equal keys in one operator document while SQLite would apply both.
        private static void RejectRepeated(HashSet<string> seen, string name, string location)
        {
            if (!seen.Add(name))
            {
                throw new InvalidInputException(
                    JsonInput.DuplicateKey,
                    $"'{name}' appears twice in the same operator object; combine the conditions with '$and' instead.",
                    location + "." + name);
            }
        }

        // An object whose keys all start with '$' holds operators; one without any is a literal to
        // match exactly; a mix is ambiguous and refused.
        private static bool IsOperatorObject(JsonElement value, string location)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            bool? operators = null;
            foreach (var property in value.EnumerateObject())
            {
                var isOperator = property.Name.StartsWith('$');
                if (operators is { } seen && seen != isOperator)
                {
                    throw new InvalidInputException(
                        InvalidFilter,
                        "A field condition mixes operators ('$' keys) and plain fields; use only operators, or only fields for an exact match.",
                        location);
                }

                operators = isOperator;
            }

            return operators == true;
        }

        private FilterNode ParseOperator(string path, string name, JsonElement operand, string location, int depth)
        {
            switch (name)
            {
                case "$eq":
                    return Field(path, FieldOperator.Eq, operand, location);
                case "$ne":
                    return Field(path, FieldOperator.Ne, operand, location);
                case "$gt":
                    return Field(path, FieldOperator.Gt, operand, location);
                case "$gte":
                    return Field(path, FieldOperator.Gte, operand, location);
                case "$lt":
                    return Field(path, FieldOperator.Lt, operand, location);
                case "$lte":
                    return Field(path, FieldOperator.Lte, operand, location);
                case "$in":
                    return Field(path, FieldOperator.In, RequireValueArray(name, operand, location), location);
                case "$nin":
                    return Field(path, FieldOperator.Nin, RequireValueArray(name, operand, location), location);
                case "$all":
                    return Field(path, FieldOperator.All, RequireValueArray(name, operand, location), location);
                case "$exists":
                    if (operand.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        throw new InvalidInputException(InvalidFilter, $"'$exists' needs true or false, not {Describe(operand)}.", location);
                    }

                    return Field(path, FieldOperator.Exists, operand, location);
                case "$startsWith":
                    return Field(path, FieldOperator.StartsWith, RequireString(name, operand, location), location);
                case "$contains":
                    return Field(path, FieldOperator.Contains, RequireString(name, operand, location), location);
                case "$containsi":
                    return Field(path, FieldOperator.ContainsIgnoreCase, RequireString(name, operand, location), location);
                case "$size":
                    if (operand.ValueKind != JsonValueKind.Number || !operand.TryGetInt64(out var size) || size < 0)
                    {
                        throw new InvalidInputException(InvalidFilter, $"'$size' needs a non-negative integer, not {Describe(operand)}.", location);
                    }

                    return Field(path, FieldOperator.Size, operand, location);
                case "$elemMatch":
                    return ParseElemMatch(path, operand, location, depth);
                case "$not":
                    return ParseNot(path, operand, location, depth);
                default:
                    throw UnknownOperatorError(name, location);
            }
        }

        private NotNode ParseNot(string path, JsonElement operand, string location, int depth)
        {
            CheckDepth(location, depth + 1);
            if (operand.ValueKind != JsonValueKind.Object || !operand.EnumerateObject().Any())
            {
                throw new InvalidInputException(
                    InvalidFilter,
                    "'$not' needs an object of operators, e.g. {\"$not\": {\"$gt\": 5}}.",
                    location);
            }

            if (!IsOperatorObject(operand, location))
            {
                throw new InvalidInputException(
                    InvalidFilter,
                    "'$not' needs an object of operators, e.g. {\"$not\": {\"$gt\": 5}}; to exclude an exact value use '$ne'.",
                    location);
            }

            var nodes = new List<FilterNode>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in operand.EnumerateObject())
            {
                RejectRepeated(seen, property.Name, location);
                nodes.Add(ParseOperator(path, property.Name, property.Value, location + "." + property.Name, depth + 1));
            }

            return new NotNode(path, Combine(nodes));
        }

        public ElemMatchNode ParseElemMatch(string path, JsonElement operand, string location, int depth)
        {
            CheckDepth(location, depth + 1);
            if (operand.ValueKind != JsonValueKind.Object || !operand.EnumerateObject().Any())
            {
                throw new InvalidInputException(
                    InvalidFilter,
                    "'$elemMatch' needs a non-empty object: operators for the element itself, or a filter on the element's fields.",
                    location);
            }

            CountCondition(location);
            var onElementValue = operand.EnumerateObject().All(p => IsFieldOperator(p.Name));
            if (!onElementValue)
            {
                if (operand.EnumerateObject().Any(p => IsFieldOperator(p.Name)) && operand.EnumerateObject().Any(p => !p.Name.StartsWith('$')))
                {
                    throw new InvalidInputException(
                        InvalidFilter,
                        "'$elemMatch' mixes operators on the element with conditions on its fields; use one form or the other.",
                        location);
                }

                return new ElemMatchNode(path, ParseFilter(operand, location, depth + 1), OnElementValue: false);
            }

            var nodes = new List<FilterNode>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in operand.EnumerateObject())
            {
                RejectRepeated(seen, property.Name, location);
                nodes.Add(ParseOperator(string.Empty, property.Name, property.Value, location + "." + property.Name, depth + 1));
            }

            return new ElemMatchNode(path, Combine(nodes), OnElementValue: true);
        }

        private FieldNode Field(string path, FieldOperator op, JsonElement operand, string location)
        {
            CountCondition(location);
            RejectOperatorKeys(operand, location);
            return new FieldNode(path, op, operand.Clone());
        }

        // Stored documents never have '$' field names, so such an operand could never match; rejecting it
        // here also keeps every provider alike (MongoDB itself would refuse it, SQLite would match nothing).
        private static void RejectOperatorKeys(JsonElement value, string location)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in value.EnumerateObject())
                    {
                        if (property.Name.StartsWith('$'))
                        {
                            throw new InvalidInputException(
                                InvalidFilter,
                                $"'{property.Name}' is not allowed inside a value; values are plain JSON (operators go directly under a field).",
                                location + "." + property.Name);
                        }

                        RejectOperatorKeys(property.Value, location + "." + property.Name);
                    }

                    break;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        RejectOperatorKeys(item, $"{location}[{index++}]");
                    }

                    break;
            }
        }

        private JsonElement RequireValueArray(string name, JsonElement operand, string location)
        {
            if (operand.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidInputException(InvalidFilter, $"'{name}' needs an array of values, not {Describe(operand)}.", location);
            }

            var count = operand.GetArrayLength();
            if (count > limits.MaxArrayValues)
            {
                throw new InvalidInputException(
                    FilterTooComplex,
                    $"'{name}' has {count} values; at most {limits.MaxArrayValues} are allowed.",
                    location);
            }

            var index = 0;
            foreach (var item in operand.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && item.EnumerateObject().Any(p => p.Name.StartsWith('$')))
                {
                    throw new InvalidInputException(
                        InvalidFilter,
                        $"'{name}' takes plain values; operators are not allowed inside it.",
                        $"{location}[{index}]");
                }

                index++;
            }

            return operand;
        }

        private static JsonElement RequireString(string name, JsonElement operand, string location)
        {
            if (operand.ValueKind != JsonValueKind.String)
            {
                throw new InvalidInputException(InvalidFilter, $"'{name}' needs a string, not {Describe(operand)}.", location);
            }

            return operand;
        }

        private void CountCondition(string location)
        {
            conditions++;
            if (conditions > limits.MaxConditions)
            {
                throw new InvalidInputException(
                    FilterTooComplex,
                    $"The filter has more than {limits.MaxConditions} conditions.",
                    location);
            }
        }

        private void CheckDepth(string location, int depth)
        {
            if (depth > limits.MaxDepth)
            {
                throw new InvalidInputException(
                    FilterTooComplex,
                    $"The filter is nested more than {limits.MaxDepth} levels deep.",
                    location);
            }
        }

        private static InvalidInputException UnknownOperatorError(string name, string location) =>
            new(UnknownOperator, $"Unknown or unsupported operator '{name}'.", location);

        private static string Describe(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "the number " + value.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            JsonValueKind.Null => "null",
            _ => "nothing",
        };
    }
}
