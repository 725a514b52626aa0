using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Rules;

/// <summary>
/// Partial evaluation: with everything but <c>doc</c> known, reduces a rule to a filter over doc fields.
/// Doc-free parts are evaluated and folded to <see cref="MatchAllNode"/>/<see cref="MatchNoneNode"/>;
/// <c>doc.f op value</c> becomes a <see cref="FieldNode"/>; <c>!</c> becomes <see cref="NorNode"/>.
/// For every document, the filter matches exactly when <see cref="RuleEvaluator"/> says true.
/// </summary>
internal sealed class RuleFilterBuilder(RuleContext context)
{
    private readonly RuleEvaluator _constants = new(new RuleContext { Auth = context.Auth, Data = context.Data, Now = context.Now });

    public FilterNode Build(RuleExpr expression)
    {
        switch (expression.Shape)
        {
            case RuleShape.Constant:
                return _constants.Test(expression) ? MatchAllNode.Instance : MatchNoneNode.Instance;
            case RuleShape.DocField:
                return Field(((NameExpr)expression).Path, FieldOperator.Eq, JsonValue.Create(true));
            case RuleShape.DocValue:
                throw new InvalidOperationException("This rule compares doc values with each other and cannot become a filter.");
        }

        switch (expression)
        {
            case NotExpr not:
                return Negate(Build(not.Operand));
            case BinaryExpr { Operator: RuleOperator.And } and:
            {
                var left = Build(and.Left);
                return left is MatchNoneNode ? left : Both(left, Build(and.Right));
            }

            case BinaryExpr { Operator: RuleOperator.Or } or:
            {
                var left = Build(or.Left);
                return left is MatchAllNode ? left : Either(left, Build(or.Right));
            }

            case BinaryExpr comparison when comparison.Left.Shape == RuleShape.Constant:
                return Compare(comparison.Right, comparison.Operator, _constants.Value(comparison.Left), sideOnLeft: false);
            case BinaryExpr comparison:
                return Compare(comparison.Left, comparison.Operator, _constants.Value(comparison.Right), sideOnLeft: true);
            default:
                throw new InvalidOperationException($"Unexpected rule node {expression.GetType().Name}.");
        }
    }

    // side is a doc field or a condition; value is what it is compared with.
    private FilterNode Compare(RuleExpr side, RuleOperator op, JsonNode? value, bool sideOnLeft)
    {
        if (side.Shape == RuleShape.Condition)
        {
            // A condition is a boolean per document: the comparison holds for the documents where it is
            // true, where it is false, both, or neither.
            var condition = Build(side);
            var whenTrue = sideOnLeft ? RuleEvaluator.CompareValues(op, JsonValue.Create(true), value) : RuleEvaluator.CompareValues(op, value, JsonValue.Create(true));
            var whenFalse = sideOnLeft ? RuleEvaluator.CompareValues(op, JsonValue.Create(false), value) : RuleEvaluator.CompareValues(op, value, JsonValue.Create(false));
            return (whenTrue, whenFalse) switch
            {
                (true, true) => MatchAllNode.Instance,
                (true, false) => condition,
                (false, true) => Negate(condition),
                _ => MatchNoneNode.Instance,
            };
        }

        var path = ((NameExpr)side).Path;
        switch (op)
        {
            case RuleOperator.Eq:
                return Field(path, FieldOperator.Eq, value);
            case RuleOperator.Ne:
                return Field(path, FieldOperator.Ne, value);
            case RuleOperator.In when sideOnLeft:
                return value is JsonArray { Count: > 0 } ? Field(path, FieldOperator.In, value) : MatchNoneNode.Instance;
            case RuleOperator.In:
                // "x" in doc.tags: an equality on the array field matches when any element equals x.
                return Field(path, FieldOperator.Eq, value);
            default:
                if (JsonValueOrder.TypeRank(value) is not (2 or 3))
                {
                    return MatchNoneNode.Instance;
                }

                var fieldOperator = (op, sideOnLeft) switch
                {
                    (RuleOperator.Lt, true) or (RuleOperator.Gt, false) => FieldOperator.Lt,
                    (RuleOperator.Le, true) or (RuleOperator.Ge, false) => FieldOperator.Lte,
                    (RuleOperator.Gt, true) or (RuleOperator.Lt, false) => FieldOperator.Gt,
                    _ => FieldOperator.Gte,
                };
                return Field(path, fieldOperator, value);
        }
    }

    private static FieldNode Field(string path, FieldOperator op, JsonNode? value)
    {
        using var document = JsonDocument.Parse(value?.ToJsonString() ?? "null");
        return new FieldNode(path, op, document.RootElement.Clone());
    }

    public static FilterNode Negate(FilterNode filter) => filter switch
    {
        MatchAllNode => MatchNoneNode.Instance,
        MatchNoneNode => MatchAllNode.Instance,
        NorNode { Children.Count: 1 } nor => nor.Children[0],
        NorNode nor => new OrNode(nor.Children),
        OrNode any => new NorNode(any.Children),
        _ => new NorNode([filter]),
    };

    private static FilterNode Both(FilterNode left, FilterNode right) => (left, right) switch
    {
        (MatchNoneNode, _) or (_, MatchNoneNode) => MatchNoneNode.Instance,
        (MatchAllNode, _) => right,
        (_, MatchAllNode) => left,
        _ => new AndNode([.. left is AndNode l ? l.Children : [left], .. right is AndNode r ? r.Children : [right]]),
    };

    private static FilterNode Either(FilterNode left, FilterNode right) => (left, right) switch
    {
        (MatchAllNode, _) or (_, MatchAllNode) => MatchAllNode.Instance,
        (MatchNoneNode, _) => right,
        (_, MatchNoneNode) => left,
        _ => new OrNode([.. left is OrNode l ? l.Children : [left], .. right is OrNode r ? r.Children : [right]]),
    };
}
