using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Documents.Updates;

/// <summary>
/// Applies an operator update in memory with MongoDB's semantics, the one implementation both storage
/// providers rely on. Paths create missing intermediate objects (numeric segments index arrays, padding with
/// null); <c>$unset</c> and <c>$pull</c> on a missing path do nothing; <c>$inc</c>/<c>$mul</c>/<c>$min</c>/<c>$max</c>
/// set a missing field (<c>$mul</c> to zero); integer arithmetic stays integer (overflow is an error), anything
/// else is a double; <c>$min</c>/<c>$max</c> compare in <see cref="JsonValueOrder"/>; <c>$currentDate</c> writes
/// <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>. Type errors are 400 <c>invalid_update</c> with <c>Field</c> such as
/// <c>$inc.count</c>. The result still has to pass <c>DocumentValidator</c> (field names, depth, size).
/// </summary>
public static class UpdateApplier
{
    /// <summary>Array positions further than this beyond the end are refused rather than padded with nulls.</summary>
    public const int MaxArrayPadding = 10_000;

    /// <summary>Parses and applies <paramref name="update"/>; see <see cref="Apply(UpdateDefinition, JsonObject, DateTimeOffset)"/>.</summary>
    public static JsonObject Apply(JsonObject update, JsonObject current, DateTimeOffset now) =>
        Apply(UpdateParser.Parse(update), current, now);

    /// <summary>A new document: <paramref name="current"/> (left untouched) with the update applied.</summary>
    public static JsonObject Apply(UpdateDefinition update, JsonObject current, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        return ApplyInPlace(update, current.DeepClone().AsObject(), now);
    }

    /// <summary>
    /// Applies <paramref name="update"/> to <paramref name="document"/> itself and returns it: for a caller that owns
    /// the document (its own copy), so a PATCH copies the stored document once. When an operation fails, the document
    /// may be partly updated; the caller discards it. The update's values are copied, never moved, so it can be applied again.
    /// </summary>
    public static JsonObject ApplyInPlace(UpdateDefinition update, JsonObject document, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(document);
        var timestamp = Timestamps.Format(now);
        foreach (var operation in update.Operations)
        {
            ApplyOne(document, operation, timestamp);
        }

        return document;
    }

    private static void ApplyOne(JsonObject root, UpdateOperation operation, string timestamp)
    {
        var segments = operation.Path.Split('.');
        var creates = operation.Operator is not (UpdateOperator.Unset or UpdateOperator.Pull);
        var parent = FindParent(root, segments, creates, operation);
        if (parent is null)
        {
            return;
        }

        var last = segments[^1];
        var exists = TryGetChild(parent, last, creates, operation, out var value);
        switch (operation.Operator)
        {
            case UpdateOperator.Set:
                SetChild(parent, last, operation.Value?.DeepClone(), operation);
                break;
            case UpdateOperator.Unset:
                Remove(parent, last);
                break;
            case UpdateOperator.Inc:
                SetChild(parent, last, exists ? Arithmetic(value, operation, add: true) : operation.Value?.DeepClone(), operation);
                break;
            case UpdateOperator.Mul:
                SetChild(parent, last, exists ? Arithmetic(value, operation, add: false) : ZeroLike(operation), operation);
                break;
            case UpdateOperator.Min or UpdateOperator.Max:
                var comparison = exists ? JsonValueOrder.Compare(operation.Value, value) : 0;
                if (!exists || (operation.Operator == UpdateOperator.Min ? comparison < 0 : comparison > 0))
                {
                    SetChild(parent, last, operation.Value?.DeepClone(), operation);
                }

                break;
            case UpdateOperator.Push or UpdateOperator.AddToSet:
                AddItems(parent, last, exists, value, operation);
                break;
            case UpdateOperator.Pull:
                if (exists)
                {
                    Pull(value, operation);
                }

                break;
            case UpdateOperator.CurrentDate:
                SetChild(parent, last, JsonValue.Create(timestamp), operation);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.Operator, "Unsupported update operator.");
        }
    }

    // The object or array holding the last segment; null when a segment is missing (or not a container)
    // and the operation does not create paths.
    private static JsonNode? FindParent(JsonObject root, string[] segments, bool creates, UpdateOperation operation)
    {
        JsonNode current = root;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            var segment = segments[i];
            if (!TryGetChild(current, segment, creates, operation, out var next))
            {
                if (!creates)
                {
                    return null;
                }

                var created = new JsonObject();
                SetChild(current, segment, created, operation);
                current = created;
                continue;
            }

            if (next is JsonObject or JsonArray)
            {
                current = next;
                continue;
            }

            if (!creates)
            {
                return null;
            }

            throw new InvalidInputException(
                UpdateParser.InvalidUpdate,
                $"Cannot create '{segments[i + 1]}' inside '{string.Join('.', segments[..(i + 1)])}', which is {Describe(next)}.",
                operation.Field);
        }

        return current;
    }

    private static bool TryGetChild(JsonNode container, string segment, bool creates, UpdateOperation operation, out JsonNode? value)
    {
        value = null;
        if (container is JsonObject obj)
        {
            return obj.TryGetPropertyValue(segment, out value);
        }

        var array = (JsonArray)container;
        if (!JsonValueOrder.TryParseIndex(segment, out var index))
        {
            if (creates)
            {
                throw new InvalidInputException(
                    UpdateParser.InvalidUpdate,
                    $"Cannot create field '{segment}' in an array; address array elements by numeric index.",
                    operation.Field);
            }

            return false;
        }

        if (index >= array.Count)
        {
            return false;
        }

        value = array[index];
        return true;
    }

    private static void SetChild(JsonNode container, string segment, JsonNode? value, UpdateOperation operation)
    {
        if (container is JsonObject obj)
        {
            obj[segment] = value;
            return;
        }

        var array = (JsonArray)container;
        if (!JsonValueOrder.TryParseIndex(segment, out var index))
        {
            // Callers resolve the segment with TryGetChild first, which refuses non-numeric array segments.
            throw new InvalidOperationException($"'{segment}' is not an array index.");
        }

        if (index < array.Count)
        {
            array[index] = value;
            return;
        }

        if (index - array.Count > MaxArrayPadding)
        {
            throw new InvalidInputException(
                UpdateParser.InvalidUpdate,
                $"Position {index} is too far beyond the end of the array ({array.Count} elements).",
                operation.Field);
        }

        while (array.Count < index)
        {
            array.Add(null);
        }

        array.Add(value);
    }

    private static void Remove(JsonNode container, string segment)
    {
        if (container is JsonObject obj)
        {
            obj.Remove(segment);
        }
        else if (JsonValueOrder.TryParseIndex(segment, out var index) && index < ((JsonArray)container).Count)
        {
            // As in MongoDB: unsetting an array element leaves null, so positions do not shift.
            ((JsonArray)container)[index] = null;
        }
    }

    private static JsonValue Arithmetic(JsonNode? current, UpdateOperation operation, bool add)
    {
        if (!JsonValueOrder.TryReadNumber(current, out var left))
        {
            throw new InvalidInputException(
                UpdateParser.InvalidUpdate,
                $"Cannot apply {UpdateParser.OperatorName(operation.Operator)} to '{operation.Path}', which is {Describe(current)}.",
                operation.Field);
        }

        JsonValueOrder.TryReadNumber(operation.Value, out var right);
        if (left.IsInteger && right.IsInteger)
        {
            try
            {
                return JsonValue.Create(add ? checked(left.Integer + right.Integer) : checked(left.Integer * right.Integer));
            }
            catch (OverflowException)
            {
                throw Overflow(operation);
            }
        }

        var result = add ? left.Double + right.Double : left.Double * right.Double;
        if (!double.IsFinite(result))
        {
            throw Overflow(operation);
        }

        return JsonValue.Create(result);
    }

    private static JsonValue ZeroLike(UpdateOperation operation)
    {
        JsonValueOrder.TryReadNumber(operation.Value, out var multiplier);
        return multiplier.IsInteger ? JsonValue.Create(0L) : JsonValue.Create(0.0);
    }

    private static InvalidInputException Overflow(UpdateOperation operation) =>
        new(UpdateParser.InvalidUpdate, $"{UpdateParser.OperatorName(operation.Operator)} on '{operation.Path}' overflows.", operation.Field);

    private static void AddItems(JsonNode parent, string last, bool exists, JsonNode? current, UpdateOperation operation)
    {
        JsonArray array;
        if (!exists)
        {
            array = [];
            SetChild(parent, last, array, operation);
        }
        else if (current is JsonArray existing)
        {
            array = existing;
        }
        else
        {
            throw new InvalidInputException(
                UpdateParser.InvalidUpdate,
                $"Cannot apply {UpdateParser.OperatorName(operation.Operator)} to '{operation.Path}', which is {Describe(current)}, not an array.",
                operation.Field);
        }

        foreach (var item in operation.Items)
        {
            if (operation.Operator == UpdateOperator.AddToSet && array.Any(e => JsonValueOrder.AreEqual(e, item)))
            {
                continue;
            }

            array.Add(item?.DeepClone());
        }
    }

    private static void Pull(JsonNode? current, UpdateOperation operation)
    {
        if (current is not JsonArray array)
        {
            throw new InvalidInputException(
                UpdateParser.InvalidUpdate,
                $"Cannot apply $pull to '{operation.Path}', which is {Describe(current)}, not an array.",
                operation.Field);
        }

        for (var i = array.Count - 1; i >= 0; i--)
        {
            if (operation.Removes!(array[i]))
            {
                array.RemoveAt(i);
            }
        }
    }

    private static string Describe(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            _ => "a boolean",
        },
    };
}
