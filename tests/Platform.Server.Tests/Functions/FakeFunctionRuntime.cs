using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Platform.Server.Functions;

namespace Platform.Server.Tests.Functions;

/// <summary>
/// A stand-in for the Jint runtime, driven by C# delegates: <see cref="Check"/> reports a syntax error at the
/// first <c>SYNTAX_ERROR</c> in the code (1-based line and column); a run calls the handler registered for the
/// function's name (tests use unique names), by default answering <c>{ echo: args }</c>.
/// </summary>
public sealed class FakeFunctionRuntime : IFunctionRuntime
{
    public const string SyntaxErrorMarker = "SYNTAX_ERROR";

    public ConcurrentDictionary<string, Func<FunctionInvocation, IReadOnlyDictionary<string, string>, FunctionRunResult>> Handlers { get; } = new();

    public ConcurrentQueue<(FunctionDefinition Function, FunctionInvocation Invocation)> Runs { get; } = new();

    public IReadOnlyList<CodeError> Check(string code)
    {
        var at = code.IndexOf(SyntaxErrorMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return [];
        }

        var line = code[..at].Count(c => c == '\n') + 1;
        var lineStart = at == 0 ? 0 : code.LastIndexOf('\n', at - 1) + 1;
        var column = at - lineStart + 1;
        return [new CodeError("Unexpected identifier 'SYNTAX_ERROR'", line, column)];
    }

    public Task<FunctionRunResult> RunAsync(FunctionDefinition function, FunctionInvocation invocation, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken = default)
    {
        Runs.Enqueue((function, invocation));
        var handler = Handlers.TryGetValue(function.Name, out var h) ? h : (i, _) => Succeeded(new JsonObject { ["echo"] = i.Args?.DeepClone() });
        return Task.FromResult(handler(invocation, environment));
    }

    public static FunctionRunResult Succeeded(JsonNode? result, params string[] logs) =>
        new(RunStatus.Succeeded, result, logs, null, null, TimeSpan.FromMilliseconds(3));

    public static FunctionRunResult Failed(string message, int? line = null, int? column = null, params string[] logs) =>
        new(RunStatus.Failed, null, logs, new FunctionError(message, line, column), null, TimeSpan.FromMilliseconds(3));

    public static FunctionRunResult TimedOut() =>
        new(RunStatus.TimedOut, null, [], new FunctionError("The function ran longer than its 1 s budget."), null, TimeSpan.FromSeconds(1));

    public static FunctionRunResult Rejected(int status, string message) =>
        new(RunStatus.Rejected, null, [], null, new FunctionRejection(status, message), TimeSpan.FromMilliseconds(1));
}
