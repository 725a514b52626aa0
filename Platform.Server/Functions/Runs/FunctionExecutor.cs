using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Functions.Definitions;

namespace Platform.Server.Functions.Runs;

/// <summary>
/// <see cref="IFunctionExecutor"/>: runs a function through the <see cref="IFunctionRuntime"/> with <c>ctx.env</c>
/// from the secrets, at most <see cref="FunctionOptions.MaxConcurrentRuns"/> at once on this node, masks secret
/// values in what the run leaves behind, enforces the log and result caps, and records the run. A failed or
/// timed-out run of a trigger or schedule on its last attempt becomes a dead letter; callable and manual runs
/// answer their caller and are never dead letters.
/// </summary>
public sealed partial class FunctionExecutor : IFunctionExecutor, IDisposable
{
    private readonly IFunctionRuntime _runtime;
    private readonly IFunctionSecrets _secrets;
    private readonly IFunctionCatalog _catalog;
    private readonly FunctionRunStore _runs;
    private readonly FunctionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FunctionExecutor> _logger;
    private readonly SemaphoreSlim _slots;
    private MaskerFor? _masker;

    public FunctionExecutor(
        IFunctionRuntime runtime,
        IFunctionSecrets secrets,
        IFunctionCatalog catalog,
        FunctionRunStore runs,
        IOptions<FunctionOptions> options,
        TimeProvider time,
        ILogger<FunctionExecutor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _runtime = runtime;
        _secrets = secrets;
        _catalog = catalog;
        _runs = runs;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.MaxConcurrentRuns, _options.MaxConcurrentRuns);
    }

    /// <summary>
    /// A new run id: 24 hex characters, the first 12 the milliseconds since the Unix epoch and the rest random, so ids
    /// made later sort later and a run record's insert appends to the id index of <c>_function_runs</c> instead of
    /// touching a random page of it (each touched page is a page written to the store's log).
    /// </summary>
    public static string NewRunId() => NewRunId(DateTimeOffset.UtcNow);

    /// <inheritdoc cref="NewRunId()"/>
    internal static string NewRunId(DateTimeOffset now)
    {
        Span<byte> id = stackalloc byte[12];
        BinaryPrimitives.WriteInt64BigEndian(id, Math.Max(0, now.ToUnixTimeMilliseconds()) << 16);
        // Not a secret (admins read run ids, functions read event ids): it only has to differ within a millisecond,
        // and the cryptographic generator cost a triggered write more than the rest of the id.
#pragma warning disable CA5394
        Random.Shared.NextBytes(id[6..]);
#pragma warning restore CA5394
        return Convert.ToHexStringLower(id);
    }

    public async Task<FunctionRunRecord> ExecuteAsync(FunctionDefinition function, FunctionInvocation invocation, CancellationToken cancellationToken = default)
    {
        var run = await RunUnrecordedAsync(function, invocation, cancellationToken);
        await _runs.SaveAsync(run, cancellationToken);
        return run;
    }

    public async Task<FunctionRunRecord> RunUnrecordedAsync(FunctionDefinition function, FunctionInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(invocation);
        var environment = await _secrets.GetAllAsync(cancellationToken);

        // A callable's client, and a write held up by a before trigger (which has its own Timeout), wait at most the
        // run's budget for a free slot; other runs queue. A before trigger's ctx.db write may run another before
        // trigger while holding a slot, so an unbounded wait there could deadlock.
        if (invocation.Trigger == RunTrigger.Callable || invocation.Timeout is not null)
        {
            if (!await _slots.WaitAsync(invocation.Timeout ?? TimeSpan.FromSeconds(function.TimeoutSeconds), cancellationToken))
            {
                Log.Busy(_logger, function.Name, _options.MaxConcurrentRuns);
                throw new DomainException(ErrorKind.Unavailable, "functions_busy", $"Every function slot of this server is busy ({_options.MaxConcurrentRuns}, Baas:Functions:MaxConcurrentRuns); try again shortly.");
            }
        }
        else
        {
            await _slots.WaitAsync(cancellationToken);
        }

        var startedAt = _time.GetUtcNow();
        FunctionRunResult result;
        try
        {
            result = await _runtime.RunAsync(function, invocation, environment, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }

        var run = Record(function, invocation, startedAt, result, MaskerOf(environment));
        if (run.Status is RunStatus.Failed or RunStatus.TimedOut)
        {
            Log.RunFailed(_logger, run.Function, run.Version, run.Id, run.Trigger.Name(), run.Attempt, run.Status.Name(), run.DeadLetter);
        }

        return run;
    }

    public async Task<FunctionRunRecord?> RetryAsync(string function, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(runId);
        var previous = await _runs.GetAsync(function, runId, cancellationToken);
        if (previous is null)
        {
            return null;
        }

        // A replay is for a run that did not get done (DESIGN.md section 9: a failed run is retried, then dead-lettered); a
        // succeeded run replayed would repeat its effects, and a rejection was the function's own answer.
        if (previous.Status is not (RunStatus.Failed or RunStatus.TimedOut))
        {
            throw new DomainException(
                ErrorKind.Conflict,
                "run_not_retryable",
                $"Run '{runId}' {(previous.Status == RunStatus.Succeeded ? "succeeded" : "was rejected by the function")}; only failed or timed-out runs are replayed. To run the function again, POST /api/admin/functions/{function}/run.",
                "id");
        }

        var definition = await _catalog.GetAsync(function, cancellationToken) ?? throw FunctionAdminService.NotFound(function);
        var invocation = new FunctionInvocation
        {
            RunId = NewRunId(),
            Trigger = previous.Trigger,
            Attempt = previous.Attempt + 1,
            LastAttempt = true,
            Args = previous.Args?.DeepClone(),
            Event = previous.Event,
            DueAt = previous.DueAt,
        };
        return await ExecuteAsync(definition, invocation, cancellationToken);
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>
    /// The masker of these secrets: the secret store hands out the same dictionary until the secrets change, so the
    /// masker made for it is reused rather than sorted again for every run.
    /// </summary>
    private SecretMasker MaskerOf(IReadOnlyDictionary<string, string> environment)
    {
        var cached = Volatile.Read(ref _masker);
        if (cached is not null && ReferenceEquals(cached.Environment, environment))
        {
            return cached.Masker;
        }

        var made = new MaskerFor(environment, new SecretMasker(environment.Values));
        Volatile.Write(ref _masker, made);
        return made.Masker;
    }

    private sealed record MaskerFor(IReadOnlyDictionary<string, string> Environment, SecretMasker Masker);

    private FunctionRunRecord Record(FunctionDefinition function, FunctionInvocation invocation, DateTimeOffset startedAt, FunctionRunResult result, SecretMasker masker)
    {
        var status = result.Status;
        var error = result.Error is { } e ? e with { Message = masker.Apply(e.Message) } : null;
        // Copied only when there are secrets to mask (the runtime's node is not shared). The size is checked again
        // whatever the runtime, unless the runtime established a bound within the cap and masking changed nothing.
        var output = masker.IsEmpty ? result.Result : masker.Apply(result.Result);
        var measured = !masker.IsEmpty || result.ResultBytesAtMost is not { } bound || bound > _options.MaxResultBytes;
        var bytesAtMost = measured ? null : result.ResultBytesAtMost;
        if (output is not null && measured)
        {
            var size = Encoding.UTF8.GetByteCount(output.ToJsonString());
            if (size > _options.MaxResultBytes)
            {
                status = RunStatus.Failed;
                output = null;
                error = new FunctionError($"The result is {size} bytes of JSON, more than the {_options.MaxResultBytes} allowed (Baas:Functions:MaxResultBytes).");
            }
            else
            {
                bytesAtMost = size;
            }
        }

        var rejection = result.Rejection is { } r ? r with { Message = masker.Apply(r.Message) } : null;
        var deadLetter = status is RunStatus.Failed or RunStatus.TimedOut
            && invocation.LastAttempt
            && invocation.Trigger is RunTrigger.Document or RunTrigger.Schedule;
        return new FunctionRunRecord(
            invocation.RunId,
            function.Name,
            function.Version,
            invocation.Trigger,
            invocation.Event?.Id,
            invocation.Attempt,
            status,
            startedAt,
            (long)result.Duration.TotalMilliseconds,
            CapLogs(result.Logs, result.LogLinesDropped, masker),
            error,
            output,
            rejection,
            deadLetter,
            invocation.Args?.DeepClone(),
            invocation.Event,
            invocation.DueAt)
        {
            ResultBytesAtMost = output is null ? null : bytesAtMost,
        };
    }

    // Masking can make a line longer (a secret shorter than its mask), so the runtime's cap is applied again here. The
    // runtime's own "N more dropped" line is not a log line: its count joins the lines cut here, in one last line.
    private IReadOnlyList<string> CapLogs(IReadOnlyList<string> logs, int droppedByRuntime, SecretMasker masker)
    {
        if (logs.Count == 0)
        {
            // Most runs (a before trigger that returns data) log nothing: no list made for them.
            return Array.Empty<string>();
        }

        var lines = droppedByRuntime > 0 ? logs.Count - 1 : logs.Count;
        var kept = new List<string>(Math.Min(lines, _options.MaxLogLines) + 1);
        var bytes = 0;
        for (var i = 0; i < lines; i++)
        {
            var masked = masker.Apply(logs[i]);
            bytes += Encoding.UTF8.GetByteCount(masked);
            if (kept.Count >= _options.MaxLogLines || bytes > _options.MaxLogBytes)
            {
                break;
            }

            kept.Add(masked);
        }

        var dropped = lines - kept.Count + droppedByRuntime;
        if (dropped > 0)
        {
            kept.Add($"[{dropped} more log line{(dropped == 1 ? string.Empty : "s")} not kept: a run keeps {_options.MaxLogLines} lines and {_options.MaxLogBytes} bytes]");
        }

        return kept;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9120, Level = LogLevel.Warning, Message = "Function {Function} v{Version} run {RunId} ({Trigger}, attempt {Attempt}) ended {Status}; dead letter: {DeadLetter}.")]
        public static partial void RunFailed(ILogger logger, string function, int version, string runId, string trigger, int attempt, string status, bool deadLetter);

        [LoggerMessage(EventId = 9121, Level = LogLevel.Warning, Message = "Run of {Function} refused (callable or before trigger): all {Slots} function slots stayed busy.")]
        public static partial void Busy(ILogger logger, string function, int slots);
    }
}
