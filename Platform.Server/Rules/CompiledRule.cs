using Platform.Server.Storage.Filters;

namespace Platform.Server.Rules;

/// <summary>A rule parsed and checked once (<c>RuleCompiler.Compile</c>), evaluated many times. Thread-safe.</summary>
public sealed class CompiledRule
{
    private readonly RuleExpr _expression;

    internal CompiledRule(RuleOperation operation, string text, RuleExpr expression)
    {
        Operation = operation;
        Text = text;
        _expression = expression;
    }

    /// <summary>The operation the rule was compiled for, which decided the names it may use.</summary>
    public RuleOperation Operation { get; }

    /// <summary>The rule as written.</summary>
    public string Text { get; }

    /// <summary>
    /// True when the rule can become a query filter (<see cref="ToFilter"/>): it compares doc fields only
    /// with values that do not depend on doc. Always true for list rules, which are rejected otherwise.
    /// </summary>
    public bool IsFilterable => _expression.Shape != RuleShape.DocValue;

    /// <summary>Whether the rule allows the operation in this context (get, create, update, delete).</summary>
    public bool Evaluate(RuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new RuleEvaluator(context).Test(_expression);
    }

    /// <summary>
    /// Partial evaluation for list (and realtime): binds <c>auth</c>, <c>now</c> (and <c>data</c>, unused by
    /// list rules) from <paramref name="context"/>, ignores its <c>Doc</c>, and returns the filter of the
    /// documents the rule allows. For every document d, <c>FilterMatcher.Matches(ToFilter(c), d)</c> equals
    /// <c>Evaluate(c with Doc = d)</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The rule is not <see cref="IsFilterable"/>.</exception>
    public FilterNode ToFilter(RuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!IsFilterable)
        {
            throw new InvalidOperationException($"The {Operation.Name()} rule '{Text}' compares doc values with each other and cannot become a filter.");
        }

        return new RuleFilterBuilder(context).Build(_expression);
    }

    public override string ToString() => Text;
}
