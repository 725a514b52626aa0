using System.Text.Json.Nodes;

namespace Platform.Server.Documents.Updates;

public enum UpdateOperator
{
    Set,
    Unset,
    Inc,
    Mul,
    Min,
    Max,
    Push,
    AddToSet,
    Pull,
    CurrentDate,
}

/// <summary>One operator applied to one path, as parsed by <see cref="UpdateParser"/>.</summary>
/// <param name="Operator">What to do.</param>
/// <param name="Path">The dot path (never a system field).</param>
/// <param name="Value">The operand as given (for <c>$push</c>/<c>$addToSet</c> with <c>$each</c>, the whole operand).</param>
public sealed record UpdateOperation(UpdateOperator Operator, string Path, JsonNode? Value)
{
    /// <summary>The values to add, for <c>$push</c> and <c>$addToSet</c> (the <c>$each</c> list, or the single value).</summary>
    public IReadOnlyList<JsonNode?> Items { get; init; } = [];

    /// <summary>For <c>$pull</c>: which array elements to remove.</summary>
    internal Func<JsonNode?, bool>? Removes { get; init; }

    /// <summary>The location used in errors, e.g. <c>$inc.count</c>.</summary>
    public string Field => $"{UpdateParser.OperatorName(Operator)}.{Path}";
}

/// <summary>A parsed operator update: its operations, in the order given, on non-overlapping paths.</summary>
public sealed record UpdateDefinition(IReadOnlyList<UpdateOperation> Operations);
