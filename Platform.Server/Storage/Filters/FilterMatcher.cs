using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Server.Storage.Filters;

/// <summary>
/// Evaluates a <see cref="FilterNode"/> against documents in memory with MongoDB's semantics. It is the
/// reference the storage providers are tested against (the filter corpus) and evaluates filters where no
/// database is involved (realtime subscriptions, <c>$pull</c> conditions).
/// <list type="bullet">
/// <item>A dot path descends through objects; where it meets an array it continues into every element
/// that is an object (arrays directly inside arrays are not entered); a numeric segment also indexes
/// the array. A path that ends on an array offers the array itself and each of its elements.</item>
/// <item>A path that does not resolve is missing; missing equals null for <c>$eq</c>/<c>$in</c>
/// (so <c>$ne null</c>, <c>$nin [null]</c> exclude it), <c>$gte null</c> and <c>$lte null</c>.</item>
/// <item><c>$ne</c>, <c>$nin</c> and <c>$not</c> are the negations of <c>$eq</c>, <c>$in</c> and their
/// condition, so they match documents where the field is missing.</item>
/// <item><c>$gt</c>, <c>$gte</c>, <c>$lt</c>, <c>$lte</c> only match values in the operand's type bracket
/// (<see cref="JsonValueOrder.TypeRank(JsonElement)"/>).</item>
/// <item>The string operators match string values only; <c>$containsi</c> compares ignoring case (ordinal).</item>
/// <item><c>$size</c> and <c>$elemMatch</c> apply to arrays found at the path, not to their elements;
/// <c>$all</c> holds when every listed value satisfies <c>$eq</c>, and never for an empty list.</item>
/// </list>
/// </summary>
public static class FilterMatcher
{
    /// <summary>True when <paramref name="document"/> matches <paramref name="filter"/>.</summary>
    public static bool Matches(FilterNode filter, JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return Compile(filter)(document);
    }

    /// <summary>Prepares a filter for evaluation against many documents (operands are converted once).</summary>
    public static Func<JsonObject, bool> Compile(FilterNode filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var predicate = CompileNode(filter);
        return document => predicate(document);
    }

    /// <summary>
    /// Prepares a filter evaluated against any JSON value: used for conditions relative to an array
    /// element, where field nodes with an empty path apply to the value itself.
    /// </summary>
    public static Func<JsonNode?, bool> CompileForValue(FilterNode filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return CompileNode(filter);
    }

    private static Func<JsonNode?, bool> CompileNode(FilterNode node)
    {
        switch (node)
        {
            case MatchAllNode:
                return _ => true;
            case MatchNoneNode:
                return _ => false;
            case AndNode and:
                {
                    var children = and.Children.Select(CompileNode).ToArray();
                    return root => Array.TrueForAll(children, c => c(root));
                }

            case OrNode or:
                {
                    var children = or.Children.Select(CompileNode).ToArray();
                    return root => Array.Exists(children, c => c(root));
                }

            case NorNode nor:
                {
                    var children = nor.Children.Select(CompileNode).ToArray();
                    return root => !Array.Exists(children, c => c(root));
                }

            case NotNode not:
                {
                    var condition = CompileNode(not.Condition);
                    return root => !condition(root);
                }

            case ElemMatchNode elemMatch:
                return CompileElemMatch(elemMatch);
            case FieldNode field:
                return CompileField(field);
            default:
                throw new ArgumentException($"Unsupported filter node {node.GetType().Name}.", nameof(node));
        }
    }

    private static Func<JsonNode?, bool> CompileElemMatch(ElemMatchNode node)
    {
        var condition = CompileNode(node.Condition);
        var path = SplitPath(node.Path);
        var onValue = node.OnElementValue;
        return root =>
        {
            foreach (var leaf in Resolve(root, path).Present)
            {
                if (leaf is not JsonArray array)
                {
                    continue;
                }

                foreach (var element in array)
                {
                    if ((onValue || element is JsonObject) && condition(element))
                    {
                        return true;
                    }
                }
            }

            return false;
        };
    }

    private static Func<JsonNode?, bool> CompileField(FieldNode node)
    {
        var path = SplitPath(node.Path);
        Func<Leaves, bool> test = node.Operator switch
        {
            FieldOperator.Eq => EqualsTest(JsonValueOrder.ToNode(node.Value)),
            FieldOperator.Ne => Negate(EqualsTest(JsonValueOrder.ToNode(node.Value))),
            FieldOperator.In => InTest(node.Value),
            FieldOperator.Nin => Negate(InTest(node.Value)),
            FieldOperator.Gt => ComparisonTest(node.Value, c => c > 0),
            FieldOperator.Gte => ComparisonTest(node.Value, c => c >= 0),
            FieldOperator.Lt => ComparisonTest(node.Value, c => c < 0),
            FieldOperator.Lte => ComparisonTest(node.Value, c => c <= 0),
            FieldOperator.Exists => ExistsTest(node.Value.ValueKind == JsonValueKind.True),
            FieldOperator.StartsWith => StringTest(node.Value.GetString()!, (value, operand) => value.StartsWith(operand, StringComparison.Ordinal)),
            FieldOperator.Contains => StringTest(node.Value.GetString()!, (value, operand) => value.Contains(operand, StringComparison.Ordinal)),
            FieldOperator.ContainsIgnoreCase => StringTest(node.Value.GetString()!, (value, operand) => value.Contains(operand, StringComparison.OrdinalIgnoreCase)),
            FieldOperator.Size => SizeTest(node.Value.GetInt64()),
            FieldOperator.All => AllTest(node.Value),
            _ => throw new ArgumentException($"Unsupported operator {node.Operator}.", nameof(node)),
        };
        return root => test(Resolve(root, path));
    }

    private static Func<Leaves, bool> Negate(Func<Leaves, bool> test) => leaves => !test(leaves);

    private static Func<Leaves, bool> EqualsTest(JsonNode? operand)
    {
        if (operand is null)
        {
            return leaves => leaves.Missing || Candidates(leaves).Any(c => c is null);
        }

        return leaves => Candidates(leaves).Any(c => JsonValueOrder.AreEqual(c, operand));
    }

    private static Func<Leaves, bool> InTest(JsonElement operand)
    {
        var tests = operand.EnumerateArray().Select(v => EqualsTest(JsonValueOrder.ToNode(v))).ToArray();
        return leaves => Array.Exists(tests, t => t(leaves));
    }

    private static Func<Leaves, bool> AllTest(JsonElement operand)
    {
        var tests = operand.EnumerateArray().Select(v => EqualsTest(JsonValueOrder.ToNode(v))).ToArray();
        return leaves => tests.Length > 0 && Array.TrueForAll(tests, t => t(leaves));
    }

    private static Func<Leaves, bool> ComparisonTest(JsonElement operandElement, Func<int, bool> accept)
    {
        var operand = JsonValueOrder.ToNode(operandElement);
        var rank = JsonValueOrder.TypeRank(operand);
        return leaves =>
        {
            if (rank == 1 && leaves.Missing && accept(0))
            {
                return true;
            }

            foreach (var candidate in Candidates(leaves))
            {
                if (JsonValueOrder.TypeRank(candidate) == rank && accept(JsonValueOrder.Compare(candidate, operand)))
                {
                    return true;
                }
            }

            return false;
        };
    }

    private static Func<Leaves, bool> ExistsTest(bool shouldExist) =>
        leaves => leaves.Present.Count > 0 == shouldExist;

    private static Func<Leaves, bool> StringTest(string operand, Func<string, string, bool> test) =>
        leaves => Candidates(leaves).Any(c => c is JsonValue value && value.GetValueKind() == JsonValueKind.String && test(value.GetValue<string>(), operand));

    private static Func<Leaves, bool> SizeTest(long size) =>
        leaves => leaves.Present.Exists(leaf => leaf is JsonArray array && array.Count == size);

    // The values a condition is tried against: each value at the path, and the elements of those that are arrays.
    private static IEnumerable<JsonNode?> Candidates(Leaves leaves)
    {
        foreach (var leaf in leaves.Present)
        {
            yield return leaf;
            if (leaf is JsonArray array)
            {
                foreach (var element in array)
                {
                    yield return element;
                }
            }
        }
    }

    private static string[] SplitPath(string path) => path.Length == 0 ? [] : path.Split('.');

    private static Leaves Resolve(JsonNode? root, string[] path)
    {
        var leaves = new Leaves();
        Walk(root, path, 0, leaves);
        return leaves;
    }

    private static void Walk(JsonNode? node, string[] path, int index, Leaves leaves)
    {
        if (index == path.Length)
        {
            leaves.Present.Add(node);
            return;
        }

        var segment = path[index];
        switch (node)
        {
            case JsonObject obj:
                if (obj.TryGetPropertyValue(segment, out var child))
                {
                    Walk(child, path, index + 1, leaves);
                }
                else
                {
                    leaves.Missing = true;
                }

                break;
            case JsonArray array:
                if (JsonValueOrder.TryParseIndex(segment, out var position))
                {
                    if (position < array.Count)
                    {
                        Walk(array[position], path, index + 1, leaves);
                    }
                    else
                    {
                        leaves.Missing = true;
                    }

                    break;
                }

                foreach (var element in array)
                {
                    if (element is JsonObject)
                    {
                        Walk(element, path, index, leaves);
                    }
                }

                break;
            default:
                leaves.Missing = true;
                break;
        }
    }

    private sealed class Leaves
    {
        public List<JsonNode?> Present { get; } = [];

        public bool Missing { get; set; }
    }
}
