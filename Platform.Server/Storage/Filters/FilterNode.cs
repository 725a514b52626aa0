using System.Text.Json;

namespace Platform.Server.Storage.Filters;

/// <summary>
/// A parsed filter: the provider-neutral tree that every storage provider translates and the
/// in-memory matcher evaluates. Semantics follow MongoDB's query language (DESIGN.md section 4):
/// a condition on a path matches when the value at the path matches, or, when that value (or a
/// value on the way) is an array, when any element matches; missing values behave as null for
/// <c>$eq null</c>, <c>$ne</c>, <c>$nin</c> and <c>$not</c>.
/// </summary>
public abstract record FilterNode;

/// <summary>Matches every document (the empty filter <c>{}</c>).</summary>
public sealed record MatchAllNode : FilterNode
{
    public static readonly MatchAllNode Instance = new();
}

/// <summary>Matches no document (used when a rule reduces to false).</summary>
public sealed record MatchNoneNode : FilterNode
{
    public static readonly MatchNoneNode Instance = new();
}

/// <summary>All children match (<c>$and</c>, or several keys in one filter object).</summary>
public sealed record AndNode(IReadOnlyList<FilterNode> Children) : FilterNode;

/// <summary>At least one child matches (<c>$or</c>).</summary>
public sealed record OrNode(IReadOnlyList<FilterNode> Children) : FilterNode;

/// <summary>No child matches (<c>$nor</c>).</summary>
public sealed record NorNode(IReadOnlyList<FilterNode> Children) : FilterNode;

/// <summary>
/// Field-level <c>$not</c>: the document matches when <see cref="Condition"/> (a condition on
/// <see cref="Path"/>) does not, which includes documents where the field is missing.
/// </summary>
public sealed record NotNode(string Path, FilterNode Condition) : FilterNode;

/// <summary>One operator applied to the value at a dot path.</summary>
/// <param name="Path">Dot path, e.g. <c>address.city</c> or <c>items.0.sku</c>.</param>
/// <param name="Operator">The comparison.</param>
/// <param name="Value">
/// The operand: a scalar, object or array for comparisons, an array for <c>$in</c>/<c>$nin</c>/<c>$all</c>,
/// a boolean for <c>$exists</c>, a non-negative integer for <c>$size</c>, a string for the string operators.
/// </param>
public sealed record FieldNode(string Path, FieldOperator Operator, JsonElement Value) : FilterNode;

/// <summary>
/// <c>$elemMatch</c>: the value at <see cref="Path"/> is an array with at least one element for which
/// <see cref="Condition"/> holds. When <see cref="OnElementValue"/> is true the condition's field nodes
/// have an empty path and apply to the element itself (<c>{"scores": {"$elemMatch": {"$gt": 80}}}</c>);
/// otherwise paths are relative to each element, which must be an object.
/// </summary>
public sealed record ElemMatchNode(string Path, FilterNode Condition, bool OnElementValue) : FilterNode;

public enum FieldOperator
{
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    Nin,
    Exists,
    /// <summary>String prefix, case-sensitive, literal.</summary>
    StartsWith,
    /// <summary>Substring, case-sensitive, literal (<c>%</c> and <c>_</c> are plain characters).</summary>
    Contains,
    /// <summary>Substring ignoring case (ordinal, invariant).</summary>
    ContainsIgnoreCase,
    /// <summary>The value is an array of exactly this many elements.</summary>
    Size,
    /// <summary>The value is an array containing every listed value.</summary>
    All,
}
