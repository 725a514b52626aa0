using Platform.Server.Common;

namespace Platform.Server.Rules;

/// <summary>
/// Compiles rule expressions (DESIGN.md section 7, docs/rules.md) for one operation, checking what the
/// operation may read: <c>list</c> auth, doc, now (and it must be expressible as a query filter);
/// <c>get</c> and <c>delete</c> auth, doc, now; <c>update</c> auth, doc, data, now; <c>create</c> auth, data, now.
/// </summary>
public static class RuleCompiler
{
    /// <summary>Parses and checks a rule.</summary>
    /// <exception cref="InvalidInputException">
    /// Code <c>invalid_rule</c>, <see cref="DomainException.Field"/> <c>rules.&lt;operation&gt;</c>, and
    /// <see cref="DomainException.Position"/> the 0-based character offset of the problem.
    /// </exception>
    public static CompiledRule Compile(RuleOperation operation, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (operation == RuleOperation.Invoke)
        {
            return CompileInvoke(text);
        }

        var field = $"rules.{operation.Name()}";
        var expression = RuleParser.Parse(text, field);
        CheckNames(expression, operation, field);
        if (operation == RuleOperation.List && expression.Shape == RuleShape.DocValue)
        {
            var (message, position) = FindUnfilterable(expression);
            throw RuleParser.Error(field, message, position);
        }

        return new CompiledRule(operation, text, expression);
    }

    /// <summary>
    /// Compiles a callable function's <c>invokeRule</c> (DESIGN.md section 9): the rules language over
    /// <c>auth</c>, <c>args</c> (the call's arguments, any JSON) and <c>now</c>; <c>doc</c> and <c>data</c> do not exist here.
    /// </summary>
    /// <exception cref="InvalidInputException">
    /// Code <c>invalid_rule</c>, <see cref="DomainException.Field"/> <paramref name="field"/>, and the 0-based position.
    /// </exception>
    public static CompiledRule CompileInvoke(string text, string field = "callable.invokeRule")
    {
        ArgumentNullException.ThrowIfNull(text);
        var expression = RuleParser.Parse(text, field, invoke: true);
        if (Names(expression).FirstOrDefault(n => n.Root is RuleRoot.Doc or RuleRoot.Data) is { } name)
        {
            var rootName = name.Root == RuleRoot.Doc ? "doc" : "data";
            throw RuleParser.Error(field, $"'{rootName}' is not available in an invoke rule (a call has no document); it can read auth, args and now.", name.Position);
        }

        return new CompiledRule(RuleOperation.Invoke, text, expression);
    }

    /// <summary>Compiles a rule for an operation spelled as in a collection definition (<c>list</c>, ...).</summary>
    public static CompiledRule Compile(string operation, string text)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (!RuleOperations.TryParse(operation, out var parsed))
        {
            throw new InvalidInputException("invalid_rule", $"Unknown rule operation '{operation}' (allowed: list, get, create, update, delete).", $"rules.{operation}");
        }

        return Compile(parsed, text);
    }

    /// <summary>The members of <c>auth</c> (DESIGN.md section 7); anything else would always read as null.</summary>
    public static readonly IReadOnlyList<string> AuthMembers = ["id", "email", "roles", "anonymous", "verified"];

    /// <summary>
    /// Save-time check that a compiled rule reads only <see cref="AuthMembers"/> of <c>auth</c>, and nothing below
    /// them. <c>auth.uid</c> (Firebase's name) would otherwise read as null for everyone, so that
    /// <c>doc.owner == auth.uid</c> held for every visitor on every document without an owner. Not part of
    /// <see cref="Compile(RuleOperation, string)"/>, so rules stored before the check still load.
    /// </summary>
    /// <exception cref="InvalidInputException">Code <c>invalid_rule</c> at the position of the <c>auth</c> name.</exception>
    public static void CheckAuthMembers(string text, string field, bool invoke = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var name in Names(RuleParser.Parse(text, field, invoke)))
        {
            if (name.Root != RuleRoot.Auth || name.Members.Count == 0)
            {
                continue;
            }

            if (!AuthMembers.Contains(name.Members[0]))
            {
                throw RuleParser.Error(field, $"'auth.{name.Members[0]}' is not a field of auth: it has {string.Join(", ", AuthMembers)} ('auth.id' is the user id).", name.Position);
            }

            if (name.Members.Count > 1)
            {
                throw RuleParser.Error(field, $"'auth.{name.Members[0]}' has no fields (found 'auth.{name.Path}').", name.Position);
            }
        }
    }

    private static void CheckNames(RuleExpr expression, RuleOperation operation, string field)
    {
        foreach (var name in Names(expression))
        {
            var allowed = name.Root switch
            {
                RuleRoot.Doc => operation != RuleOperation.Create,
                RuleRoot.Data => operation is RuleOperation.Create or RuleOperation.Update,
                _ => true,
            };
            if (!allowed)
            {
                var rootName = name.Root == RuleRoot.Doc ? "doc" : "data";
                var available = operation switch
                {
                    RuleOperation.Create => "auth, data, now",
                    RuleOperation.Update => "auth, doc, data, now",
                    _ => "auth, doc, now",
                };
                var why = name.Root == RuleRoot.Doc
                    ? "there is no stored document before a create; use data"
                    : "there is no new document to check";
                throw RuleParser.Error(field, $"'{rootName}' is not available in a {operation.Name()} rule ({why}); it can read {available}.", name.Position);
            }
        }
    }

    private static List<NameExpr> Names(RuleExpr expression)
    {
        // Depth-first in source order, so the first error reported is the leftmost.
        var stack = new Stack<RuleExpr>();
        stack.Push(expression);
        var found = new List<NameExpr>();
        while (stack.Count > 0)
        {
            switch (stack.Pop())
            {
                case NameExpr name:
                    found.Add(name);
                    break;
                case NotExpr not:
                    stack.Push(not.Operand);
                    break;
                case BinaryExpr binary:
                    stack.Push(binary.Right);
                    stack.Push(binary.Left);
                    break;
                case ArrayExpr array:
                    for (var i = array.Items.Count - 1; i >= 0; i--)
                    {
                        stack.Push(array.Items[i]);
                    }

                    break;
            }
        }

        return found;
    }

    // The innermost node that keeps the rule from becoming a filter, with why.
    private static (string Message, int Position) FindUnfilterable(RuleExpr expression)
    {
        while (true)
        {
            switch (expression)
            {
                case NotExpr not:
                    expression = not.Operand;
                    continue;
                case BinaryExpr binary when binary.Left.Shape == RuleShape.DocValue:
                    expression = binary.Left;
                    continue;
                case BinaryExpr binary when binary.Right.Shape == RuleShape.DocValue:
                    expression = binary.Right;
                    continue;
                case ArrayExpr array when array.Items.FirstOrDefault(i => i.Shape == RuleShape.DocValue) is { } inner:
                    expression = inner;
                    continue;
                case ArrayExpr array:
                    return ("A list rule becomes a query filter, so an array in it cannot hold doc fields.", array.Position);
                case NameExpr name:
                    return ("A list rule becomes a query filter: it can read fields of doc (doc.field), not doc as a whole.", name.Position);
                default:
                    return ("A list rule becomes a query filter, so each comparison needs a doc field on one side and a value that does not depend on doc (auth, now, literals) on the other.", expression.Position);
            }
        }
    }
}
