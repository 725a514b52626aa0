using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Functions.Runs;
using Platform.Server.Storage;

namespace Platform.Server.Functions.Triggers;

/// <summary>
/// <c>before</c> triggers (DESIGN.md section 9, docs/functions-before.md): the <see cref="IBeforeWriteHook"/> of the
/// document write path. The triggers are looked up in a <see cref="BeforeTriggerIndex{T}"/> rebuilt when the catalog
/// changes on this node (and at least every <see cref="FunctionOptions.DefinitionCacheTime"/> for changes made on
/// other nodes), so a write to a collection without a trigger costs one dictionary read. A trigger runs through the
/// <see cref="FunctionExecutor"/> with <see cref="FunctionOptions.BeforeTriggerTimeout"/>; what it returns replaces
/// the user fields (<c>{ data: {...} }</c>) or keeps them (nothing); <c>ctx.reject</c>, a failure, a timeout or any
/// other result refuses the write (fail closed).
/// </summary>
public sealed class BeforeTriggers : IBeforeWriteHook, IDisposable
{
    /// <summary>The problem code of a write refused because a before trigger failed, timed out or returned something unusable.</summary>
    public const string FailedCode = "before_trigger_failed";

    /// <summary>The problem code of a write refused by <c>ctx.reject(status, message)</c> (as for callables).</summary>
    public const string RejectedCode = "rejected_by_function";

    private readonly IFunctionCatalog _catalog;
    private readonly IServiceProvider _services;
    private readonly IDocumentStore _store;
    private readonly DocumentValidator _validator;
    private readonly FunctionOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _loadLock = new();
    private Snapshot? _snapshot;
    private Task<Snapshot>? _loading;
    private long _generation;
    private FunctionExecutor? _executor;
    private FunctionRunStore? _runs;

    public BeforeTriggers(IFunctionCatalog catalog, IServiceProvider services, IDocumentStore store, DocumentValidator validator, IOptions<FunctionOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        _catalog = catalog;
        _store = store;
        _services = services;
        _validator = validator;
        _options = options.Value;
        _time = time;
        _catalog.Changed += OnCatalogChanged;
    }

    private sealed record Snapshot(BeforeTriggerIndex<TriggerSet> Index, long LoadedAt, long Generation);

    // Resolved on first use: the executor's runtime writes documents through the DocumentService that holds this hook.
    private FunctionExecutor Executor => _executor ??= _services.GetRequiredService<FunctionExecutor>();

    private FunctionRunStore Runs => _runs ??= _services.GetRequiredService<FunctionRunStore>();

    public ValueTask<IBeforeWriteTriggers?> FindAsync(string collection, TriggerOperation operation, CancellationToken cancellationToken = default)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && snapshot.Generation == Interlocked.Read(ref _generation) && _time.GetElapsedTime(snapshot.LoadedAt) < _options.DefinitionCacheTime)
        {
            return ValueTask.FromResult<IBeforeWriteTriggers?>(snapshot.Index.Find(collection, operation));
        }

        return FindSlowAsync(collection, operation, cancellationToken);
    }

    public void Dispose() => _catalog.Changed -= OnCatalogChanged;

    private async ValueTask<IBeforeWriteTriggers?> FindSlowAsync(string collection, TriggerOperation operation, CancellationToken cancellationToken)
    {
        Task<Snapshot> loading;
        lock (_loadLock)
        {
            // One load at a time: concurrent writes after a change wait for the same one.
            if (_loading is null || _loading.IsCompleted)
            {
                _loading = LoadAsync();
            }

            loading = _loading;
        }

        var snapshot = await loading.WaitAsync(cancellationToken);
        return snapshot.Index.Find(collection, operation);
    }

    private async Task<Snapshot> LoadAsync()
    {
        var generation = Interlocked.Read(ref _generation);
        var loadedAt = _time.GetTimestamp();

        // Not the write's token: other writes may be waiting for this load too.
        var functions = await _catalog.ListAsync(CancellationToken.None);
        var snapshot = new Snapshot(BeforeTriggerIndex<TriggerSet>.Build(functions, list => new TriggerSet(this, list)), loadedAt, generation);
        Volatile.Write(ref _snapshot, snapshot);
        return snapshot;
    }

    private void OnCatalogChanged(string name) => Interlocked.Increment(ref _generation);

    /// <summary>The functions of one collection and operation, in name order.</summary>
    private sealed class TriggerSet(BeforeTriggers owner, FunctionDefinition[] functions) : IBeforeWriteTriggers
    {
        public Task<BeforeWriteResult> RunAsync(BeforeWrite write, CancellationToken cancellationToken = default) =>
            owner.RunAsync(functions, write, cancellationToken);
    }

    private async Task<BeforeWriteResult> RunAsync(FunctionDefinition[] functions, BeforeWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var origin = write.Caller.Origin;
        var depth = origin?.Depth ?? 0;
        var eventId = FunctionExecutor.NewRunId();
        var data = write.Data;
        JsonObject? fields = null;
        List<FunctionRunRecord>? succeeded = null;
        List<WriteOperation>? records = null;
        var combined = _store.CombinedWritesAreCheap;
        for (var i = 0; i < functions.Length; i++)
        {
            var function = functions[i];
            // A before trigger's own writes (ctx.db, ctx.userDb) do not run that same trigger again.
            if (origin?.Function == function.Name)
            {
                continue;
            }

            if (depth >= _options.MaxChainDepth)
            {
                throw new DomainException(
                    ErrorKind.Unprocessable,
                    FailedCode,
                    $"chain_depth_exceeded: this {write.Operation.Name()} of {write.Collection}/{write.DocumentId} was written by function '{origin!.Function}' at chain depth {depth}, " +
                    $"which reached the limit of {_options.MaxChainDepth} (Baas:Functions:MaxChainDepth), so its before trigger '{function.Name}' cannot run and nothing was written.")
                {
                    Extensions = new Dictionary<string, object?> { ["function"] = function.Name },
                };
            }

            var invocation = new FunctionInvocation
            {
                RunId = FunctionExecutor.NewRunId(),
                Trigger = RunTrigger.Document,
                Event = new FunctionEvent(eventId, write.Operation, write.Collection, write.DocumentId, write.Before, null, data),
                Caller = write.Caller,
                Depth = depth,
                Timeout = _options.BeforeTriggerTimeout,
            };

            // A refused write is not retried later, so its run is never a dead letter (copied only when marked one: a
            // successful run never is).
            var run = await Executor.RunUnrecordedAsync(function, invocation, cancellationToken);
            if (run.DeadLetter)
            {
                run = run with { DeadLetter = false };
            }

            switch (run.Status)
            {
                case RunStatus.Rejected:
                    await Runs.SaveAsync(run, cancellationToken);
                    throw new FunctionRejectedException(run.Rejection!)
                    {
                        Extensions = new Dictionary<string, object?> { ["runId"] = run.Id, ["function"] = function.Name },
                    };
                case RunStatus.Failed or RunStatus.TimedOut:
                    await Runs.SaveAsync(run, cancellationToken);
                    throw Failed(function, run);
            }

            // Where the record goes with the document (SQLite), it is written now, straight to its stored JSON, while the
            // result is as the function returned it; the returned data can then become the document without a copy.
            var record = combined ? RecordOf(run) : null;
            if (write.Operation != TriggerOperation.Delete && run.Result is not null)
            {
                if (run.Result is not JsonObject { Count: 1 } returned || returned["data"] is not JsonObject replacement)
                {
                    run = run with
                    {
                        Status = RunStatus.Failed,
                        Error = new FunctionError($"A before trigger returns nothing (keep the data) or {{ data: {{...}} }} (replace the user fields); it returned {Describe(run.Result)}."),
                    };
                    await Runs.SaveAsync(run, cancellationToken);
                    throw Failed(function, run);
                }

                ValidatedDocument validated;
                try
                {
                    // Names, depth and size as for a client's body; system fields (even a spread ctx.event.data's) are dropped.
                    // Nothing reads the result after its record was written, so its data is taken rather than copied.
                    // The run's bound of its result's size also bounds the data in it: no serialization only to measure it.
                    validated = record is not null ? _validator.ValidateOwned(replacement, run.ResultBytesAtMost) : _validator.Validate(replacement);
                }
                catch (DomainException)
                {
                    await Runs.SaveAsync(run, cancellationToken);
                    throw;
                }

                fields = validated.Document;

                // The next trigger sees the changed document; after the last one, nobody needs it.
                data = i < functions.Length - 1 ? WithUserFields(write.Data!, fields) : null;
            }

            if (record is not null)
            {
                (records ??= new List<WriteOperation>(functions.Length)).Add(record);
            }
            else
            {
                (succeeded ??= new List<FunctionRunRecord>(functions.Length)).Add(Slim(run));
            }
        }

        if (records is not null)
        {
            // In the document's own store write (SQLite: the same group-commit transaction, no second commit and no
            // queue): the records commit with the document or not at all.
            return new BeforeWriteResult(fields, null) { Writes = records };
        }

        if (succeeded is null)
        {
            return new BeforeWriteResult(fields, null);
        }

        // A store where a second operation makes the write a transaction (MongoDB): queued once the write committed and
        // written in groups with other records (FunctionRunWriter).
        var runs = Runs;
        return new BeforeWriteResult(fields, async cancellationToken =>
        {
            foreach (var run in succeeded)
            {
                await runs.EnqueueAsync(run, cancellationToken);
            }
        });
    }

    /// <summary>The insert of a successful run's <see cref="Slim"/> record (without the event's documents, not copied to leave them out).</summary>
    private WriteOperation RecordOf(FunctionRunRecord run) => Runs.Insert(run, eventDocuments: false);

    /// <summary>
    /// The record of a successful run (docs/functions-before.md, Runs): the event without the documents
    /// (<c>event.before</c>, <c>event.data</c>), which the stored document already holds; its id, type, collection,
    /// document id, the result (DESIGN.md section 9 lists it in every run record), logs and timing stay.
    /// </summary>
    internal static FunctionRunRecord Slim(FunctionRunRecord run) => run with
    {
        Event = run.Event is { } e ? e with { Before = null, After = null, Data = null } : null,
    };

    /// <summary>The document as it would now be stored: the write's system fields and the trigger's user fields (a copy).</summary>
    private static JsonObject WithUserFields(JsonObject document, JsonObject fields)
    {
        var result = new JsonObject();
        foreach (var (name, value) in document)
        {
            if (SystemFields.IsSystemField(name))
            {
                result[name] = value?.DeepClone();
            }
        }

        foreach (var (name, value) in fields)
        {
            result[name] = value?.DeepClone();
        }

        return result;
    }

    private static string Describe(JsonNode node) => node switch
    {
        JsonObject o => o.Count == 0 ? "an empty object" : $"an object with the fields {string.Join(", ", o.Select(p => p.Key).Take(5))}",
        JsonArray => "an array",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => "a string",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => "a number",
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "a value",
    };

    private static DomainException Failed(FunctionDefinition function, FunctionRunRecord run)
    {
        var error = run.Error;
        var where = error?.Line is { } line ? $" (line {line}{(error.Column is { } column ? $", column {column}" : string.Empty)})" : string.Empty;
        var what = run.Status == RunStatus.TimedOut ? "ran out of its time budget (Baas:Functions:BeforeTriggerTimeout)" : "failed";
        return new DomainException(
            ErrorKind.Unprocessable,
            FailedCode,
            $"The before trigger of function '{function.Name}' {what}, so nothing was written: {error?.Message ?? "unknown error"}{where}")
        {
            Extensions = new Dictionary<string, object?>
            {
                ["runId"] = run.Id,
                ["function"] = function.Name,
                ["runStatus"] = run.Status.Name(),
                ["error"] = error is null ? null : new JsonObject { ["message"] = error.Message, ["line"] = error.Line, ["column"] = error.Column },
            },
        };
    }
}
