namespace Platform.Server.Rules;

/// <summary>The operations a collection rule guards (DESIGN.md section 7).</summary>
public enum RuleOperation
{
    List,
    Get,
    Create,
    Update,
    Delete,

    /// <summary>
    /// A callable function's <c>invokeRule</c> (DESIGN.md section 9): reads <c>auth</c>, <c>args</c> and <c>now</c>.
    /// Not a collection operation: <see cref="RuleOperations.TryParse"/> does not accept it.
    /// </summary>
    Invoke,
}

public static class RuleOperations
{
    /// <summary>Reads the operation as it is spelled in a collection definition (<c>list</c>, <c>get</c>, ...).</summary>
    public static bool TryParse(string text, out RuleOperation operation)
    {
        ArgumentNullException.ThrowIfNull(text);
        (var known, operation) = text switch
        {
            "list" => (true, RuleOperation.List),
            "get" => (true, RuleOperation.Get),
            "create" => (true, RuleOperation.Create),
            "update" => (true, RuleOperation.Update),
            "delete" => (true, RuleOperation.Delete),
            _ => (false, RuleOperation.List),
        };
        return known;
    }

    /// <summary>The operation as it is spelled in a collection definition.</summary>
    public static string Name(this RuleOperation operation) => operation switch
    {
        RuleOperation.List => "list",
        RuleOperation.Get => "get",
        RuleOperation.Create => "create",
        RuleOperation.Update => "update",
        RuleOperation.Delete => "delete",
        RuleOperation.Invoke => "invoke",
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };
}
