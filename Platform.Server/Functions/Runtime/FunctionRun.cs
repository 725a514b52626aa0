using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using JsFunction = Jint.Native.Function.Function;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Hosting;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// One run on one engine, on one run thread: builds <c>ctx</c>, and is the run's event loop. Host calls
/// (<c>ctx.db</c>, <c>ctx.fetch</c>) run as .NET tasks off the run thread and hand their outcome back
/// through <see cref="Post"/>, so every <see cref="JsValue"/> is made and touched on the run thread only.
/// </summary>
internal sealed class FunctionRun
{
    /// <summary>Largest value a script may hand to a host call (the document service applies its own, smaller limits).</summary>
    private const int MaxHostArgumentBytes = 32 * 1024 * 1024;

    private static readonly HashSet<string> FindOptionNames = ["sort", "limit", "fields"];
    private static readonly HashSet<string> FetchOptionNames = ["method", "headers", "body", "timeoutMs"];

    // Made on the first host call: most runs (a before trigger that returns data) make none, and a BlockingCollection
    // costs a queue, a semaphore and two cancellation sources.
    private BlockingCollection<Action>? _completions;
    private readonly RuntimeServices _services;
    private readonly long _startTimestamp;
    private int _pending;

    // Most runs (a before trigger that returns data) make no host call, so these are made when one does.
    private Caller? _serviceCaller;
    private Caller? _userCaller;

    public FunctionRun(
        RuntimeServices services,
        FunctionDefinition function,
        FunctionInvocation invocation,
        IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout,
        CancellationToken token)
    {
        _services = services;
        Function = function;
        Invocation = invocation;
        Environment = environment;
        Timeout = timeout;
        Token = token;
        _startTimestamp = services.Time.GetTimestamp();
        Log = new RunLog(services.Options.MaxLogLines, services.Options.MaxLogBytes);
    }

    public FunctionDefinition Function { get; }

    public FunctionInvocation Invocation { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public TimeSpan Timeout { get; }

    /// <summary>Cancelled when the run's budget runs out, the caller gives up, or the run ends.</summary>
    public CancellationToken Token { get; }

    public RunLog Log { get; }

    public FunctionRejection? Rejection { get; private set; }

    /// <summary>The value <c>ctx.reject</c> throws to unwind the script; recognised when it surfaces.</summary>
    public JsValue? RejectionSentinel { get; private set; }

    /// <summary><c>ctx.db</c>'s caller: service privileges, its writes marked as this run's (made at the first host call).</summary>
    public Caller ServiceCaller => _serviceCaller ??= Caller.Service with { Origin = Origin };

    /// <summary><c>ctx.userDb</c>'s caller: the invocation's (a signed-out visitor without one), its writes marked as this run's.</summary>
    public Caller UserCaller => _userCaller ??= (Invocation.Caller ?? Caller.Anonymous) with { Origin = Origin };

    private WriteOrigin Origin => new(Function.Name, Invocation.Depth + 1);

    /// <summary>Host calls started and not yet handed back.</summary>
    public int Pending => _pending;

    public TimeSpan Remaining => Timeout - _services.Time.GetElapsedTime(_startTimestamp);

    /// <summary>Waits for the next host call to finish and applies its outcome (on the run thread).</summary>
    public void RunNextCompletion()
    {
        var completion = Completions.Take(Token);
        completion();
    }

    private BlockingCollection<Action> Completions =>
        Volatile.Read(ref _completions) ?? Interlocked.CompareExchange(ref _completions, [], null) ?? _completions!;

    private void Post(Action completion) => Completions.Add(completion);

    // ---- ctx ---------------------------------------------------------------------------------------

    /// <summary>
    /// The parts of <c>ctx</c> that are the same for every run on one engine (<c>db</c>, <c>userDb</c> and their
    /// collections, <c>log</c>, <c>fetch</c>, <c>reject</c>): made on the engine's first run and frozen, so a script
    /// cannot change them for its later runs; each call acts for the run using the engine when it is made
    /// (<paramref name="current"/>). Building them cost a warm run more than its script.
    /// </summary>
    public static ContextParts BuildParts(Engine engine, Func<FunctionRun> current, IFunctionDocuments documents)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(current);
        return new ContextParts(
            Database(engine, current, user: false, documents),
            Database(engine, current, user: true, documents),
            new ClrFunction(engine, "log", (_, args) =>
            {
                current().WriteLog(engine, args);
                return JsValue.Undefined;
            }),
            new ClrFunction(engine, "fetch", (_, args) => current().Fetch(engine, args), 2),
            new ClrFunction(engine, "reject", (_, args) => current().Reject(engine, args), 2));
    }

    /// <summary>This run's <c>ctx</c>: the engine's shared <paramref name="parts"/> and this run's own values.</summary>
    public ObjectInstance BuildContext(Engine engine, ContextParts parts)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(parts);
        var auth = JsJson.ToJs(engine, Invocation.Caller?.Auth);
        var args = JsJson.ToJs(engine, Invocation.Args);
        var functionEvent = JsJson.EventToJs(engine, Invocation.Event, parts.DocumentLayouts);

        // Own data properties in a fixed layout: one hidden class per engine, no descriptor or dictionary per property.
        // ctx.run is made when the script first reads it (a before trigger rarely does).
        return JsObject.Create(engine, ContextLayout, [parts.Db, parts.UserDb, auth, args, functionEvent, null, parts.Environment(engine, Environment), parts.Log, parts.Fetch, parts.Reject], this);
    }

    /// <summary><c>ctx.run</c>, frozen as Object.freeze leaves it (read-only, not configurable, not extensible), without calling it.</summary>
    private static JsValue RunInfo(JsObject ctx, object? state)
    {
        var current = (FunctionRun)state!;
        var run = new JsObject(ctx.Engine);
        run.FastSetProperty("id", new PropertyDescriptor(current.Invocation.RunId, PropertyFlag.Enumerable));
        run.FastSetProperty("function", new PropertyDescriptor(current.Function.Name, PropertyFlag.Enumerable));
        run.FastSetProperty("version", new PropertyDescriptor(current.Function.Version, PropertyFlag.Enumerable));
        run.FastSetProperty("trigger", new PropertyDescriptor(current.Invocation.Trigger.Name(), PropertyFlag.Enumerable));
        run.FastSetProperty("attempt", new PropertyDescriptor(current.Invocation.Attempt, PropertyFlag.Enumerable));
        run.PreventExtensions();
        return run;
    }

    // Names and a static factory only (no JsValue): shared by every engine. The factory reads only its state (this run's immutable fields), so a ctx kept past its run still shows that run.
    private static readonly JsObjectLayout ContextLayout = JsObjectLayout.CreateBuilder()
        .Add("db").Add("userDb").Add("auth").Add("args").Add("event").AddLazy("run", RunInfo).Add("env").Add("log").Add("fetch").Add("reject")
        .Build();

    /// <summary>Object.freeze: no property added, removed or changed.</summary>
    internal static void Freeze(Engine engine, ObjectInstance value) =>
        engine.Call(engine.Intrinsics.Object.Get("freeze"), JsValue.Undefined, [value]);

    /// <summary>Appends one line made of <paramref name="args"/> to this run's log.</summary>
    public void WriteLog(Engine engine, JsValue[] args) => Log.Add(string.Join(' ', args.Select(a => Format(engine, a))));

    private static string Format(Engine engine, JsValue value)
    {
        switch (value)
        {
            case JsString s:
                return s.ToString();
            case JsFunction f:
                return $"[Function {f.Get("name")}]";
            case ObjectInstance o when o is Jint.Native.Error.ErrorInstance:
                return TypeConverter.ToString(o);
            case ObjectInstance o:
                try
                {
                    var json = new Jint.Native.Json.JsonSerializer(engine).Serialize(o);
                    return json.IsUndefined() ? TypeConverter.ToString(o) : json.ToString();
                }
                catch (JavaScriptException)
                {
                    return "[object with a cycle]";
                }

            default:
                return TypeConverter.ToString(value);
        }
    }

    private JsValue Reject(Engine engine, JsValue[] args)
    {
        var status = args.Length > 0 ? args[0] : JsValue.Undefined;
        if (status is not JsNumber number || number.AsNumber() is var n && (n != Math.Floor(n) || n < 400 || n > 499))
        {
            throw new JavaScriptException(engine.Intrinsics.TypeError, "ctx.reject(status, message): status must be an integer from 400 to 499.");
        }

        var message = args.Length > 1 && !args[1].IsUndefined() ? TypeConverter.ToString(args[1]) : "Rejected by the function.";
        Rejection ??= new FunctionRejection((int)number.AsNumber(), message);
        var sentinel = engine.Construct(engine.Intrinsics.Error, [JsValue.FromObject(engine, "ctx.reject ended the run: " + message)]);
        RejectionSentinel ??= sentinel;
        throw new JavaScriptException(sentinel);
    }

    /// <summary>Collections kept per <c>db</c> object of an engine; a function that names more gets the rest made per call.</summary>
    private const int CachedCollections = 64;

    /// <summary><c>ctx.db</c> (or <c>ctx.userDb</c> when <paramref name="user"/>), made once per engine and frozen.</summary>
    private static JsObject Database(Engine engine, Func<FunctionRun> current, bool user, IFunctionDocuments documents)
    {
        var db = new JsObject(engine);
        var collections = new Dictionary<string, JsObject>(StringComparer.Ordinal);
        db.Set("collection", new ClrFunction(engine, "collection", (_, args) =>
        {
            if (args.Length == 0 || args[0] is not JsString nameValue)
            {
                throw new JavaScriptException(engine.Intrinsics.TypeError, "collection(name): name must be a string.");
            }

            var name = nameValue.ToString();
            if (!collections.TryGetValue(name, out var collection))
            {
                collection = Collection(engine, name, current, user, documents);
                if (collections.Count < CachedCollections)
                {
                    collections[name] = collection;
                }
            }

            return collection;
        }, 1));
        Freeze(engine, db);
        return db;
    }

    /// <summary>
    /// <c>ctx.db.collection(name)</c> (or <c>ctx.userDb</c>'s when <paramref name="user"/>): shared by every run on the
    /// engine, so each call acts for the run using the engine when it is made, with that run's caller and token.
    /// </summary>
    private static JsObject Collection(Engine engine, string name, Func<FunctionRun> current, bool user, IFunctionDocuments documents)
    {
        var queries = documents;
        var collection = new JsObject(engine);
        collection.Set("find", new ClrFunction(engine, "find", (_, args) =>
        {
            var run = current();
            var caller = user ? run.UserCaller : run.ServiceCaller;
            var filter = OptionalObject(engine, args, 0, "find(filter, options): filter");
            var options = OptionalObject(engine, args, 1, "find(filter, options): options");
            JsonElement? sort = null, fields = null;
            int? limit = null;
            if (options is JsonObject o)
            {
                CheckNames(engine, o, FindOptionNames, "find(filter, options)");
                sort = o["sort"] is { } s ? JsonSerializer.SerializeToElement(s) : null;
                fields = o["fields"] is { } f ? JsonSerializer.SerializeToElement(f) : null;
                limit = o["limit"] switch
                {
                    null => null,
                    JsonValue v when v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue => (int)l,
                    _ => throw new JavaScriptException(engine.Intrinsics.TypeError, "find(filter, options): limit must be an integer."),
                };
            }

            var request = new QueryRequest(filter is null ? null : JsonSerializer.SerializeToElement(filter), sort, limit, null, fields, Count: false);
            return run.StartHostCall(engine, async token =>
            {
                var page = await queries.QueryAsync(name, request, caller, token).ConfigureAwait(false);
                return page["items"];
            });
        }, 2));
        collection.Set("get", new ClrFunction(engine, "get", (_, args) =>
        {
            var run = current();
            var caller = user ? run.UserCaller : run.ServiceCaller;
            var id = RequiredString(engine, args, 0, "get(id): id");
            return run.StartHostCall(engine, async token =>
            {
                try
                {
                    return await documents.GetAsync(name, id, caller, token).ConfigureAwait(false);
                }
                catch (DomainException ex) when (ex.Code == "not_found")
                {
                    return null;
                }
            });
        }, 1));
        collection.Set("insert", new ClrFunction(engine, "insert", (_, args) =>
        {
            var run = current();
            var caller = user ? run.UserCaller : run.ServiceCaller;
            var data = RequiredObject(engine, args, 0, "insert(data): data");
            return run.StartHostCall(engine, async token =>
                (await documents.ExecuteAsync(new CreateCommand(name, data), caller, token).ConfigureAwait(false)).Document);
        }, 1));
        collection.Set("replace", new ClrFunction(engine, "replace", (_, args) =>
        {
            var run = current();
            var caller = user ? run.UserCaller : run.ServiceCaller;
            var id = RequiredString(engine, args, 0, "replace(id, data): id");
            var data = RequiredObject(engine, args, 1, "replace(id, data): data");
            return run.StartHostCall(engine, async token =>
                (await documents.ExecuteAsync(new ReplaceCommand(name, id, data), caller, token).ConfigureAwait(false)).Document);
        }, 2));
        collection.Set("update", new ClrFunction(engine, "update", (_, args) =>
        {
            var run = current();
            var caller = user ? run.UserCaller : run.ServiceCaller;
            var id = RequiredString(engine, args, 0, "update(id, patch): id");
            var patch = RequiredObject(engine, args, 1, "update(id, patch): patch");
            return run.StartHostCall(engine, async token =>
                (await documents.ExecuteAsync(new PatchCommand(name, id, patch), caller, token).ConfigureAwait(false)).Document);
        }, 2));
        collection.Set("delete", new ClrFunction(engine, "delete", (_, args) =>
        {
            var run = current();
            var caller = user ? run.UserCaller : run.ServiceCaller;
            var id = RequiredString(engine, args, 0, "delete(id): id");
            return run.StartHostCall(engine, async token =>
            {
                await documents.ExecuteAsync(new DeleteCommand(name, id), caller, token).ConfigureAwait(false);
                return null;
            }, undefinedResult: true);
        }, 1));
        collection.Set("count", new ClrFunction(engine, "count", (_, args) =>
        {
            var run = current();
            var caller = user ? run.UserCaller : run.ServiceCaller;
            var filter = OptionalObject(engine, args, 0, "count(filter): filter");
            var request = new QueryRequest(filter is null ? null : JsonSerializer.SerializeToElement(filter), null, 1, null, null, Count: true);
            return run.StartHostCall(engine, async token =>
            {
                var page = await queries.QueryAsync(name, request, caller, token).ConfigureAwait(false);
                return page["count"]?.DeepClone();
            });
        }, 1));
        Freeze(engine, collection);
        return collection;
    }

    private JsValue Fetch(Engine engine, JsValue[] args)
    {
        var url = RequiredString(engine, args, 0, "fetch(url, options): url");
        var options = args.Length > 1 && args[1] is ObjectInstance o && o is not JsFunction ? o : null;
        if (args.Length > 1 && !args[1].IsUndefined() && !args[1].IsNull() && options is null)
        {
            throw new JavaScriptException(engine.Intrinsics.TypeError, "fetch(url, options): options must be an object.");
        }

        var method = "GET";
        var headers = new List<KeyValuePair<string, string>>();
        string? body = null;
        string? contentType = null;
        TimeSpan? timeout = null;
        if (options is not null)
        {
            foreach (var key in options.GetOwnPropertyKeys(Types.String))
            {
                if (!FetchOptionNames.Contains(key.ToString()))
                {
                    throw new JavaScriptException(engine.Intrinsics.TypeError, $"fetch(url, options): unknown option '{key}' (allowed: method, headers, body, timeoutMs).");
                }
            }

            if (options.Get("method") is JsString m)
            {
                method = m.ToString().ToUpperInvariant();
            }

            if (options.Get("headers") is ObjectInstance h)
            {
                foreach (var key in h.GetOwnPropertyKeys(Types.String))
                {
                    headers.Add(new(key.ToString(), TypeConverter.ToString(h.Get(key))));
                }
            }

            switch (options.Get("body"))
            {
                case var none when none.IsUndefined() || none.IsNull():
                    break;
                case JsString s:
                    body = s.ToString();
                    break;
                case var value:
                    body = ToJson(engine, value, "fetch(url, options): body")?.ToJsonString() ?? "null";
                    contentType = "application/json";
                    break;
            }

            if (options.Get("timeoutMs") is JsNumber ms)
            {
                if (!(ms.AsNumber() > 0))
                {
                    throw new JavaScriptException(engine.Intrinsics.TypeError, "fetch(url, options): timeoutMs must be a positive number.");
                }

                timeout = TimeSpan.FromMilliseconds(Math.Min(ms.AsNumber(), int.MaxValue));
            }
        }

        if (body is not null && contentType is null && !headers.Exists(h => h.Key.Equals("content-type", StringComparison.OrdinalIgnoreCase)))
        {
            contentType = "text/plain; charset=utf-8";
        }

        var request = new FetchRequest(url, method, headers, body, contentType, timeout);
        var remaining = Remaining;
        var fetch = _services.Fetch;
        var allowlist = Function.FetchAllowlist;
        return StartHostCall(engine, async token => await fetch.FetchAsync(request, allowlist, remaining, token).ConfigureAwait(false), ToResponse);

        JsValue ToResponse(Engine e, FetchResponse response)
        {
            var result = new JsObject(e);
            result.Set("status", response.Status);
            result.Set("ok", response.Status is >= 200 and <= 299);
            result.Set("url", response.Url);
            var headerObject = new JsObject(e);
            foreach (var (name, value) in response.Headers)
            {
                headerObject.Set(name, value);
            }

            result.Set("headers", headerObject);
            result.Set("text", new ClrFunction(e, "text", (_, _) => Resolved(e, JsValue.FromObject(e, response.Body))));
            result.Set("json", new ClrFunction(e, "json", (_, _) =>
            {
                try
                {
                    return Resolved(e, new Jint.Native.Json.JsonParser(e).Parse(response.Body));
                }
                catch (JavaScriptException ex)
                {
                    return Rejected(e, ex.Error);
                }
            }));
            return result;
        }
    }

    private static JsValue Resolved(Engine engine, JsValue value)
    {
        var promise = engine.Advanced.RegisterPromise();
        promise.Resolve(value);
        return promise.Promise;
    }

    private static JsValue Rejected(Engine engine, JsValue error)
    {
        var promise = engine.Advanced.RegisterPromise();
        promise.Reject(error);
        return promise.Promise;
    }

    // ---- host calls ----------------------------------------------------------------------------------

    private JsValue StartHostCall(Engine engine, Func<CancellationToken, Task<JsonNode?>> call, bool undefinedResult = false) =>
        StartHostCall(engine, call, (e, node) => undefinedResult ? JsValue.Undefined : JsJson.ToJs(e, node));

    /// <summary>
    /// Starts <paramref name="call"/> on the thread pool and answers a promise; the outcome comes back through
    /// the run's completion queue and is turned into JavaScript on the run thread by <paramref name="toJs"/>.
    /// </summary>
    private JsValue StartHostCall<T>(Engine engine, Func<CancellationToken, Task<T>> call, Func<Engine, T, JsValue> toJs)
    {
        var promise = engine.Advanced.RegisterPromise();

        // Where the script made the call, so an error it does not catch points at that line.
        var callerStack = engine.Advanced.StackTrace;
        var token = Token;
        Interlocked.Increment(ref _pending);
        Task.Run(() => call(token), token).ContinueWith(
            task => Post(() =>
            {
                Interlocked.Decrement(ref _pending);
                if (task.IsCompletedSuccessfully)
                {
                    JsValue value;
                    try
                    {
                        value = toJs(engine, task.Result);
                    }
                    catch (JavaScriptException ex)
                    {
                        promise.Reject(ex.Error);
                        return;
                    }

                    promise.Resolve(value);
                }
                else
                {
                    var error = task.Exception?.InnerException ?? new OperationCanceledException(token);
                    promise.Reject(HostError(engine, error, callerStack));
                }
            }),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return promise.Promise;
    }

    /// <summary>A plain JavaScript <c>Error</c> with <c>message</c>, <c>code</c> and (for API errors) <c>status</c>; never a .NET type name or stack.</summary>
    private ObjectInstance HostError(Engine engine, Exception exception, string callerStack)
    {
        string code;
        string message;
        int? status = null;
        switch (exception)
        {
            case FetchFailedException fetch:
                code = fetch.Code;
                message = fetch.Message;
                if (code == "fetch_refused")
                {
                    FunctionRuntimeLog.FetchRefused(_services.Logger, Function.Name, Invocation.RunId, message);
                }

                break;
            case OperationCanceledException:
                code = "cancelled";
                message = "The call was cancelled: the run's time budget ran out or the run ended.";
                break;
            default:
                var problem = ProblemDetailsExceptionHandler.ToProblem(exception);
                code = problem.Extensions.TryGetValue("code", out var c) ? c?.ToString() ?? "error" : "error";
                status = problem.Status;
                message = problem.Detail ?? "The call failed.";
                if (status >= 500 && exception is not Storage.StorageUnavailableException)
                {
                    FunctionRuntimeLog.HostCallFailed(_services.Logger, Function.Name, Invocation.RunId, exception);
                }

                break;
        }

        var error = engine.Construct(engine.Intrinsics.Error, [JsValue.FromObject(engine, message)]);
        error.Set("code", code);
        if (status is not null)
        {
            error.Set("status", status.Value);
        }

        if (!string.IsNullOrEmpty(callerStack))
        {
            error.Set("stack", callerStack);
        }

        return error;
    }

    // ---- arguments ---------------------------------------------------------------------------------

    private static JsonNode? ToJson(Engine engine, JsValue value, string what)
    {
        try
        {
            return JsJson.ToNode(engine, value, MaxHostArgumentBytes, what);
        }
        catch (NotJsonException ex)
        {
            throw new JavaScriptException(engine.Intrinsics.TypeError, $"{what} is not JSON: {ex.Message}.");
        }
    }

    private static string RequiredString(Engine engine, JsValue[] args, int index, string what) =>
        args.Length > index && args[index] is JsString s && s.Length > 0
            ? s.ToString()
            : throw new JavaScriptException(engine.Intrinsics.TypeError, $"{what} must be a non-empty string.");

    private static JsonObject RequiredObject(Engine engine, JsValue[] args, int index, string what) =>
        args.Length > index && ToJson(engine, args[index], what) is JsonObject o
            ? o
            : throw new JavaScriptException(engine.Intrinsics.TypeError, $"{what} must be an object.");

    private static JsonObject? OptionalObject(Engine engine, JsValue[] args, int index, string what)
    {
        if (args.Length <= index || args[index].IsUndefined() || args[index].IsNull())
        {
            return null;
        }

        return ToJson(engine, args[index], what) as JsonObject
            ?? throw new JavaScriptException(engine.Intrinsics.TypeError, $"{what} must be an object.");
    }

    private static void CheckNames(Engine engine, JsonObject o, HashSet<string> allowed, string what)
    {
        foreach (var (key, _) in o)
        {
            if (!allowed.Contains(key))
            {
                throw new JavaScriptException(engine.Intrinsics.TypeError, $"{what}: unknown option '{key}' (allowed: {string.Join(", ", allowed)}).");
            }
        }
    }
}

/// <summary>The parts of <c>ctx</c> one engine shares across its runs (<see cref="FunctionRun.BuildParts"/>).</summary>
internal sealed class ContextParts(ObjectInstance db, ObjectInstance userDb, ClrFunction log, ClrFunction fetch, ClrFunction reject)
{
    private IReadOnlyDictionary<string, string>? _environment;
    private ObjectInstance? _env;

    public ObjectInstance Db { get; } = db;

    public ObjectInstance UserDb { get; } = userDb;

    public ClrFunction Log { get; } = log;

    public ClrFunction Fetch { get; } = fetch;

    public ClrFunction Reject { get; } = reject;

    /// <summary>The layout of the documents this engine's runs get as <c>event.data</c>.</summary>
    public DocumentLayouts DocumentLayouts { get; } = new();

    /// <summary>
    /// <c>ctx.env</c>, frozen; the same object again while the secrets are the same (the secret store hands out one
    /// dictionary until they change), a new one when they changed.
    /// </summary>
    public ObjectInstance Environment(Engine engine, IReadOnlyDictionary<string, string> environment)
    {
        if (_env is not null && ReferenceEquals(_environment, environment))
        {
            return _env;
        }

        var env = new JsObject(engine);
        foreach (var (name, value) in environment)
        {
            env.Set(name, value);
        }

        FunctionRun.Freeze(engine, env);
        _environment = environment;
        _env = env;
        return env;
    }
}
