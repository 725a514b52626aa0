namespace Platform.Server.Functions.Runtime;

/// <summary>
/// The <see cref="IFunctionRuntime"/> the server resolves: it creates the Jint runtime (<see cref="JintFunctionRuntime"/>,
/// a DI singleton) at the first code check or run, not when the executor and the trigger services are built at start-up
/// (issue 13, item 5): a server without functions never loads Jint nor Acornima.
/// </summary>
internal sealed class DeferredFunctionRuntime(IServiceProvider services) : IFunctionRuntime
{
    private IFunctionRuntime? _runtime;

    private IFunctionRuntime Runtime => Volatile.Read(ref _runtime) ?? Create();

    /// <summary>Whether the Jint runtime has been created (a code check or a run happened).</summary>
    public bool IsCreated => Volatile.Read(ref _runtime) is not null;

    public IReadOnlyList<CodeError> Check(string code) => Runtime.Check(code);

    public Task<FunctionRunResult> RunAsync(
        FunctionDefinition function,
        FunctionInvocation invocation,
        IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken = default) =>
        Runtime.RunAsync(function, invocation, environment, cancellationToken);

    // The container makes one instance whichever thread asks first.
    private JintFunctionRuntime Create()
    {
        var runtime = services.GetRequiredService<JintFunctionRuntime>();
        Volatile.Write(ref _runtime, runtime);
        return runtime;
    }
}
