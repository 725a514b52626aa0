using Acornima;
using Acornima.Ast;
using Jint;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// Parses function code as an ES module and checks its shape: a default export that is a function, no
/// imports (a function is one self-contained module). Positions are 1-based, as editors show them.
/// </summary>
internal static class FunctionCode
{
    /// <summary>The module specifier functions are loaded under (it shows in stack frames as <c>(function:line:column)</c>).</summary>
    public const string Specifier = "function";

    /// <summary>Parses <paramref name="code"/>; returns the prepared module, or the errors.</summary>
    public static (Prepared<Acornima.Ast.Module>? Module, IReadOnlyList<CodeError> Errors) Parse(string code, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.Length > maxLength)
        {
            return (null, [new CodeError($"The code is {code.Length} characters long; at most {maxLength} are allowed (Baas:Functions:MaxCodeLength).", 1, 1)]);
        }

        Prepared<Acornima.Ast.Module> prepared;
        try
        {
            prepared = Engine.PrepareModule(code, Specifier);
        }
        catch (ScriptPreparationException ex) when (ex.InnerException is ParseErrorException parse)
        {
            return (null, [new CodeError(parse.Description ?? parse.Message, Math.Max(1, parse.LineNumber), Math.Max(0, parse.Column) + 1)]);
        }

        var errors = new List<CodeError>();
        var hasDefault = false;
        var program = prepared.Program ?? throw new InvalidOperationException("Jint prepared no module.");
        foreach (var statement in program.Body)
        {
            switch (statement)
            {
                case ImportDeclaration:
                case ExportAllDeclaration:
                case ExportNamedDeclaration { Source: not null }:
                    errors.Add(At(statement, "Functions cannot import other modules: a function is one self-contained module."));
                    break;
                case ExportDefaultDeclaration exportDefault:
                    hasDefault = true;
                    if (!MayBeFunction(exportDefault.Declaration, program))
                    {
                        errors.Add(At(statement, "The default export must be a function: export default async function (ctx) { ... }"));
                    }

                    break;
                case ExportNamedDeclaration named:
                    hasDefault |= named.Specifiers.Any(s => s.Exported is Identifier { Name: "default" });
                    break;
            }
        }

        if (!hasDefault)
        {
            errors.Insert(0, new CodeError("The module has no default export: add export default async function (ctx) { ... }", 1, 1));
        }

        return errors.Count == 0 ? (prepared, []) : (null, errors);
    }

    /// <summary>Deepest syntax tree a <see cref="IsBounded"/> module may have: bounds the interpreter's stack on any thread.</summary>
    public const int MaxBoundedDepth = 64;

    /// <summary>
    /// True when a run of <paramref name="program"/> does a bounded amount of work without ever waiting: the module is
    /// one default-exported function with no loops, no calls or <c>new</c> (so no host calls, no recursion, no
    /// <c>await</c> on anything), no other functions, classes, getters or setters (so nothing the engine calls
    /// implicitly is the script's), no assignment into an object (so no cycles), no regular expression or BigInt
    /// literal, and a syntax tree at most <see cref="MaxBoundedDepth"/> deep. Such a run cannot outlast its input and
    /// code size, nest deeper than the tree, or block, so it may run on the caller's thread instead of a run thread
    /// (issue 9, item 10: the two thread hops cost a before trigger more than its script). Anything not listed here is
    /// not bounded: the check is a list of what is allowed, not of what is refused.
    /// </summary>
    public static bool IsBounded(Acornima.Ast.Module program)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (program.Body.Count != 1 || program.Body[0] is not ExportDefaultDeclaration { Declaration: FunctionDeclaration or FunctionExpression or ArrowFunctionExpression } export)
        {
            return false;
        }

        var function = (IFunction)export.Declaration;
        if (function.Generator)
        {
            return false;
        }

        foreach (var parameter in function.Params)
        {
            if (!IsBoundedNode(parameter, 2))
            {
                return false;
            }
        }

        return IsBoundedNode(function.Body, 2);
    }

    /// <summary>
    /// The same module with its default export's <c>async</c> keyword blanked out (five spaces, so every line and column
    /// stays where it was), when <paramref name="module"/> is <see cref="IsBounded"/> and its default export is an
    /// <c>async</c> function that never names itself; otherwise null. Such a function cannot <c>await</c>, call or make
    /// anything, so its body runs to its end synchronously either way, and it returns nothing a promise could adopt (no
    /// functions, so no thenable): the async function's promise only wraps what the plain function returns or throws.
    /// The runtime treats the plain function's outcome as that promise's (<see cref="JintFunctionRuntime"/>), without
    /// the promise, its <c>then</c> and its jobs (issue 9, item 10). A function that names itself is left alone: it
    /// could read its own constructor (<c>AsyncFunction</c>).
    /// </summary>
    public static Prepared<Acornima.Ast.Module>? WithoutAsync(string code, Prepared<Acornima.Ast.Module> module)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (module.Program is not { } program || !IsBounded(program) || ((ExportDefaultDeclaration)program.Body[0]).Declaration is not IFunction { Async: true } function)
        {
            return null;
        }

        if (function.Id is { Name: var self } && NamesItself(function.Body, self))
        {
            return null;
        }

        var start = ((Node)function).Range.Start;
        if (start < 0 || start + 5 > code.Length || string.CompareOrdinal(code, start, "async", 0, 5) != 0)
        {
            return null;
        }

        Prepared<Acornima.Ast.Module> plain;
        try
        {
            plain = Engine.PrepareModule(string.Concat(code.AsSpan(0, start), "     ", code.AsSpan(start + 5)), Specifier);
        }
        catch (ScriptPreparationException)
        {
            return null;
        }

        // The same function, not async, still bounded: anything else keeps the module as written.
        return plain.Program is { } changed && IsBounded(changed)
            && ((ExportDefaultDeclaration)changed.Body[0]).Declaration is IFunction { Async: false, Generator: false } ? plain : null;
    }

    private static bool NamesItself(Node node, string name)
    {
        if (node is Identifier identifier && identifier.Name == name)
        {
            return true;
        }

        foreach (var child in node.ChildNodes)
        {
            if (NamesItself(child, name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsBoundedNode(Node node, int depth)
    {
        if (depth > MaxBoundedDepth)
        {
            return false;
        }

        switch (node)
        {
            case AssignmentExpression assignment when ContainsMember(assignment.Left):
            case UpdateExpression update when ContainsMember(update.Argument):
            case ObjectProperty { Kind: not PropertyKind.Init }:
            case ObjectProperty { Method: true }:
            case VariableDeclaration { Kind: VariableDeclarationKind.Using or VariableDeclarationKind.AwaitUsing }:
                return false;
            case FunctionBody or BlockStatement or ExpressionStatement or ReturnStatement or IfStatement or EmptyStatement
                or VariableDeclaration or VariableDeclarator or ThrowStatement or TryStatement or CatchClause
                or SwitchStatement or SwitchCase or BreakStatement
                or ObjectExpression or ObjectProperty or SpreadElement or ArrayExpression or TemplateLiteral or TemplateElement
                or Identifier or MemberExpression or ChainExpression or ConditionalExpression or LogicalExpression
                or BinaryExpression or UnaryExpression or UpdateExpression or AssignmentExpression or SequenceExpression
                or ParenthesizedExpression or ThisExpression
                or ObjectPattern or ArrayPattern or AssignmentPattern or RestElement or AssignmentProperty
                or StringLiteral or NumericLiteral or BooleanLiteral or NullLiteral:
                break;
            default:
                return false;
        }

        foreach (var child in node.ChildNodes)
        {
            if (!IsBoundedNode(child, depth + 1))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ContainsMember(Node node)
    {
        if (node is MemberExpression)
        {
            return true;
        }

        foreach (var child in node.ChildNodes)
        {
            if (ContainsMember(child))
            {
                return true;
            }
        }

        return false;
    }

    private static CodeError At(Node node, string message) =>
        new(message, node.Location.Start.Line, node.Location.Start.Column + 1);

    /// <summary>False only when the default export is certainly not callable (a literal, an object, a class, ...).</summary>
    private static bool MayBeFunction(StatementOrExpression declaration, Acornima.Ast.Module program) => declaration switch
    {
        FunctionDeclaration or FunctionExpression or ArrowFunctionExpression => true,
        ClassDeclaration or ClassExpression => false,
        Literal or ObjectExpression or ArrayExpression or TemplateLiteral or UnaryExpression or BinaryExpression or UpdateExpression => false,
        Identifier identifier => IdentifierMayBeFunction(identifier.Name, program),
        _ => true,
    };

    private static bool IdentifierMayBeFunction(string name, Acornima.Ast.Module program)
    {
        foreach (var statement in program.Body)
        {
            switch (statement)
            {
                case FunctionDeclaration { Id.Name: var fn } when fn == name:
                    return true;
                case ClassDeclaration { Id.Name: var cls } when cls == name:
                    return false;
                case VariableDeclaration variables:
                    foreach (var declarator in variables.Declarations)
                    {
                        if (declarator.Id is Identifier id && id.Name == name && variables.Kind == VariableDeclarationKind.Const)
                        {
                            return declarator.Init is null || MayBeFunction(declarator.Init, program);
                        }
                    }

                    break;
            }
        }

        return true;
    }
}
