using System.Text.Json;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Realtime;

/// <summary>
/// What matching one change against a compiled subscription filter costs, in abstract units (docs/realtime.md,
/// "Matching cost"). Every live subscription is matched against every change of its collection, so the node
/// bounds the sum per connection (<see cref="RealtimeOptions.MaxConnectionFilterCost"/>) and per filter
/// (<see cref="RealtimeOptions.MaxFilterCost"/>). The weights follow <see cref="FilterMatcher"/>: a comparison is
/// one unit, string scans cost more (a case-insensitive scan most), <c>$in</c>/<c>$nin</c>/<c>$all</c> compare
/// every listed value, <c>$elemMatch</c> runs its condition once per array element, and every path segment after
/// the first may fan out over arrays.
/// </summary>
internal static class FilterCost
{
    public const int Comparison = 1;
    public const int StartsWith = 2;
    public const int Contains = 4;
    public const int ContainsIgnoreCase = 8;

    /// <summary>Listed values of <c>$in</c>, <c>$nin</c> and <c>$all</c> that cost one unit together.</summary>
    public const int ValuesPerUnit = 4;

    /// <summary>What <c>$elemMatch</c> multiplies its condition by (an array is tried element by element).</summary>
    public const int ElemMatchFactor = 4;

    /// <summary>A <c>get</c> rule evaluated for each change of an id subscription.</summary>
    public const int GetRule = 10;

    /// <summary>The cost of one evaluation of <paramref name="filter"/>; saturates at <see cref="int.MaxValue"/>.</summary>
    public static int Of(FilterNode filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return (int)Math.Min(int.MaxValue, Compute(filter, scansOnly: false));
    }

    /// <summary>
    /// The part of <see cref="Of"/> spent scanning strings (<c>$startsWith</c>, <c>$contains</c>, <c>$containsi</c>,
    /// with their <c>$elemMatch</c> factors): the part that grows with the size of the document matched, which the
    /// dispatcher weighs by it (<see cref="Weighted"/>).
    /// </summary>
    public static int ScansOf(FilterNode filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return (int)Math.Min(int.MaxValue, Compute(filter, scansOnly: true));
    }

    /// <summary>
    /// What matching a change of <paramref name="sizeKib"/> KiB costs for a filter of cost <paramref name="cost"/>,
    /// <paramref name="scans"/> of it string scans: the scans count once per KiB of the document.
    /// </summary>
    public static long Weighted(int cost, int scans, int sizeKib) => cost + ((long)scans * Math.Max(0, sizeKib - 1));

    private static long Compute(FilterNode node, bool scansOnly) => node switch
    {
        MatchAllNode or MatchNoneNode => 0,
        AndNode and => Sum(and.Children, scansOnly),
        OrNode or => Sum(or.Children, scansOnly),
        NorNode nor => Sum(nor.Children, scansOnly),
        NotNode not => (scansOnly ? 0 : Comparison) + Compute(not.Condition, scansOnly),
        ElemMatchNode elem => scansOnly
            ? ElemMatchFactor * Compute(elem.Condition, scansOnly)
            : ElemMatchFactor * (1 + Compute(elem.Condition, scansOnly)) + PathCost(elem.Path),
        FieldNode field => scansOnly ? ScanCost(field) : OperatorCost(field) + PathCost(field.Path),
        _ => throw new ArgumentException($"Unknown filter node {node.GetType().Name}.", nameof(node)),
    };

    private static long Sum(IReadOnlyList<FilterNode> children, bool scansOnly)
    {
        long total = 0;
        foreach (var child in children)
        {
            total += Compute(child, scansOnly);
        }

        return total;
    }

    private static long ScanCost(FieldNode field) => field.Operator switch
    {
        FieldOperator.StartsWith => StartsWith,
        FieldOperator.Contains => Contains,
        FieldOperator.ContainsIgnoreCase => ContainsIgnoreCase,
        _ => 0,
    };

    private static long OperatorCost(FieldNode field) => field.Operator switch
    {
        FieldOperator.StartsWith => StartsWith,
        FieldOperator.Contains => Contains,
        FieldOperator.ContainsIgnoreCase => ContainsIgnoreCase,
        FieldOperator.In or FieldOperator.Nin or FieldOperator.All => Comparison + ListedValues(field.Value),
        _ => Comparison,
    };

    private static long ListedValues(JsonElement values) =>
        values.ValueKind == JsonValueKind.Array ? (values.GetArrayLength() + ValuesPerUnit - 1) / ValuesPerUnit : 0;

    // "a.b.c" resolves through up to two nested arrays: one unit per segment after the first.
    private static long PathCost(string path) => path.Length == 0 ? 0 : path.AsSpan().Count('.');
}
