using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Rules;

/// <summary>
/// Evaluates a rule against one context. Never throws for data: a missing member, a member of a
/// non-object or a signed-out <c>auth</c> reads as null. See docs/rules.md for the semantics; in short:
/// only <c>true</c> is true; <c>==</c> is deep equality with numbers by value; ordering holds only
/// between two numbers or two strings; a comparison of a doc field with a value that does not depend
/// on doc is a field condition with the query language's semantics (an array field matches when the
/// array or any element does, missing equals null), so that it agrees with the list filter.
/// </summary>
internal sealed class RuleEvaluator(RuleContext context)
{
    private readonly JsonObject _doc = context.Doc ?? [];

    public bool Test(RuleExpr expression) => expression.Shape == RuleShape.DocField
        ? FieldEquals(Resolve(((NameExpr)expression).Members), JsonValue.Create(true))
        : IsTrue(Value(expression));

    public JsonNode? Value(RuleExpr expression)
    {
        switch (expression)
        {
            case LiteralExpr literal:
                return literal.Value;
            case NameExpr name:
                return Read(name);
            case ArrayExpr array:
                return new JsonArray(array.Items.Select(item => Value(item)?.DeepClone()).ToArray());
            case NotExpr not:
                return JsonValue.Create(!Test(not.Operand));
            case BinaryExpr { Operator: RuleOperator.And } and:
                return JsonValue.Create(Test(and.Left) && Test(and.Right));
            case BinaryExpr { Operator: RuleOperator.Or } or:
                return JsonValue.Create(Test(or.Left) || Test(or.Right));
            case BinaryExpr comparison:
                return JsonValue.Create(Compare(comparison));
            default:
                throw new InvalidOperationException($"Unknown rule node {expression.GetType().Name}.");
        }
    }

    public static bool IsTrue(JsonNode? value) => value is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    /// <summary>Comparison of two values already known (no doc field condition involved).</summary>
    public static bool CompareValues(RuleOperator op, JsonNode? left, JsonNode? right) => op switch
    {
        RuleOperator.Eq => JsonValueOrder.AreEqual(left, right),
        RuleOperator.Ne => !JsonValueOrder.AreEqual(left, right),
        RuleOperator.In => right is JsonArray array && array.Any(item => JsonValueOrder.AreEqual(left, item)),
        _ => IsOrderable(left, right) && Accepts(op, JsonValueOrder.Compare(left, right)),
    };

    /// <summary>Ordering is defined only between two numbers or two strings.</summary>
    public static bool IsOrderable(JsonNode? left, JsonNode? right)
    {
        var rank = JsonValueOrder.TypeRank(left);
        return rank is 2 or 3 && rank == JsonValueOrder.TypeRank(right);
    }

    public static bool Accepts(RuleOperator op, int comparison) => op switch
    {
        RuleOperator.Lt => comparison < 0,
        RuleOperator.Le => comparison <= 0,
        RuleOperator.Gt => comparison > 0,
        RuleOperator.Ge => comparison >= 0,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private bool Compare(BinaryExpr comparison)
    {
        if (comparison.Left.Shape == RuleShape.DocField && comparison.Right.Shape == RuleShape.Constant)
        {
            return FieldCompare(Resolve(((NameExpr)comparison.Left).Members), comparison.Operator, Value(comparison.Right), docOnLeft: true);
        }

        if (comparison.Right.Shape == RuleShape.DocField && comparison.Left.Shape == RuleShape.Constant)
        {
            return FieldCompare(Resolve(((NameExpr)comparison.Right).Members), comparison.Operator, Value(comparison.Left), docOnLeft: false);
        }

        return CompareValues(comparison.Operator, Value(comparison.Left), Value(comparison.Right));
    }

    private static bool FieldCompare(FieldValues field, RuleOperator op, JsonNode? value, bool docOnLeft)
    {
        switch (op)
        {
            case RuleOperator.Eq:
                return FieldEquals(field, value);
            case RuleOperator.Ne:
                return !FieldEquals(field, value);
            case RuleOperator.In when docOnLeft:
                return value is JsonArray array && array.Any(item => FieldEquals(field, item));
            case RuleOperator.In:
                return FieldEquals(field, value);
            default:
                var rank = JsonValueOrder.TypeRank(value);
                return rank is 2 or 3 && field.Candidates().Any(candidate =>
                    JsonValueOrder.TypeRank(candidate) == rank
                    && Accepts(op, docOnLeft ? JsonValueOrder.Compare(candidate, value) : JsonValueOrder.Compare(value, candidate)));
        }
    }

    private static bool FieldEquals(FieldValues field, JsonNode? value) => value is null
        ? field.Missing || field.Candidates().Any(candidate => candidate is null)
        : field.Candidates().Any(candidate => JsonValueOrder.AreEqual(candidate, value));

    private JsonNode? Read(NameExpr name)
    {
        JsonNode? current = name.Root switch
        {
            RuleRoot.Auth => context.Auth,
            RuleRoot.Doc => _doc,
            RuleRoot.Data => context.Data,
            RuleRoot.Args => context.Args,
            _ => context.Now is null ? null : JsonValue.Create(context.Now),
        };
        foreach (var member in name.Members)
        {
            current = current is JsonObject obj && obj.TryGetPropertyValue(member, out var child) ? child : null;
        }

        return current;
    }

    // The values a field condition is tried against, found as the query language finds them: a path
    // continues into every object element of an array it meets; an array at the end offers itself and its elements.
    private FieldValues Resolve(IReadOnlyList<string> path)
    {
        var values = new FieldValues();
        Walk(_doc, path, 0, values);
        return values;
    }

    private static void Walk(JsonNode? node, IReadOnlyList<string> path, int index, FieldValues values)
    {
        if (index == path.Count)
        {
            values.Present.Add(node);
            return;
        }

        switch (node)
        {
            case JsonObject obj when obj.TryGetPropertyValue(path[index], out var child):
                Walk(child, path, index + 1, values);
                break;
            case JsonArray array:
                foreach (var element in array.OfType<JsonObject>())
                {
                    Walk(element, path, index, values);
                }

                break;
            default:
                values.Missing = true;
                break;
        }
    }

    private sealed class FieldValues
    {
        public List<JsonNode?> Present { get; } = [];

        public bool Missing { get; set; }

        public IEnumerable<JsonNode?> Candidates()
        {
            foreach (var value in Present)
            {
                yield return value;
                if (value is JsonArray array)
                {
                    foreach (var element in array)
                    {
                        yield return element;
                    }
                }
            }
        }
    }
}
