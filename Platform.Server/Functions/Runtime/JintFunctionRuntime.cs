using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Jint;
using Jint.Constraints;
using Jint.Native;
using JsFunction = Jint.Native.Function.Function;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Microsoft.Extensions.Options;
using Platform.Server.Common;

namespace Platform.Server.Functions.Runtime;

/// <summary>What a run needs from the host.</summary>
internal sealed record RuntimeServices(
    IFunctionDocuments Documents,
    FunctionFetch Fetch,
    FunctionOptions Options,
    TimeProvider Time,
    ILogger Logger);

/// <summary>
/// <see cref="IFunctionRuntime"/> on Jint. Every run: strict mode, no CLR access, no string compilation
/// (<c>eval</c>, <c>new Function</c>), Jint's memory, statement and recursion limits plus its stack guard,
/// and a wall-clock budget enforced by a cancellation token that covers the whole run (module start-up, the
/// default export, every awaited host call). Runs execute on dedicated threads (<see cref="DedicatedThreads"/>),
/// one run per engine at a time; engines stay warm in a pool keyed by function version, parsed modules in a
/// cache, so a warm run neither parses nor evaluates the module again. An engine that hit a limit, was
/// cancelled or failed outside the script's own promise is thrown away.
/// </summary>
public sealed partial class JintFunctionRuntime : IFunctionRuntime, IDisposable
{
    /// <summary>Module state cache size: parsed modules kept per node.</summary>
    private const int ModuleCacheSize = 256;

    private readonly RuntimeServices _services;
    private readonly FunctionOptions _options;
    private readonly FunctionRuntimeMetrics _metrics;
    /// <summary>
    /// Stack of each run thread: room for Jint's interpreter frames below the stack guard's threshold, so the guard,
    /// not the process, ends deep recursion.
    /// </summary>
    private const int RunThreadStackSize = 16 * 1024 * 1024;

    // A run stays on one of these threads from start to end (Jint's memory limit counts the current thread's
    // allocations), and a runaway script only ever occupies one of them.
    private readonly DedicatedThreads _threads;
    private readonly EnginePool _pool;
    private readonly ModuleCache _modules = new(ModuleCacheSize);
    private int _disposed;

    public JintFunctionRuntime(
        IFunctionDocuments documents,
        FunctionFetch fetch,
        IOptions<FunctionOptions> options,
        FunctionRuntimeMetrics metrics,
        TimeProvider time,
        ILogger<JintFunctionRuntime> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _metrics = metrics;
        _services = new RuntimeServices(documents, fetch, _options, time, logger);
        _threads = new DedicatedThreads(_options.MaxConcurrentRuns, "baas-function", RunThreadStackSize);
        _pool = new EnginePool(_options.EnginePoolSize);
    }

    public IReadOnlyList<CodeError> Check(string code) => FunctionCode.Parse(code, _options.MaxCodeLength).Errors;

    public Task<FunctionRunResult> RunAsync(
        FunctionDefinition function,
        FunctionInvocation invocation,
        IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(environment);
        cancellationToken.ThrowIfCancellationRequested();
        if (_modules.TryGet(function.Name, function.Version, function.Code, out _, out var bounded, out _) && bounded)
        {
            return RunInline(function, invocation, environment, cancellationToken);
        }

        var completion = new TaskCompletionSource<FunctionRunResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellationToken.Register(() => completion.TrySetCanceled(cancellationToken));
        _threads.Enqueue(() =>
        {
            try
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    var started = _services.Time.GetTimestamp();
                    var result = Execute(function, invocation, environment, inline: false, cancellationToken);
                    _metrics.RunEnded(invocation.Trigger, result.Status, _services.Time.GetElapsedTime(started));
                    completion.TrySetResult(result);
                }
            }
            catch (OperationCanceledException)
            {
                completion.TrySetCanceled(cancellationToken);
            }
            catch (Exception ex)
            {
                completion.TrySetException(ex);
            }
            finally
            {
                registration.Dispose();
            }
        });
        return completion.Task;
    }

    /// <summary>
    /// A run of bounded code (<see cref="FunctionCode.IsBounded"/>) on the caller's thread: it makes no host call, so it
    /// never waits, and its work is bounded by its code and input, so it holds the caller's thread no longer than the
    /// conversions around it would; the hop to a run thread and back cost more than such a script (issue 9, item 10).
    /// Every limit still applies: the memory budget counts this thread's allocations from the run's start, and the
    /// syntax tree's bounded depth keeps the interpreter's stack small. A module not parsed yet on this node runs on a
    /// run thread, which parses it and learns whether it is bounded.
    /// </summary>
    private Task<FunctionRunResult> RunInline(FunctionDefinition function, FunctionInvocation invocation, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        try
        {
            var started = _services.Time.GetTimestamp();
            var result = Execute(function, invocation, environment, inline: true, cancellationToken);
            _metrics.InlineRun();
            _metrics.RunEnded(invocation.Trigger, result.Status, _services.Time.GetElapsedTime(started));
            return Task.FromResult(result);
        }
        catch (OperationCanceledException)
        {
            return Task.FromCanceled<FunctionRunResult>(cancellationToken.IsCancellationRequested ? cancellationToken : new CancellationToken(canceled: true));
        }
        catch (Exception ex)
        {
            return Task.FromException<FunctionRunResult>(ex);
        }
    }

    /// <summary>One run, start to end, on the calling thread (a run thread, or the caller's for bounded code).</summary>
    /// <remarks>
    /// A run thread's run may make host calls, which wait on a token that ends with the run's budget: a timer-driven
    /// source linked to the caller's token. A bounded run (<paramref name="inline"/>) makes none, so only the interpreter
    /// watches its budget: the engine's <see cref="OperationDeadlineConstraint"/> compares a deadline inline and observes
    /// the caller's token, with no token source, timer or link made per run (about 1.5 µs and 0.4 KB of a create with a
    /// before trigger, issue 9, item 10).
    /// </remarks>
    private FunctionRunResult Execute(FunctionDefinition function, FunctionInvocation invocation, IReadOnlyDictionary<string, string> environment, bool inline, CancellationToken cancellationToken)
    {
        var started = _services.Time.GetTimestamp();
        var timeout = invocation.Timeout ?? TimeSpan.FromSeconds(function.TimeoutSeconds);
        using var budget = inline ? null : new CancellationTokenSource(timeout, _services.Time);
        using var runToken = budget is null ? null : CancellationTokenSource.CreateLinkedTokenSource(budget.Token, cancellationToken);
        var token = runToken?.Token ?? cancellationToken;
        var run = new FunctionRun(_services, function, invocation, environment, timeout, token);
        PooledEngine? engine = null;
        OperationDeadlineConstraint? deadline = null;
        var keep = false;
        FunctionRunResult Result(RunStatus status, JsonResult result = default, FunctionError? error = null, long? resultBytesAtMost = null) =>
            new(status, result.Node, run.Log.ToList(), error, status == RunStatus.Rejected ? run.Rejection : null, _services.Time.GetElapsedTime(started))
            {
                LogLinesDropped = run.Log.Dropped,
                ResultBytesAtMost = resultBytesAtMost,
            };

        try
        {
            engine = _pool.Take(function.Name, function.Version, function.Code);
            if (engine is null)
            {
                var created = CreateEngine(function, run, token, out var startError);
                if (created is null)
                {
                    return Result(RunStatus.Failed, error: startError);
                }

                engine = created;
            }
            else
            {
                _metrics.PoolHit();
            }

            engine.Current = run;
            var jint = engine.Engine;
            jint.Constraints.Reset();
            jint.Constraints.Find<CancellationConstraint>()?.Reset(token);
            if (inline)
            {
                deadline = jint.Constraints.Find<OperationDeadlineConstraint>();
                deadline?.Begin(timeout, cancellationToken);
            }
            var pooled = engine;
            var parts = engine.Parts ??= FunctionRun.BuildParts(jint, () => pooled.Current ?? throw new InvalidOperationException("No run is using this engine."), _services.Documents);
            var ctx = run.BuildContext(jint, parts);

            JsValue returned;
            try
            {
                returned = jint.Call(engine.DefaultExport, JsValue.Undefined, [ctx]);
            }
            catch (JavaScriptException ex) when (run.Rejection is not null)
            {
                _ = ex;
                return Result(RunStatus.Rejected);
            }
            catch (JavaScriptException ex) when (engine.Synchronous)
            {
                // What the async function's promise would have been rejected with, reported as its rejection is.
                return Result(RunStatus.Failed, error: ErrorOf(jint, ex.Error, null, null));
            }
            catch (JavaScriptException ex)
            {
                return Result(RunStatus.Failed, error: ErrorOf(jint, ex.Error, ex.Location.Start.Line, ex.Location.Start.Column + 1));
            }

            if (engine.Synchronous && returned is ObjectInstance thenable && thenable is not JsFunction && thenable.Get("then") is JsFunction)
            {
                // A thenable (bounded code can only hand back a host function as its then): the async function's promise
                // would adopt it through a job, so it gets that promise, resolved with it, as the async function did.
                var promise = jint.Advanced.RegisterPromise();
                promise.Resolve(returned);
                returned = promise.Promise;
            }

            var outcome = Settle(jint, run, returned, engine.Settler, out var pending);

            // A promise still pending (a ctx.reject the script caught, then awaited on) must not settle during a later run
            // of this engine: the engine is not reused.
            keep = !pending;
            if (run.Rejection is not null)
            {
                return Result(RunStatus.Rejected);
            }

            if (outcome is null)
            {
                keep = false;
                return Result(RunStatus.Failed, error: new FunctionError("The function's promise never settled: it awaits something that never completes."));
            }

            if (!outcome.Value.Fulfilled)
            {
                return Result(RunStatus.Failed, error: ErrorOf(jint, outcome.Value.Value, null, null));
            }

            try
            {
                var json = JsJson.ToNode(jint, outcome.Value.Value, _options.MaxResultBytes, out var estimate, "result");

                // The exact size only when the walk's estimate cannot rule out the limit (never for small results).
                var size = json is null || estimate * JsJson.MaxBytesPerEstimatedByte <= _options.MaxResultBytes
                    ? 0
                    : System.Text.Encoding.UTF8.GetByteCount(json.ToJsonString());
                if (size > _options.MaxResultBytes)
                {
                    return Result(RunStatus.Failed, error: new FunctionError($"The result is {size} bytes; at most {_options.MaxResultBytes} are allowed (Baas:Functions:MaxResultBytes)."));
                }

                // The bound the executor may rely on: the exact size when measured, else the estimate's worst case.
                return Result(RunStatus.Succeeded, new JsonResult(json), resultBytesAtMost: json is null ? 0 : size > 0 ? size : estimate * JsJson.MaxBytesPerEstimatedByte);
            }
            catch (NotJsonException ex)
            {
                return Result(RunStatus.Failed, error: new FunctionError($"The result is not JSON: {ex.Message}."));
            }
            catch (JavaScriptException ex)
            {
                return Result(RunStatus.Failed, error: ErrorOf(jint, ex.Error, ex.Location.Start.Line, ex.Location.Start.Column + 1));
            }
        }
        // TimeoutException: the deadline constraint of an inline run (a regex's own timeout is reported below).
        catch (Exception ex) when (ex is OperationCanceledException or ExecutionCanceledException or (TimeoutException and not RegexMatchTimeoutException))
        {
            keep = false;
            cancellationToken.ThrowIfCancellationRequested();

            return Result(RunStatus.TimedOut, error: new FunctionError($"The run took longer than its budget of {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s."));
        }
        catch (StatementsCountOverflowException)
        {
            keep = false;
            return Result(RunStatus.TimedOut, error: new FunctionError($"The run executed more than {_options.MaxStatements} statements (Baas:Functions:MaxStatements)."));
        }
        catch (MemoryLimitExceededException)
        {
            keep = false;
            return Result(RunStatus.Failed, error: new FunctionError($"The run allocated more than its memory budget of {function.MemoryMb} MB (memoryMb)."));
        }
        catch (RegexMatchTimeoutException)
        {
            // .NET's regex engine checks Jint's RegexTimeout inside a match, where the run's own budget cannot stop it;
            // a pattern that backtracks that long is the author's to fix, not an unexpected runtime failure.
            keep = false;
            return Result(RunStatus.Failed, error: new FunctionError(
                $"A regular expression ran longer than {RegexBudget(function).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s on its input "
                + "and was stopped: it backtracks too much (nested quantifiers such as (a+)+); simplify it or bound the input."));
        }
        catch (RecursionDepthOverflowException ex)
        {
            keep = false;
            return Result(RunStatus.Failed, error: new FunctionError($"The call stack grew deeper than {_options.MaxRecursion} calls (Baas:Functions:MaxRecursion) in {ex.CallExpressionReference}."));
        }
        catch (JavaScriptException ex)
        {
            // Thrown while settling (e.g. by a getter during host conversion) rather than by the promise.
            keep = false;
            return Result(RunStatus.Failed, error: ErrorOf(engine!.Engine, ex.Error, ex.Location.Start.Line, ex.Location.Start.Column + 1));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            keep = false;
            FunctionRuntimeLog.RuntimeFailed(_services.Logger, function.Name, function.Version, invocation.RunId, ex);
            return Result(RunStatus.Failed, error: new FunctionError("The function runtime failed unexpectedly; the server log has the details."));
        }
        finally
        {
            // Host calls still in flight belong to a run that is over: stop them. An inline run made none.
            runToken?.Cancel();
            deadline?.End();
            if (engine is not null)
            {
                engine.Current = null;
                if (keep)
                {
                    _pool.Return(engine);
                }
                else
                {
                    engine.Dispose();
                }
            }
        }
    }

    private readonly record struct JsonResult(System.Text.Json.Nodes.JsonNode? Node);

    private readonly record struct Settled(bool Fulfilled, JsValue Value);

    /// <summary>
    /// The run's event loop: runs promise jobs and hands back host calls until the returned promise settles.
    /// <paramref name="pending"/>: the run ended (a rejection) while its promise had not settled.
    /// </summary>
    private static Settled? Settle(Engine engine, FunctionRun run, JsValue returned, PromiseSettler? settler, out bool pending)
    {
        pending = false;
        if (settler is not null
            && returned is ObjectInstance promise && promise is not JsFunction && promise.Get("then") is JsFunction own && settler.Handles(promise, own))
        {
            // A genuine promise with the engine's own then: the engine's shared handlers, no functions made for this run.
            settler.Arm();
            try
            {
                engine.Call(own, promise, settler.Handlers);
                while (true)
                {
                    engine.Advanced.ProcessTasks();
                    if (settler.Outcome is { } outcome)
                    {
                        return new Settled(outcome.Fulfilled, outcome.Value);
                    }

                    if (run.Rejection is not null)
                    {
                        pending = true;
                        return new Settled(false, run.RejectionSentinel ?? JsValue.Undefined);
                    }

                    if (run.Pending == 0)
                    {
                        pending = true;
                        return null;
                    }

                    run.RunNextCompletion();
                }
            }
            finally
            {
                settler.Disarm();
            }
        }

        Settled? settled = null;
        if (returned is ObjectInstance thenable && thenable is not JsFunction && thenable.Get("then") is JsFunction then)
        {
            engine.Call(then, thenable, [
                new ClrFunction(engine, "fulfilled", (_, args) =>
                {
                    settled = new Settled(true, args.Length > 0 ? args[0] : JsValue.Undefined);
                    return JsValue.Undefined;
                }, 1),
                new ClrFunction(engine, "rejected", (_, args) =>
                {
                    settled = new Settled(false, args.Length > 0 ? args[0] : JsValue.Undefined);
                    return JsValue.Undefined;
                }, 1),
            ]);
        }
        else
        {
            settled = new Settled(true, returned);
        }

        while (true)
        {
            engine.Advanced.ProcessTasks();
            if (settled is not null || run.Rejection is not null)
            {
                return settled ?? new Settled(false, run.RejectionSentinel ?? JsValue.Undefined);
            }

            if (run.Pending == 0)
            {
                pending = true;
                return null;
            }

            run.RunNextCompletion();
        }
    }

    private PooledEngine? CreateEngine(FunctionDefinition function, FunctionRun run, CancellationToken token, out FunctionError? error)
    {
        error = null;
        if (!_modules.TryGet(function.Name, function.Version, function.Code, out var module, out _, out var synchronous))
        {
            var (prepared, errors) = FunctionCode.Parse(function.Code, _options.MaxCodeLength);
            _metrics.ModuleParsed();
            if (prepared is null)
            {
                error = new FunctionError(errors[0].Message, errors[0].Line, errors[0].Column);
                return null;
            }

            module = _modules.Add(function.Name, function.Version, function.Code, prepared.Value, out synchronous);
        }

        var options = _options;
        var engine = new Engine(o =>
        {
            o.Strict = true;
            o.Interop.Enabled = false;
            o.Host.StringCompilationAllowed = false;
            o.EnableModules(NoImportsModuleLoader.Instance);
            o.TimeZone = TimeZoneInfo.Utc;
            o.Culture = CultureInfo.InvariantCulture;
            o.LimitMemory((long)function.MemoryMb * 1024 * 1024);
            o.LimitRecursion(options.MaxRecursion);
            o.MaxStatements(options.MaxStatements);
            o.Constraints.StackOverflowGuard = true;
            o.Constraints.RegexTimeout = RegexBudget(function);
            o.CancellationToken(token);
            o.Constraint(new OperationDeadlineConstraint());
        });
        _metrics.EngineCreated();
        PooledEngine? pooled = null;
        try
        {
            var console = new JsObject(engine);
            foreach (var name in new[] { "log", "info", "warn", "error", "debug" })
            {
                // console.* is global and outlives a run: it writes to the log of the run using the engine now.
                console.Set(name, new ClrFunction(engine, name, (_, args) =>
                {
                    (pooled?.Current ?? run).WriteLog(engine, args);
                    return JsValue.Undefined;
                }));
            }

            engine.SetValue("console", console);
            var settler = new PromiseSettler(engine);
            engine.Modules.Add(FunctionCode.Specifier, builder => builder.AddModule(module));
            engine.Constraints.Reset();
            var exports = engine.Modules.Import(FunctionCode.Specifier);
            if (exports.Get("default") is not JsFunction defaultExport)
            {
                error = new FunctionError("The default export is not a function: export default async function (ctx) { ... }", 1, 1);
                engine.Dispose();
                return null;
            }

            pooled = new PooledEngine(function.Name, function.Version, function.Code, engine, defaultExport) { Settler = settler, Synchronous = synchronous };
            return pooled;
        }
        catch (JavaScriptException ex)
        {
            error = ErrorOf(engine, ex.Error, ex.Location.Start.Line, ex.Location.Start.Column + 1);
            engine.Dispose();
            return null;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>How long one regular expression match may run (Jint's <c>RegexTimeout</c>).</summary>
    private static TimeSpan RegexBudget(FunctionDefinition function) => TimeSpan.FromSeconds(Math.Min(function.TimeoutSeconds, 5));

    /// <summary>What the author needs of a thrown value: its text and where in their code it was thrown.</summary>
    private static FunctionError ErrorOf(Engine engine, JsValue thrown, int? line, int? column)
    {
        string message;
        try
        {
            message = thrown switch
            {
                ObjectInstance o and not JsFunction when o is Jint.Native.Error.ErrorInstance => TypeConverter.ToString(o),
                JsString s => s.ToString(),
                ObjectInstance o and not JsFunction => new Jint.Native.Json.JsonSerializer(engine).Serialize(o) is var json && !json.IsUndefined() ? json.ToString() : TypeConverter.ToString(o),
                _ => TypeConverter.ToString(thrown),
            };
        }
        catch (JavaScriptException)
        {
            message = "A value that cannot be shown was thrown.";
        }

        if (thrown is ObjectInstance error && error.Get("stack") is JsString stack && FirstFrame().Match(stack.ToString()) is { Success: true } frame)
        {
            var group = frame.Groups[1].Success ? 1 : 3;
            line = int.Parse(frame.Groups[group].Value, CultureInfo.InvariantCulture);
            column = int.Parse(frame.Groups[group + 1].Value, CultureInfo.InvariantCulture);
        }

        return new FunctionError(message, line is > 0 ? line : null, line is > 0 ? column : null);
    }

    // Stack frames look like "at name (function:3:11)" or "at function:4:16" (module top level).
    [GeneratedRegex(@"\(function:(\d+):(\d+)\)|at function:(\d+):(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex FirstFrame();

    public void Dispose()
    {
        // Registered as itself and as IFunctionRuntime: the container disposes it once per registration.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _threads.Dispose();
        _pool.Dispose();
    }
}
