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
