using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Server.Storage.Filters;

/// <summary>
/// Writes a <see cref="FilterNode"/> back in the filter language (DESIGN.md section 4), so a person can read it and
/// <see cref="FilterParser"/> can parse it again into a filter that matches the same documents. Used to show the
/// effective filter a list rule binds to (the rules simulator).
/// </summary>
public static class FilterJson
{
    /// <summary>The filter as a JSON object. <see cref="MatchNoneNode"/> becomes <c>{"_id": {"$in": []}}</c>, which matches nothing.</summary>
    public static JsonObject ToJson(FilterNode filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter switch
        {
            MatchAllNode => [],
            MatchNoneNode => new JsonObject { [SystemFields.Id] = new JsonObject { ["$in"] = new JsonArray() } },
            AndNode and => new JsonObject { ["$and"] = Children(and.Children) },
            OrNode or => new JsonObject { ["$or"] = Children(or.Children) },
            NorNode nor => new JsonObject { ["$nor"] = Children(nor.Children) },
            FieldNode field => new JsonObject { [field.Path] = Operators(field) },
            NotNode not => new JsonObject { [not.Path] = new JsonObject { ["$not"] = Operators(not.Condition) } },
            ElemMatchNode elem => new JsonObject { [elem.Path] = new JsonObject { ["$elemMatch"] = ElemMatchOperand(elem) } },
            _ => throw new ArgumentException($"Unknown filter node {filter.GetType().Name}.", nameof(filter)),
        };
    }

    private static JsonArray Children(IReadOnlyList<FilterNode> children) => new([.. children.Select(c => (JsonNode)ToJson(c))]);

    // The operators of conditions that all apply to one path (a field's own operators, or the operand of $not).
    private static JsonObject Operators(FilterNode condition)
    {
        var result = new JsonObject();
        foreach (var node in condition is AndNode and ? and.Children : [condition])
        {
            switch (node)
            {
                case FieldNode field:
                    result[OperatorName(field.Operator)] = JsonSerializer.SerializeToNode(field.Value);
                    break;
                case ElemMatchNode elem:
                    result["$elemMatch"] = ElemMatchOperand(elem);
                    break;
                case NotNode not:
                    result["$not"] = Operators(not.Condition);
                    break;
                default:
                    throw new ArgumentException($"A {node.GetType().Name} cannot be written as an operator of one field.", nameof(condition));
            }
        }

        return result;
    }

    private static JsonObject ElemMatchOperand(ElemMatchNode elem) => elem.OnElementValue ? Operators(elem.Condition) : ToJson(elem.Condition);

    private static string OperatorName(FieldOperator op) => op switch
    {
        FieldOperator.Eq => "$eq",
        FieldOperator.Ne => "$ne",
        FieldOperator.Gt => "$gt",
        FieldOperator.Gte => "$gte",
        FieldOperator.Lt => "$lt",
        FieldOperator.Lte => "$lte",
        FieldOperator.In => "$in",
        FieldOperator.Nin => "$nin",
        FieldOperator.Exists => "$exists",
        FieldOperator.StartsWith => "$startsWith",
        FieldOperator.Contains => "$contains",
        FieldOperator.ContainsIgnoreCase => "$containsi",
        FieldOperator.Size => "$size",
        FieldOperator.All => "$all",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}
