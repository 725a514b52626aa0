using System.Text.Json.Nodes;

namespace Platform.Server.Rules;

/// <summary>The names a rule can read: <c>args</c> only in an invoke rule (a callable function's guard).</summary>
internal enum RuleRoot
{
    Auth,
    Doc,
    Data,
    Now,
    Args,
}

internal enum RuleOperator
{
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    And,
    Or,
}

/// <summary>
/// How an expression depends on <c>doc</c>, which decides whether it can become a query filter:
/// a value independent of doc is known once auth and now are; a doc field path becomes the path of a
/// field condition; a condition is a boolean over doc fields; anything else (a comparison of two doc
/// values, doc itself, an array holding doc fields) can only be evaluated against one document.
/// </summary>
internal enum RuleShape
{
    Constant,
    DocField,
    Condition,
    DocValue,
}

/// <summary>A node of a parsed rule. <see cref="Position"/> is the 0-based offset of the token that made it.</summary>
internal abstract class RuleExpr(int position, RuleShape shape)
{
    public int Position { get; } = position;

    public RuleShape Shape { get; } = shape;
}

internal sealed class LiteralExpr(int position, JsonNode? value) : RuleExpr(position, RuleShape.Constant)
{
    /// <summary>Shared by every evaluation: read it, never attach it to another node (clone first).</summary>
    public JsonNode? Value { get; } = value;
}

internal sealed class NameExpr(int position, RuleRoot root, IReadOnlyList<string> members)
    : RuleExpr(position, ShapeOf(root, members))
{
    public RuleRoot Root { get; } = root;

    public IReadOnlyList<string> Members { get; } = members;

    /// <summary>The dot path of a doc field (<c>owner.name</c>).</summary>
    public string Path => string.Join('.', Members);

    private static RuleShape ShapeOf(RuleRoot root, IReadOnlyList<string> members) => root switch
    {
        RuleRoot.Doc when members.Count > 0 => RuleShape.DocField,
        RuleRoot.Doc => RuleShape.DocValue,
        _ => RuleShape.Constant,
    };
}

internal sealed class ArrayExpr(int position, IReadOnlyList<RuleExpr> items)
    : RuleExpr(position, items.All(i => i.Shape == RuleShape.Constant) ? RuleShape.Constant : RuleShape.DocValue)
{
    public IReadOnlyList<RuleExpr> Items { get; } = items;
}

internal sealed class NotExpr(int position, RuleExpr operand) : RuleExpr(position, operand.Shape switch
{
    RuleShape.Constant => RuleShape.Constant,
    RuleShape.DocValue => RuleShape.DocValue,
    _ => RuleShape.Condition,
})
{
    public RuleExpr Operand { get; } = operand;
}

internal sealed class BinaryExpr(int position, RuleOperator op, RuleExpr left, RuleExpr right)
    : RuleExpr(position, ShapeOf(op, left.Shape, right.Shape))
{
    public RuleOperator Operator { get; } = op;

    public RuleExpr Left { get; } = left;

    public RuleExpr Right { get; } = right;

    public bool IsLogical => Operator is RuleOperator.And or RuleOperator.Or;

    private static RuleShape ShapeOf(RuleOperator op, RuleShape left, RuleShape right)
    {
        if (left == RuleShape.Constant && right == RuleShape.Constant)
        {
            return RuleShape.Constant;
        }

        if (left == RuleShape.DocValue || right == RuleShape.DocValue)
        {
            return RuleShape.DocValue;
        }

        if (op is RuleOperator.And or RuleOperator.Or)
        {
            return RuleShape.Condition;
        }

        // A comparison becomes a field condition only with doc on one side and a doc-free value on the other.
        return left == RuleShape.Constant || right == RuleShape.Constant ? RuleShape.Condition : RuleShape.DocValue;
    }
}
