using System.Text.Json;
using MongoDB.Bson;
using Platform.Server.Common;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// Translates the filter tree into a MongoDB query document. The filter language is a subset of
/// MongoDB's, so most nodes map one to one and MongoDB's own rules give array-element matching,
/// missing = null and type bracketing. Only the operators listed here can be produced: a node or
/// operand this class does not understand throws instead of reaching the server, and paths or
/// operand objects starting with <c>$</c> are refused so nothing can smuggle in <c>$where</c>,
/// <c>$function</c> or <c>$expr</c>.
/// </summary>
internal static class MongoFilterTranslator
{
    public static BsonDocument Translate(FilterNode filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter switch
        {
            MatchAllNode => [],
            MatchNoneNode => MatchNothing(),
            AndNode allOf => allOf.Children.Count switch
            {
                0 => [],
                1 => Translate(allOf.Children[0]),
                _ => new BsonDocument("$and", TranslateAll(allOf.Children)),
            },
            OrNode anyOf => anyOf.Children.Count switch
            {
                0 => MatchNothing(),
                1 => Translate(anyOf.Children[0]),
                _ => new BsonDocument("$or", TranslateAll(anyOf.Children)),
            },
            NorNode noneOf => noneOf.Children.Count == 0 ? [] : new BsonDocument("$nor", TranslateAll(noneOf.Children)),
            FieldNode field => new BsonDocument(CheckPath(field.Path), OperatorExpression(field, field.Path)),
            ElemMatchNode elemMatch => new BsonDocument(CheckPath(elemMatch.Path), OperatorExpression(elemMatch, elemMatch.Path)),
            NotNode not => TranslateNot(not),
            _ => throw Unsupported(filter),
        };
    }

    /// <summary>
    /// A filter no document matches: every stored document has an <c>_id</c>. MongoDB has no literal
    /// false and refuses an empty <c>$or</c>.
    /// </summary>
    public static BsonDocument MatchNothing() => new(SystemFields.Id, new BsonDocument("$exists", false));

    /// <summary>Checks a dot path: non-empty segments, none starting with <c>$</c>, no NUL.</summary>
    public static string CheckPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is not a valid field path.", nameof(path));
        }

        foreach (var segment in path.Split('.'))
        {
            if (segment.Length == 0 || segment[0] == '$')
            {
                throw new ArgumentException($"'{path}' is not a valid field path.", nameof(path));
            }
        }

        return path;
    }

    /// <summary>
    /// Converts an operand, refusing objects with <c>$</c> keys at any depth (MongoDB could read them as
    /// operators) with <see cref="InvalidInputException"/>: they come from the client.
    /// </summary>
    public static BsonValue Operand(JsonElement value)
    {
        CheckOperand(value);
        return BsonJson.ToBsonValue(value);
    }

    private static BsonArray TranslateAll(IReadOnlyList<FilterNode> children)
    {
        var result = new BsonArray(children.Count);
        foreach (var child in children)
        {
            result.Add(Translate(child));
        }

        return result;
    }

    // Field-level $not is MongoDB's own and has the same meaning (it also matches where the field is
    // missing). A $not directly inside a $not is not accepted by every server version, so such a
    // condition becomes the equivalent $nor.
    private static BsonDocument TranslateNot(NotNode not)
    {
        CheckPath(not.Path);
        return ContainsNot(not.Condition)
            ? new BsonDocument("$nor", new BsonArray { Translate(not.Condition) })
            : new BsonDocument(not.Path, new BsonDocument("$not", OperatorExpression(not.Condition, not.Path)));
    }

    private static bool ContainsNot(FilterNode node) => node switch
    {
        NotNode => true,
        AndNode allOf => allOf.Children.Any(ContainsNot),
        _ => false,
    };

    /// <summary>
    /// The operator document (<c>{"$gt": 5, "$lt": 9}</c>) for conditions that all apply to
    /// <paramref name="path"/>; the empty path is the array element inside a value-form <c>$elemMatch</c>.
    /// </summary>
    private static BsonDocument OperatorExpression(FilterNode node, string path)
    {
        var result = new BsonDocument();
        AddOperators(result, node, path);
        return result;
    }

    private static void AddOperators(BsonDocument target, FilterNode node, string path)
    {
        switch (node)
        {
            case FieldNode field when field.Path == path:
                foreach (var element in FieldOperator(field))
                {
                    Add(target, element);
                }

                break;
            case AndNode allOf when allOf.Children.Count > 0:
                foreach (var child in allOf.Children)
                {
                    AddOperators(target, child, path);
                }

                break;
            case NotNode not when not.Path == path:
                Add(target, new BsonElement("$not", OperatorExpression(not.Condition, path)));
                break;
            case ElemMatchNode elemMatch when elemMatch.Path == path:
                Add(target, new BsonElement("$elemMatch", ElemMatchBody(elemMatch)));
                break;
            default:
                throw Unsupported(node);
        }
    }

    private static void Add(BsonDocument target, BsonElement element)
    {
        if (target.Contains(element.Name))
        {
            throw new NotSupportedException($"Two '{element.Name}' conditions on one field cannot be combined into one MongoDB operator document.");
        }

        target.Add(element);
    }

    private static BsonDocument ElemMatchBody(ElemMatchNode elemMatch) =>
        elemMatch.OnElementValue
            ? OperatorExpression(elemMatch.Condition, string.Empty)
            : Translate(elemMatch.Condition);

    private static IEnumerable<BsonElement> FieldOperator(FieldNode field)
    {
        var value = field.Value;
        switch (field.Operator)
        {
            case Filters.FieldOperator.Eq:
                return [new("$eq", Operand(value))];
            case Filters.FieldOperator.Ne:
                return [new("$ne", Operand(value))];
            case Filters.FieldOperator.Gt:
                return [new("$gt", Operand(value))];
            case Filters.FieldOperator.Gte:
                return [new("$gte", Operand(value))];
            case Filters.FieldOperator.Lt:
                return [new("$lt", Operand(value))];
            case Filters.FieldOperator.Lte:
                return [new("$lte", Operand(value))];
            case Filters.FieldOperator.In:
                return [new("$in", ArrayOperand(field))];
            case Filters.FieldOperator.Nin:
                return [new("$nin", ArrayOperand(field))];
            case Filters.FieldOperator.All:
                return [new("$all", ArrayOperand(field))];
            case Filters.FieldOperator.Exists:
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? [new("$exists", value.GetBoolean())]
                    : throw new NotSupportedException($"$exists on '{field.Path}' needs true or false.");
            case Filters.FieldOperator.Size:
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var size) || size < 0)
                {
                    throw new NotSupportedException($"$size on '{field.Path}' needs a non-negative integer.");
                }

                // MongoDB takes only 32-bit sizes; no array is longer, so a larger size matches
                // nothing, which "$in": [] says without an error.
                return size <= int.MaxValue ? [new("$size", (int)size)] : [new("$in", new BsonArray())];
            case Filters.FieldOperator.StartsWith:
                return [new("$regex", new BsonRegularExpression("^" + PcreLiteral.Escape(StringOperand(field))))];
            case Filters.FieldOperator.Contains:
                return [new("$regex", new BsonRegularExpression(PcreLiteral.Escape(StringOperand(field))))];
            case Filters.FieldOperator.ContainsIgnoreCase:
                return [new("$regex", new BsonRegularExpression(PcreLiteral.Escape(StringOperand(field)), "i"))];
            default:
                throw Unsupported(field);
        }
    }

    private static BsonArray ArrayOperand(FieldNode field) =>
        field.Value.ValueKind == JsonValueKind.Array
            ? (BsonArray)Operand(field.Value)
            : throw new NotSupportedException($"{field.Operator} on '{field.Path}' needs an array operand.");

    private static string StringOperand(FieldNode field) =>
        field.Value.ValueKind == JsonValueKind.String
            ? field.Value.GetString()!
            : throw new NotSupportedException($"{field.Operator} on '{field.Path}' needs a string operand.");

    private static void CheckOperand(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    if (property.Name.StartsWith('$'))
                    {
                        // No stored field name starts with '$', so such an operand could never match;
                        // refusing it keeps MongoDB from ever reading it as an operator.
                        throw new InvalidInputException(
                            FilterParser.InvalidFilter,
                            $"A value in a filter must not contain a key starting with '$' ('{property.Name}').",
                            "filter");
                    }

                    CheckOperand(property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    CheckOperand(item);
                }

                break;
            case JsonValueKind.Undefined:
                throw new NotSupportedException("A filter operand is missing.");
        }
    }

    private static NotSupportedException Unsupported(FilterNode node) =>
        new($"The MongoDB provider cannot translate the filter node {node}.");
}
