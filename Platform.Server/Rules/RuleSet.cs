namespace Platform.Server.Rules;

/// <summary>
/// A collection's rules, compiled once per definition: one <see cref="CompiledRule"/> per operation that
/// has a rule, none for an operation without (which clients may not perform). Thread-safe.
/// </summary>
public sealed class RuleSet
{
    private readonly CompiledRule?[] _rules = new CompiledRule?[Enum.GetValues<RuleOperation>().Length];

    private RuleSet()
    {
    }

    /// <summary>No rules at all: every operation is for service keys and admins only.</summary>
    public static RuleSet Empty { get; } = new();

    /// <summary>Compiles rules as written in a collection definition (<c>list</c>, <c>get</c>, ...).</summary>
    /// <exception cref="Common.InvalidInputException">A rule does not compile (code <c>invalid_rule</c>).</exception>
    public static RuleSet Compile(IReadOnlyDictionary<string, string> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Count == 0)
        {
            return Empty;
        }

        var set = new RuleSet();
        foreach (var (operation, text) in rules)
        {
            var compiled = RuleCompiler.Compile(operation, text);
            set._rules[(int)compiled.Operation] = compiled;
        }

        return set;
    }

    /// <summary>The rule for <paramref name="operation"/>, or null when the definition has none.</summary>
    public CompiledRule? this[RuleOperation operation] => _rules[(int)operation];
}
