using System.Buffers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Documents.Updates;
using Platform.Server.Functions;
using Platform.Server.Rules;
using Platform.Server.Storage;

namespace Platform.Server.Documents;

/// <summary>
/// Every document write goes through here. A write is planned against the current documents (read
/// outside any transaction), validated (field names, limits, schema), and then written in one atomic
/// store call whose replaces and deletes are conditional on the versions that were read. If another
/// writer got there first and the client gave no If-Match, the whole plan is re-run on fresh reads:
/// optimistic concurrency that behaves the same on every provider. Every command of a client (not a
/// service key or admin) is checked against the collection's rules (<see cref="DocumentRules"/>) as it is
/// planned, so a batch with one denied op fails as a whole. <c>before</c> triggers (<see cref="IBeforeWriteHook"/>)
/// run per command after the rules and before the schema check, for every caller; the records of their runs are
/// committed in the same store write as the documents where the store combines writes cheaply (SQLite), else queued
/// once the write committed.
/// </summary>
public sealed class DocumentService(
    IDocumentStore store,
    CollectionRegistry registry,
    DocumentValidator validator,
    DocumentIdGenerator ids,
    DocumentRules rules,
    IOptions<CollectionOptions> collectionOptions,
    TimeProvider time,
    IBeforeWriteHook? beforeWrite = null)
{
    private const int MaxAttempts = 16;

    // Upper bound of the random wait before a retry after a lost race: 4 ms after the first, doubling, at most this.
    private const int MaxRetryJitterMs = 128;

    private readonly DocumentWriteTurns _turns = new();

    /// <summary>The turns of this service's writers (tests look at who holds or waits for one).</summary>
    internal DocumentWriteTurns Turns => _turns;

    /// <summary>Reads one document the caller may see, or throws 404 (or 401/403, see <see cref="DocumentRules"/>).</summary>
    public async Task<JsonObject> GetAsync(string collection, string id, Caller caller, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        DocumentIds.Validate(id);
        if (await ResolveAsync(collection, caller, forWrite: false, cancellationToken) is not { } resolved)
        {
            throw DocumentNotFound(id);
        }

        DocumentRules.Require(resolved, RuleOperation.Get, caller);
        var document = await store.GetAsync(collection, id, cancellationToken) ?? throw DocumentNotFound(id);
        rules.CheckGet(resolved, caller, document);
        return document;
    }

    /// <summary>Runs one command; errors are thrown as they are.</summary>
    public async Task<CommandResult> ExecuteAsync(DocumentCommand command, Caller caller, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(caller);

        // An update or delete that would retry after a lost race waits for its turn on this document instead
        // (DocumentWriteTurns): this node's writers of one document then never race each other. A function's own
        // write (ctx.db, caller.Origin set) does not wait: a before trigger can run while its write holds a turn, so two
        // triggered writes that each write the other's document would otherwise wait on each other until their budget.
        var turn = command is ReplaceCommand or PatchCommand or DeleteCommand && command.IfMatch is null
            && caller.Origin is null && command.TargetId is { } id
            ? (command.Collection, id)
            : ((string, string)?)null;
        var results = await ExecuteAsync([command], caller, isBatch: false, turn, cancellationToken);
        return results[0];
    }

    /// <summary>
    /// Runs several commands atomically, in order; a later command sees the effect of an earlier one.
    /// In a batch, a failure is wrapped in <see cref="BatchOperationException"/> carrying its index.
    /// </summary>
    public Task<IReadOnlyList<CommandResult>> ExecuteAsync(IReadOnlyList<DocumentCommand> commands, Caller caller, bool isBatch, CancellationToken cancellationToken = default) =>
        ExecuteAsync(commands, caller, isBatch, turnOf: null, cancellationToken);

    /// <param name="commands">The commands, run atomically in order.</param>
    /// <param name="caller">Who asks.</param>
    /// <param name="isBatch">Wrap failures in <see cref="BatchOperationException"/>.</param>
    /// <param name="turnOf">The document whose turn the write takes (<see cref="DocumentWriteTurns"/>), or null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    private async Task<IReadOnlyList<CommandResult>> ExecuteAsync(IReadOnlyList<DocumentCommand> commands, Caller caller, bool isBatch, (string Collection, string Id)? turnOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(caller);
        var turn = turnOf is { } document ? _turns.Enter(document.Collection, document.Id) : null;
        var turnTaken = false;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var plan = new Plan();
                for (var i = 0; i < commands.Count; i++)
                {
                    try
                    {
                        await PlanAsync(commands[i], plan, caller, cancellationToken);
                    }
                    catch (Exception ex) when (isBatch && ex is DomainException or StorageException)
                    {
                        throw new BatchOperationException(i, ex);
                    }
                }

                if (turn is not null && !turnTaken)
                {
                    // The turn is taken only once the plan passed the rules, the schema and the before triggers: a
                    // refused request (a flood of signed-out writes, say) never waits in the queue nor holds it, so
                    // it cannot delay an allowed writer. A writer that another one preceded planned against a version
                    // that has since been replaced, so it plans again (under its turn) instead of losing a race.
                    turnTaken = true;
                    if (await turn.TakeAsync(cancellationToken))
                    {
                        continue;
                    }
                }

                try
                {
                    await store.WriteAsync(plan.WritesFor(caller), cancellationToken);
                    await plan.CommittedAsync();
                    return plan.Results;
                }
                catch (StorageException ex) when (plan.IsExtra(ex.OpIndex))
                {
                    // A run record failed with its document (a fault of the server, not of the request): nothing was written.
                    throw new InvalidOperationException($"The record of a before trigger's run failed in its document's store write ({ex.GetType().Name}), so nothing was written.", ex);
                }
                catch (VersionMismatchException ex) when (commands[ex.OpIndex].IfMatch is null && plan.Conditional[ex.OpIndex] && attempt < MaxAttempts)
                {
                    // Lost a race with another writer: re-read and re-apply. Random waits that double with each attempt spread
                    // the contenders out. Writes commit in groups, and of the writes in one group that expect the same
                    // version only the first can win, so with n contenders all arriving together each group settles one of
                    // them. Waits that grew by 4 ms an attempt (~240 ms in all on average) kept 40 contenders together whenever
                    // a group took longer than the waits (a loaded machine), and some lost 16 times in a row (write_conflict,
                    // DocumentEndpointsTests.ConcurrentIncrements_WithoutIfMatch_AreAllApplied failing on main under load).
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, RetryJitterCeilingMs(attempt))), time, cancellationToken);
                }
                catch (VersionMismatchException ex) when (commands[ex.OpIndex].IfMatch is null && plan.Conditional[ex.OpIndex])
                {
                    var conflict = new DomainException(ErrorKind.Conflict, "write_conflict", $"Document '{ex.Id}' changed too often while this write was retried; try again.");
                    throw isBatch ? new BatchOperationException(ex.OpIndex, conflict) : conflict;
                }
                catch (StorageException ex) when (isBatch)
                {
                    throw new BatchOperationException(ex.OpIndex, ex);
                }
            }
        }
        finally
        {
            turn?.Dispose();
        }
    }

    /// <summary>The exclusive upper bound (ms) of the random wait before retry number <paramref name="attempt"/>: 4, 8, 16, ... up to 128.</summary>
    internal static int RetryJitterCeilingMs(int attempt) => attempt >= 6 ? MaxRetryJitterMs : Math.Min(MaxRetryJitterMs, 4 << (attempt - 1));

    private sealed class Plan
    {
        /// <summary>One per command, in the commands' order (a store failure's op index below their count is the command's).</summary>
        public List<WriteOperation> Writes { get; } = [];

        /// <summary>What the <c>before</c> triggers add to the write (their run records), after the commands' writes.</summary>
        private List<WriteOperation>? _extra;

        public List<CommandResult> Results { get; } = [];

        /// <summary>Per write: was it made conditional on a version we read (and so may be retried)?</summary>
        public List<bool> Conditional { get; } = [];

        /// <summary>Documents as this plan leaves them (null = deleted), so later commands see earlier ones.</summary>
        public Dictionary<(string Collection, string Id), JsonObject?> Pending { get; } = [];

        /// <summary>What the <c>before</c> triggers of this plan's writes do once they committed (record their runs).</summary>
        private List<Func<CancellationToken, ValueTask>>? _committed;

        /// <summary>Keeps what the triggers of the command being planned add to the write.</summary>
        public void Add(BeforeWriteResult outcome)
        {
            if (outcome.Committed is { } committed)
            {
                (_committed ??= []).Add(committed);
            }

            if (outcome.Writes is { Count: > 0 } writes)
            {
                (_extra ??= []).AddRange(writes);
            }
        }

        /// <summary>
        /// The store write: the commands' writes, marked with the origin when a function run makes them (loop guard and
        /// chain depth of <c>after</c> triggers, DESIGN.md section 9), then the triggers' run records, unmarked.
        /// </summary>
        public List<WriteOperation> WritesFor(Caller caller)
        {
            var writes = caller.Origin is { } origin ? Writes.ConvertAll(write => write with { Origin = origin }) : Writes;
            if (_extra is null)
            {
                return writes;
            }

            var all = new List<WriteOperation>(writes.Count + _extra.Count);
            all.AddRange(writes);
            all.AddRange(_extra);
            return all;
        }

        /// <summary>True when <paramref name="opIndex"/> is one of the triggers' writes rather than a command's.</summary>
        public bool IsExtra(int opIndex) => _extra is not null && opIndex >= Writes.Count;

        /// <summary>
        /// Runs the callbacks of the triggers after the commit. Not with the request's token: the write is done, and
        /// its runs' records are queued whether or not the client is still there.
        /// </summary>
        public async Task CommittedAsync()
        {
            if (_committed is null)
            {
                return;
            }

            foreach (var committed in _committed)
            {
                await committed(CancellationToken.None);
            }
        }

        public void Add(WriteOperation write, CommandResult result, bool conditional)
        {
            Writes.Add(write);
            Results.Add(result);
            Conditional.Add(conditional);
        }
    }

    private async Task PlanAsync(DocumentCommand command, Plan plan, Caller caller, CancellationToken cancellationToken)
    {
        var collection = await ResolveAsync(command.Collection, caller, forWrite: true, cancellationToken)
            ?? throw CollectionNotFound(command.Collection);
        if (command.TargetId is not null)
        {
            DocumentIds.Validate(command.TargetId);
        }

        switch (command)
        {
            case CreateCommand create:
                await PlanCreateAsync(collection, create.Data, idFromUrl: null, plan, caller, cancellationToken);
                break;
            case ReplaceCommand replace:
                await PlanReplaceAsync(collection, replace, plan, caller, cancellationToken);
                break;
            case PatchCommand patch:
                await PlanPatchAsync(collection, patch, plan, caller, cancellationToken);
                break;
            case DeleteCommand delete:
                await PlanDeleteAsync(collection, delete, plan, caller, cancellationToken);
                break;
            default:
                throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command));
        }
    }

    private async Task PlanCreateAsync(Collection collection, JsonObject body, string? idFromUrl, Plan plan, Caller caller, CancellationToken cancellationToken)
    {
        DocumentRules.Require(collection, RuleOperation.Create, caller);
        var input = validator.Validate(body);
        if (idFromUrl is not null && input.SuppliedId is not null && input.SuppliedId != idFromUrl)
        {
            throw IdMismatch(input.SuppliedId, idFromUrl);
        }

        var id = idFromUrl ?? input.SuppliedId ?? ids.NewId();
        var now = Timestamps.Format(time.GetUtcNow());
        var triggers = await FindBeforeTriggersAsync(collection, TriggerOperation.Create, cancellationToken);

        // Without triggers the schema is checked on the fields before Compose moves them into the document.
        var schemaErrors = triggers is null ? SchemaErrors(collection, input.Document) : null;
        var document = Compose(id, input.Document, version: 1, createdAt: now, updatedAt: now, createdBy: caller.UserId);

        // The rule sees the document exactly as it would be stored, _createdBy included. It is checked
        // before the schema so that a caller who may not write learns nothing about what would be valid.
        rules.CheckCreate(collection, caller, document);
        if (triggers is not null)
        {
            var outcome = await triggers.RunAsync(new BeforeWrite(TriggerOperation.Create, collection.Name, id, document, null, caller), cancellationToken);
            plan.Add(outcome);
            if (outcome.Fields is { } fields)
            {
                schemaErrors = SchemaErrors(collection, fields);
                document = Compose(id, fields, version: 1, createdAt: now, updatedAt: now, createdBy: caller.UserId);
            }
            else
            {
                schemaErrors = SchemaErrors(collection, UserFields(document));
            }
        }

        ThrowIfInvalid(collection, schemaErrors);
        plan.Pending[(collection.Name, id)] = document;
        plan.Add(new InsertOperation(collection.Name, document), new CommandResult(StatusCodes.Status201Created, document), conditional: false);
    }

    private async Task PlanReplaceAsync(Collection collection, ReplaceCommand command, Plan plan, Caller caller, CancellationToken cancellationToken)
    {
        // Refuse before the read when no outcome can be allowed: a plain replace without an update rule,
        // or an upsert without an update or a create rule.
        if (!command.Upsert || collection.Rules[RuleOperation.Create] is null)
        {
            DocumentRules.Require(collection, RuleOperation.Update, caller);
        }

        // A body _id that differs from the URL is a bad request whatever is stored (DESIGN.md section 3): checked
        // before the read, so it is 400 for a missing document too, not 404, and the same with or without upsert.
        if (command.Data[SystemFields.Id] is { } bodyId && DocumentValidator.CheckId(bodyId) is var suppliedId && suppliedId != command.Id)
        {
            throw IdMismatch(suppliedId, command.Id);
        }

        var current = await CurrentAsync(collection.Name, command.Id, plan, cancellationToken);
        if (current is null)
        {
            if (!command.Upsert)
            {
                throw DocumentNotFound(command.Id);
            }

            if (command.IfMatch is not null || command.MustExist)
            {
                throw PreconditionFailed(command.Id, null);
            }

            await PlanCreateAsync(collection, command.Data, command.Id, plan, caller, cancellationToken);
            return;
        }

        DocumentRules.Require(collection, RuleOperation.Update, caller);
        rules.CheckVisible(collection, caller, current);
        var version = CheckIfMatch(current, command);
        var input = validator.Validate(command.Data);
        await PlanUpdateAsync(collection, current, version, input.Document, plan, caller, cancellationToken);
    }

    private async Task PlanPatchAsync(Collection collection, PatchCommand command, Plan plan, Caller caller, CancellationToken cancellationToken)
    {
        DocumentRules.Require(collection, RuleOperation.Update, caller);
        var operatorKeys = command.Data.Count(p => p.Key.StartsWith('$'));
        if (operatorKeys > 0 && operatorKeys < command.Data.Count)
        {
            throw new InvalidInputException(
                "invalid_update",
                "A PATCH body is either a merge patch (no '$' keys) or an operator update (only '$' keys), not both.",
                command.Data.First(p => !p.Key.StartsWith('$')).Key);
        }

        // Parse before reading so a bad body fails fast, without touching the store.
        var update = operatorKeys > 0 ? UpdateParser.Parse(command.Data) : null;
        var patch = update is null ? validator.Validate(command.Data).Document : null;

        var current = await CurrentAsync(collection.Name, command.Id, plan, cancellationToken) ?? throw DocumentNotFound(command.Id);

        // Visibility first: errors from If-Match or from applying the update would describe a hidden document.
        rules.CheckVisible(collection, caller, current);
        var version = CheckIfMatch(current, command);

        // One copy of the stored document per PATCH (issue 13, item 4): its user fields, which the update or the merge
        // patch then changes in place, the validator checks in place and Compose moves into the new document.
        var fields = UserFields(current);
        var updated = update is not null
            ? UpdateApplier.ApplyInPlace(update, fields, time.GetUtcNow())
            : MergePatch.ApplyInPlace(fields, patch!);
        await PlanUpdateAsync(collection, current, version, validator.ValidateOwned(updated).Document, plan, caller, cancellationToken);
    }

    private async Task PlanDeleteAsync(Collection collection, DeleteCommand command, Plan plan, Caller caller, CancellationToken cancellationToken)
    {
        long? expected = command.IfMatch;
        var key = (collection.Name, command.Id);
        var triggers = await FindBeforeTriggersAsync(collection, TriggerOperation.Delete, cancellationToken);
        if (caller.Privileged && triggers is null && command.IfNoneMatch is null && !plan.Pending.ContainsKey(key))
        {
            // No rule needs the document, so no read is needed either: the store reports a missing
            // document (404) or a version mismatch (412).
            plan.Pending[key] = null;
            plan.Add(new DeleteOperation(collection.Name, command.Id, expected), new CommandResult(StatusCodes.Status204NoContent, null), conditional: false);
            return;
        }

        // The rule and the before triggers need the stored document (or the state an earlier op of this batch left);
        // the delete is then conditional on the version read, so a document changed meanwhile is re-read and re-checked.
        DocumentRules.Require(collection, RuleOperation.Delete, caller);
        var current = await CurrentAsync(collection.Name, command.Id, plan, cancellationToken) ?? throw DocumentNotFound(command.Id);
        rules.CheckVisible(collection, caller, current);
        expected = CheckIfMatch(current, command);
        rules.CheckDelete(collection, caller, current);
        if (triggers is not null)
        {
            var outcome = await triggers.RunAsync(new BeforeWrite(TriggerOperation.Delete, collection.Name, command.Id, null, current, caller), cancellationToken);
            plan.Add(outcome);
        }

        plan.Pending[key] = null;
        plan.Add(new DeleteOperation(collection.Name, command.Id, expected), new CommandResult(StatusCodes.Status204NoContent, null), conditional: command.IfMatch is null);
    }

    private async Task PlanUpdateAsync(Collection collection, JsonObject current, long version, JsonObject fields, Plan plan, Caller caller, CancellationToken cancellationToken)
    {
        var id = current[SystemFields.Id]!.GetValue<string>();
        var triggers = await FindBeforeTriggersAsync(collection, TriggerOperation.Update, cancellationToken);
        var schemaErrors = triggers is null ? SchemaErrors(collection, fields) : null;
        var createdAt = current[SystemFields.CreatedAt]?.GetValue<string>() ?? Timestamps.Format(time.GetUtcNow());
        var updatedAt = Timestamps.Format(time.GetUtcNow());
        var createdBy = current[SystemFields.CreatedBy]?.GetValue<string>();
        var document = Compose(id, fields, version + 1, createdAt, updatedAt, createdBy);
        rules.CheckUpdate(collection, caller, current, document);
        if (triggers is not null)
        {
            var outcome = await triggers.RunAsync(new BeforeWrite(TriggerOperation.Update, collection.Name, id, document, current, caller), cancellationToken);
            plan.Add(outcome);
            if (outcome.Fields is { } changed)
            {
                schemaErrors = SchemaErrors(collection, changed);
                document = Compose(id, changed, version + 1, createdAt, updatedAt, createdBy);
            }
            else
            {
                schemaErrors = SchemaErrors(collection, UserFields(document));
            }
        }

        ThrowIfInvalid(collection, schemaErrors);
        plan.Pending[(collection.Name, id)] = document;
        plan.Add(new ReplaceOperation(collection.Name, document, version), new CommandResult(StatusCodes.Status200OK, document), conditional: true);
    }

    /// <summary>Null (synchronously, from a cached index) unless a <c>before</c> trigger listens to this collection and operation.</summary>
    private ValueTask<IBeforeWriteTriggers?> FindBeforeTriggersAsync(Collection collection, TriggerOperation operation, CancellationToken cancellationToken) =>
        beforeWrite is null ? ValueTask.FromResult<IBeforeWriteTriggers?>(null) : beforeWrite.FindAsync(collection.Name, operation, cancellationToken);

    private IReadOnlyList<FieldError>? SchemaErrors(Collection collection, JsonObject fields) =>
        collection.Schema?.Validate(fields, validator.SchemaTimeout) is { Count: > 0 } errors ? errors : null;

    private static void ThrowIfInvalid(Collection collection, IReadOnlyList<FieldError>? errors)
    {
        if (errors is not null)
        {
            throw new InvalidInputException("schema_validation", $"The document does not match the schema of '{collection.Name}': {errors[0].Path} {errors[0].Message}.", errors[0].Path, ErrorKind.Unprocessable)
            {
                Errors = errors,
            };
        }
    }

    private static JsonObject Compose(string id, JsonObject fields, long version, string createdAt, string updatedAt, string? createdBy)
    {
        // The fields are the service's own copy (the validator returned it, without system fields), so their nodes move
        // over uncopied: detached all at once, and the document made at its final size rather than grown a property at a
        // time (a before trigger's create composes twice; the growth's copies were a tenth of what a create allocates).
        var properties = ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Rent(fields.Count + 5);
        try
        {
            var count = 0;
            properties[count++] = new(SystemFields.Id, JsonValue.Create(id));
            foreach (var (name, value) in fields)
            {
                // Never there (validated); skipped rather than written twice, as the system values below win.
                if (!SystemFields.IsSystemField(name))
                {
                    properties[count++] = new(name, value);
                }
            }

            fields.Clear();
            properties[count++] = new(SystemFields.CreatedAt, JsonValue.Create(createdAt));
            properties[count++] = new(SystemFields.UpdatedAt, JsonValue.Create(updatedAt));
            properties[count++] = new(SystemFields.CreatedBy, createdBy is null ? null : JsonValue.Create(createdBy));
            properties[count++] = new(SystemFields.Version, JsonValue.Create(version));
            return new JsonObject(new ArraySegment<KeyValuePair<string, JsonNode?>>(properties, 0, count));
        }
        finally
        {
            ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Return(properties, clearArray: true);
        }
    }

    private async Task<JsonObject?> CurrentAsync(string collection, string id, Plan plan, CancellationToken cancellationToken) =>
        plan.Pending.TryGetValue((collection, id), out var pending)
            ? pending
            : await store.GetAsync(collection, id, cancellationToken);

    /// <summary>If-Match and If-None-Match against the current document (after its visibility: a hidden one is a 404).</summary>
    private static long CheckIfMatch(JsonObject current, DocumentCommand command)
    {
        var version = current[SystemFields.Version]!.GetValue<long>();
        if (command.IfMatch is { } expected && expected != version)
        {
            throw PreconditionFailed(command.TargetId!, version);
        }

        if (command.IfNoneMatch is { } noneMatch && Preconditions.IfNoneMatchHolds(noneMatch, version))
        {
            throw PreconditionFailed(command.TargetId!, version, $"Document '{command.TargetId}' exists at version {version}; If-None-Match did not hold.");
        }

        return version;
    }

    /// <summary>The document without its system fields: what updates and schemas see.</summary>
    internal static JsonObject UserFields(JsonObject document)
    {
        var fields = new JsonObject();
        foreach (var (name, value) in document)
        {
            if (!SystemFields.IsSystemField(name))
            {
                fields[name] = value?.DeepClone();
            }
        }

        return fields;
    }

    /// <summary>The collection, or null when it is undefined (and may not be auto-created).</summary>
    internal async Task<Collection?> ResolveAsync(string name, Caller caller, bool forWrite, CancellationToken cancellationToken)
    {
        CollectionNames.Validate(name);
        var collection = await registry.FindAsync(name, cancellationToken);
        if (collection is not null)
        {
            return collection;
        }

        if (caller.Privileged && collectionOptions.Value.AutoCreate)
        {
            return forWrite ? await registry.GetOrAutoCreateAsync(name, cancellationToken) : null;
        }

        throw CollectionNotFound(name);
    }

    internal static DomainException CollectionNotFound(string name) => CollectionNames.NotDefined(name);

    private static DomainException DocumentNotFound(string id) =>
        new(ErrorKind.NotFound, "not_found", $"Document '{id}' was not found.");

    private static InvalidInputException IdMismatch(string supplied, string idFromUrl) =>
        new("id_mismatch", $"The body's _id '{supplied}' differs from the URL's '{idFromUrl}'.", SystemFields.Id);

    private static DomainException PreconditionFailed(string id, long? version, string? detail = null) =>
        new(ErrorKind.PreconditionFailed, "version_mismatch", detail ?? (version is null
            ? $"Document '{id}' does not exist, so If-Match cannot hold."
            : $"Document '{id}' is at version {version}; If-Match did not hold."))
        {
            Extensions = new Dictionary<string, object?> { ["currentVersion"] = version },
        };
}
