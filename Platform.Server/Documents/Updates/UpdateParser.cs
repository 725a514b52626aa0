using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Documents.Updates;

/// <summary>
/// Parses a MongoDB-style operator update (<c>{"$set": {...}, "$inc": {...}}</c>): <c>$set $unset $inc $mul
/// $min $max $push $addToSet $pull $currentDate</c>. Errors are 400 <c>invalid_update</c> (or
/// <c>unknown_operator</c>) naming the location, e.g. <c>$inc.count</c>; a path that targets a system field
/// (first segment starting with <c>_</c>) is refused (<c>invalid_update</c>), a malformed one (empty segment,
/// segment starting with <c>$</c>) is <c>invalid_path</c>; both with <c>Field</c> = the path.
/// </summary>
public static class UpdateParser
{
    public const string InvalidUpdate = "invalid_update";

    /// <summary>True when <paramref name="body"/> is an operator update: non-empty and every top-level key starts with <c>$</c>.</summary>
    public static bool IsOperatorUpdate(JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return body.Count > 0 && body.All(p => p.Key.StartsWith('$'));
    }

    /// <summary>The operator's name as written in JSON, e.g. <c>$addToSet</c>.</summary>
    public static string OperatorName(UpdateOperator op) => op switch
    {
        UpdateOperator.Set => "$set",
        UpdateOperator.Unset => "$unset",
        UpdateOperator.Inc => "$inc",
        UpdateOperator.Mul => "$mul",
        UpdateOperator.Min => "$min",
        UpdateOperator.Max => "$max",
        UpdateOperator.Push => "$push",
        UpdateOperator.AddToSet => "$addToSet",
        UpdateOperator.Pull => "$pull",
        UpdateOperator.CurrentDate => "$currentDate",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>Parses and checks an operator update. Operands are copied; the input is not kept.</summary>
    public static UpdateDefinition Parse(JsonObject update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Count == 0)
        {
            throw new InvalidInputException(InvalidUpdate, "An update needs at least one operator such as $set.");
        }

        var operations = new List<UpdateOperation>();
        foreach (var (name, operand) in update)
        {
            if (!name.StartsWith('$'))
            {
                throw new InvalidInputException(
                    InvalidUpdate,
                    $"'{name}' is not an update operator; an operator update uses only keys such as $set (send a merge patch without operators instead).",
                    name);
            }

            var op = ParseOperator(name);
            if (operand is not JsonObject fields)
            {
                throw new InvalidInputException(InvalidUpdate, $"'{name}' needs an object of field paths.", name);
            }

            foreach (var (path, value) in fields)
            {
                CheckPath(path);
                var operation = ParseOperation(op, path, value);
                CheckConflicts(operations, operation);
                operations.Add(operation);
            }
        }

        return new UpdateDefinition(operations);
    }

    private static UpdateOperator ParseOperator(string name) => name switch
    {
        "$set" => UpdateOperator.Set,
        "$unset" => UpdateOperator.Unset,
        "$inc" => UpdateOperator.Inc,
        "$mul" => UpdateOperator.Mul,
        "$min" => UpdateOperator.Min,
        "$max" => UpdateOperator.Max,
        "$push" => UpdateOperator.Push,
        "$addToSet" => UpdateOperator.AddToSet,
        "$pull" => UpdateOperator.Pull,
        "$currentDate" => UpdateOperator.CurrentDate,
        _ => throw new InvalidInputException(FilterParser.UnknownOperator, $"Unknown or unsupported update operator '{name}'.", name),
    };

    private static void CheckPath(string path)
    {
        if (path.StartsWith('_'))
        {
            throw new InvalidInputException(InvalidUpdate, $"'{path}' is a system field; the server sets system fields.", path);
        }

        FieldPaths.Validate(path, path);
    }

    private static UpdateOperation ParseOperation(UpdateOperator op, string path, JsonNode? value)
    {
        var operation = new UpdateOperation(op, path, value?.DeepClone());
        switch (op)
        {
            case UpdateOperator.Inc or UpdateOperator.Mul:
                if (!JsonValueOrder.TryReadNumber(value, out _))
                {
                    throw new InvalidInputException(InvalidUpdate, $"{OperatorName(op)} needs a number.", operation.Field);
                }

                return operation;
            case UpdateOperator.CurrentDate:
                var isTrue = value is JsonValue flag && flag.GetValueKind() == JsonValueKind.True;
                var isDateType = value is JsonObject { Count: 1 } spec
                    && spec["$type"] is JsonValue type && type.GetValueKind() == JsonValueKind.String && type.GetValue<string>() == "date";
                if (!isTrue && !isDateType)
                {
                    throw new InvalidInputException(InvalidUpdate, "$currentDate needs true or {\"$type\": \"date\"}.", operation.Field);
                }

                return operation;
            case UpdateOperator.Push or UpdateOperator.AddToSet:
                return operation with { Items = ParseItems(operation, value) };
            case UpdateOperator.Pull:
                return operation with { Removes = ParsePull(operation, value) };
            default:
                return operation;
        }
    }

    private static List<JsonNode?> ParseItems(UpdateOperation operation, JsonNode? value)
    {
        if (value is not JsonObject obj || !obj.Any(p => p.Key.StartsWith('$')))
        {
            return [value?.DeepClone()];
        }

        foreach (var (key, _) in obj)
        {
            if (key != "$each")
            {
                throw new InvalidInputException(
                    key.StartsWith('$') ? FilterParser.UnknownOperator : InvalidUpdate,
                    $"{OperatorName(operation.Operator)} supports only the $each modifier, not '{key}'.",
                    $"{operation.Field}.{key}");
            }
        }

        if (obj["$each"] is not JsonArray each)
        {
            throw new InvalidInputException(InvalidUpdate, "$each needs an array of values.", $"{operation.Field}.$each");
        }

        return each.Select(item => item?.DeepClone()).ToList();
    }

    private static Func<JsonNode?, bool> ParsePull(UpdateOperation operation, JsonNode? value)
    {
        if (value is not JsonObject)
        {
            var operand = value?.DeepClone();
            return element => JsonValueOrder.AreEqual(element, operand);
        }

        // An object is a condition on each element, exactly as an $elemMatch operand.
        var condition = FilterParser.ParseElementCondition(JsonSerializer.SerializeToElement(value), location: operation.Field);
        var predicate = FilterMatcher.CompileForValue(condition.Condition);
        return condition.OnElementValue
            ? predicate
            : element => element is JsonObject && predicate(element);
    }

    // As in MongoDB, two operations may not touch the same path or a path and its prefix.
    private static void CheckConflicts(List<UpdateOperation> previous, UpdateOperation operation)
    {
        foreach (var other in previous)
        {
            if (Overlaps(other.Path, operation.Path))
            {
                throw new InvalidInputException(
                    InvalidUpdate,
                    $"Updating '{operation.Path}' conflicts with '{other.Path}' ({OperatorName(other.Operator)}); each path may be changed once.",
                    operation.Field);
            }
        }
    }

    private static bool Overlaps(string a, string b)
    {
        var (shorter, longer) = a.Length <= b.Length ? (a, b) : (b, a);
        return longer.StartsWith(shorter, StringComparison.Ordinal)
            && (longer.Length == shorter.Length || longer[shorter.Length] == '.');
    }
}
