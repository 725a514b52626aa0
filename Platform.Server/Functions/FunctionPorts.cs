using System.Text.Json.Nodes;

namespace Platform.Server.Functions;

/// <summary>
/// The sandbox (Jint): checks code and runs one invocation within the function's limits. Never throws for
/// anything the script does (syntax, exceptions, timeouts, memory, recursion, non-JSON results): that is
/// the <see cref="FunctionRunResult"/>. Throws only when the run's cancellation token is cancelled
/// by the caller (a client that went away, shutdown).
/// </summary>
public interface IFunctionRuntime
{
    /// <summary>Parses <paramref name="code"/> as a module with a default export; empty when it is fine.</summary>
    IReadOnlyList<CodeError> Check(string code);

    /// <summary>Runs the function's default export with <c>ctx</c> built from the invocation; <paramref name="environment"/> is <c>ctx.env</c>.</summary>
    Task<FunctionRunResult> RunAsync(
        FunctionDefinition function,
        FunctionInvocation invocation,
        IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken = default);
}

/// <summary>
/// Reads saved function definitions (current versions and old ones). Reads may be served from a
/// per-node cache: a change made on this node is visible at once, on other nodes within
/// <see cref="FunctionOptions.DefinitionCacheTime"/>.
/// </summary>
public interface IFunctionCatalog
{
    /// <summary>The current version, or null when there is no such function.</summary>
    Task<FunctionDefinition?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>One saved version, or null.</summary>
    Task<FunctionDefinition?> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default);

    /// <summary>The current version of every function, enabled or not, by name.</summary>
    Task<IReadOnlyList<FunctionDefinition>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Raised on this node after a function is saved, rolled back or deleted (the name is the argument).</summary>
    event Action<string>? Changed;
}

/// <summary>
/// Runs a function and records the run in <c>_function_runs</c>: adds <c>ctx.env</c> (decrypted secrets),
/// masks secret values in logs, errors and results, caps what it stores, and marks a failed
/// <see cref="FunctionInvocation.LastAttempt"/> a dead letter. Retrying is the caller's job (trigger
/// consumer, scheduler); replaying a recorded run is <see cref="RetryAsync"/>.
/// </summary>
public interface IFunctionExecutor
{
    Task<FunctionRunRecord> ExecuteAsync(FunctionDefinition function, FunctionInvocation invocation, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ExecuteAsync"/> without saving the record: the caller saves it (<c>FunctionRunStore.Insert</c>) in a store
    /// write of its own choosing, with other writes (a <c>before</c> trigger with the document; the <c>after</c>-trigger
    /// consumer with the records of other runs and its checkpoint).
    /// </summary>
    Task<FunctionRunRecord> RunUnrecordedAsync(FunctionDefinition function, FunctionInvocation invocation, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a recorded failed or timed-out run again with its args and event, on the function's current version, attempt + 1;
    /// null when there is no such run, a 409 <c>run_not_retryable</c> for a run that succeeded or was rejected.
    /// </summary>
    Task<FunctionRunRecord?> RetryAsync(string function, string runId, CancellationToken cancellationToken = default);
}

/// <summary>The secrets functions read as <c>ctx.env</c>, stored encrypted.</summary>
public interface IFunctionSecrets
{
    /// <summary>Every secret, decrypted: name → value.</summary>
    Task<IReadOnlyDictionary<string, string>> GetAllAsync(CancellationToken cancellationToken = default);
}

/// <summary>The JSON of a recorded run as the runs API answers it (the stored document adds the system fields).</summary>
public static class FunctionRunJson
{
    public const string Collection = "_function_runs";

    /// <summary>The run's public JSON (without system fields).</summary>
    public static JsonObject ToJson(FunctionRunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var json = new JsonObject { ["id"] = run.Id };
        AddFields(json, run, Common.Timestamps.Format(run.StartedAt));
        return json;
    }

    /// <summary>
    /// The run as stored in <see cref="Collection"/>: the system fields (<c>_id</c> = run id, created and updated at its
    /// start), then <see cref="ToJson"/>'s fields without <c>id</c>, built in one object (no copy of a tree). A member
    /// that holds nothing (<c>eventId</c>, <c>error</c>, <c>result</c>, <c>rejection</c>, <c>args</c>, <c>event</c> when null,
    /// <c>logs</c> when empty; the event's <c>before</c>, <c>after</c>, <c>data</c> when null) is left out:
    /// <see cref="FromJson"/> reads it back as null or empty, and most records are successful runs that have none of them,
    /// so every insert serializes, stores and logs fewer bytes.
    /// </summary>
    public static JsonObject ToDocument(FunctionRunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var stamp = Common.Timestamps.Format(run.StartedAt);
        var document = new JsonObject
        {
            [Storage.SystemFields.Id] = run.Id,
            [Storage.SystemFields.Version] = 1L,
            [Storage.SystemFields.CreatedAt] = stamp,
            [Storage.SystemFields.UpdatedAt] = stamp,
            [Storage.SystemFields.CreatedBy] = null,
            ["function"] = run.Function,
            ["version"] = run.Version,
            ["trigger"] = run.Trigger.Name(),
            ["attempt"] = run.Attempt,
            ["status"] = run.Status.Name(),
            ["startedAt"] = stamp,
            ["durationMs"] = run.DurationMs,
            ["deadLetter"] = run.DeadLetter,
        };
        if (run.EventId is { } eventId)
        {
            document["eventId"] = eventId;
        }

        if (run.Logs.Count > 0)
        {
            document["logs"] = Logs(run.Logs);
        }

        if (run.Error is { } error)
        {
            document["error"] = ErrorJson(error);
        }

        if (run.Result is { } result)
        {
            document["result"] = result.DeepClone();
        }

        if (run.Rejection is { } rejection)
        {
            document["rejection"] = RejectionJson(rejection);
        }

        if (run.Args is { } args)
        {
            document["args"] = args.DeepClone();
        }

        if (run.Event is { } functionEvent)
        {
            document["event"] = StoredEvent(functionEvent);
        }

        if (run.DueAt is { } dueAt)
        {
            document["dueAt"] = Common.Timestamps.Format(dueAt);
        }

        return document;
    }

    /// <summary>
    /// <see cref="ToDocument"/>'s JSON written straight to UTF-8 (the same members in the same order, strings escaped as
    /// the stores keep them), without building the node tree first: for a record that is only stored, never read back
    /// (a successful <c>before</c> trigger's run, inserted with its document). The run's nodes are written, not kept.
    /// With <paramref name="eventDocuments"/> false the event's <c>before</c>, <c>after</c> and <c>data</c> are left out,
    /// as they are of a record with those members null (the slim record of a successful <c>before</c> run), without
    /// copying the record to null them.
    /// </summary>
    public static byte[] ToUtf8Json(FunctionRunRecord run, bool eventDocuments = true)
    {
        ArgumentNullException.ThrowIfNull(run);
        return ToUtf8Json(run, eventDocuments, Common.Timestamps.Format(run.StartedAt));
    }

    /// <summary>
    /// <see cref="ToUtf8Json(FunctionRunRecord, bool)"/> with the start already formatted (<see cref="Common.Timestamps.Format"/>
    /// of <see cref="FunctionRunRecord.StartedAt"/>): a store that also keeps it in a column formats it once.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="eventDocuments">False to leave the event's documents out (see <see cref="ToUtf8Json(FunctionRunRecord, bool)"/>).</param>
    /// <param name="startedAt">The run's start, formatted.</param>
    /// <param name="documentFields">
    /// False to leave out the system fields other than <c>_id</c> (<c>_version</c>, <c>_createdAt</c>, <c>_updatedAt</c>,
    /// <c>_createdBy</c>): only a document of the <see cref="Collection"/> needs them; a store that keeps records in a table
    /// of their own (SQLite) writes about 70 bytes less per record, and <see cref="FromJson"/> reads either.
    /// </param>
    public static byte[] ToUtf8Json(FunctionRunRecord run, bool eventDocuments, string startedAt, bool documentFields = true)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(startedAt);
        using var buffer = new Common.PooledBufferWriter();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, StoredJson))
        {
            writer.WriteStartObject();
            writer.WriteString(Names.Id, run.Id);
            if (documentFields)
            {
                writer.WriteNumber(Names.SystemVersion, 1L);
                writer.WriteString(Names.CreatedAt, startedAt);
                writer.WriteString(Names.UpdatedAt, startedAt);
                writer.WriteNull(Names.CreatedBy);
            }

            writer.WriteString(Names.Function, run.Function);
            writer.WriteNumber(Names.Version, run.Version);
            writer.WriteString(Names.Trigger, TriggerName(run.Trigger));
            writer.WriteNumber(Names.Attempt, run.Attempt);
            writer.WriteString(Names.Status, StatusName(run.Status));
            writer.WriteString(Names.StartedAt, startedAt);
            writer.WriteNumber(Names.DurationMs, run.DurationMs);
            writer.WriteBoolean(Names.DeadLetter, run.DeadLetter);
            if (run.EventId is { } eventId)
            {
                writer.WriteString(Names.EventId, eventId);
            }

            if (run.Logs.Count > 0)
            {
                writer.WriteStartArray(Names.Logs);
                foreach (var line in run.Logs)
                {
                    writer.WriteStringValue(line);
                }

                writer.WriteEndArray();
            }

            if (run.Error is { } error)
            {
                writer.WriteStartObject(Names.Error);
                writer.WriteString(Names.Message, error.Message);
                WriteNumberOrNull(writer, Names.Line, error.Line);
                WriteNumberOrNull(writer, Names.Column, error.Column);
                writer.WriteEndObject();
            }

            WriteNode(writer, Names.Result, run.Result);
            if (run.Rejection is { } rejection)
            {
                writer.WriteStartObject(Names.Rejection);
                writer.WriteNumber(Names.Status, rejection.Status);
                writer.WriteString(Names.Message, rejection.Message);
                writer.WriteEndObject();
            }

            WriteNode(writer, Names.Args, run.Args);
            if (run.Event is { } functionEvent)
            {
                writer.WriteStartObject(Names.Event);
                writer.WriteString(Names.EventIdField, functionEvent.Id);
                writer.WriteString(Names.Type, EventTypeName(functionEvent.Type));
                writer.WriteString(Names.Collection, functionEvent.Collection);
                writer.WriteString(Names.DocumentId, functionEvent.DocumentId);
                if (eventDocuments)
                {
                    WriteNode(writer, Names.Before, functionEvent.Before);
                    WriteNode(writer, Names.After, functionEvent.After);
                    WriteNode(writer, Names.Data, functionEvent.Data);
                }

                writer.WriteEndObject();
            }

            if (run.DueAt is { } dueAt)
            {
                writer.WriteString(Names.DueAt, Common.Timestamps.Format(dueAt));
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    // Unescaped as the stores keep documents (SqliteDocumentStore serializes with the same encoder).
    private static readonly System.Text.Json.JsonWriterOptions StoredJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The record's member names and enum values encoded to UTF-8 once: every insert writes about twenty of them, and a
    /// string name is transcoded and checked for escaping on each write.
    /// </summary>
    private static class Names
    {
        public static readonly System.Text.Json.JsonEncodedText Id = Encode(Storage.SystemFields.Id);
        public static readonly System.Text.Json.JsonEncodedText SystemVersion = Encode(Storage.SystemFields.Version);
        public static readonly System.Text.Json.JsonEncodedText CreatedAt = Encode(Storage.SystemFields.CreatedAt);
        public static readonly System.Text.Json.JsonEncodedText UpdatedAt = Encode(Storage.SystemFields.UpdatedAt);
        public static readonly System.Text.Json.JsonEncodedText CreatedBy = Encode(Storage.SystemFields.CreatedBy);
        public static readonly System.Text.Json.JsonEncodedText Function = Encode("function");
        public static readonly System.Text.Json.JsonEncodedText Version = Encode("version");
        public static readonly System.Text.Json.JsonEncodedText Trigger = Encode("trigger");
        public static readonly System.Text.Json.JsonEncodedText Attempt = Encode("attempt");
        public static readonly System.Text.Json.JsonEncodedText Status = Encode("status");
        public static readonly System.Text.Json.JsonEncodedText StartedAt = Encode("startedAt");
        public static readonly System.Text.Json.JsonEncodedText DurationMs = Encode("durationMs");
        public static readonly System.Text.Json.JsonEncodedText DeadLetter = Encode("deadLetter");
        public static readonly System.Text.Json.JsonEncodedText EventId = Encode("eventId");
        public static readonly System.Text.Json.JsonEncodedText Logs = Encode("logs");
        public static readonly System.Text.Json.JsonEncodedText Error = Encode("error");
        public static readonly System.Text.Json.JsonEncodedText Message = Encode("message");
        public static readonly System.Text.Json.JsonEncodedText Line = Encode("line");
        public static readonly System.Text.Json.JsonEncodedText Column = Encode("column");
        public static readonly System.Text.Json.JsonEncodedText Result = Encode("result");
        public static readonly System.Text.Json.JsonEncodedText Rejection = Encode("rejection");
        public static readonly System.Text.Json.JsonEncodedText Args = Encode("args");
        public static readonly System.Text.Json.JsonEncodedText Event = Encode("event");
        public static readonly System.Text.Json.JsonEncodedText EventIdField = Encode("id");
        public static readonly System.Text.Json.JsonEncodedText Type = Encode("type");
        public static readonly System.Text.Json.JsonEncodedText Collection = Encode("collection");
        public static readonly System.Text.Json.JsonEncodedText DocumentId = Encode("documentId");
        public static readonly System.Text.Json.JsonEncodedText Before = Encode("before");
        public static readonly System.Text.Json.JsonEncodedText After = Encode("after");
        public static readonly System.Text.Json.JsonEncodedText Data = Encode("data");
        public static readonly System.Text.Json.JsonEncodedText DueAt = Encode("dueAt");

        public static readonly System.Text.Json.JsonEncodedText[] Triggers = [.. Enum.GetValues<RunTrigger>().Select(t => Encode(t.Name()))];
        public static readonly System.Text.Json.JsonEncodedText[] Statuses = [.. Enum.GetValues<RunStatus>().Select(s => Encode(s.Name()))];
        public static readonly System.Text.Json.JsonEncodedText[] EventTypes = [.. Enum.GetValues<TriggerOperation>().Select(t => Encode(t.Name()))];

        private static System.Text.Json.JsonEncodedText Encode(string text) => System.Text.Json.JsonEncodedText.Encode(text, StoredJson.Encoder);
    }

    // The enums' values are their declared positions (0..n-1), so each indexes its table; FunctionRunJsonTests compares
    // every value's text with its Name().
    private static System.Text.Json.JsonEncodedText TriggerName(RunTrigger trigger) => Names.Triggers[(int)trigger];

    private static System.Text.Json.JsonEncodedText StatusName(RunStatus status) => Names.Statuses[(int)status];

    private static System.Text.Json.JsonEncodedText EventTypeName(TriggerOperation type) => Names.EventTypes[(int)type];

    private static void WriteNumberOrNull(System.Text.Json.Utf8JsonWriter writer, System.Text.Json.JsonEncodedText name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteNode(System.Text.Json.Utf8JsonWriter writer, System.Text.Json.JsonEncodedText name, JsonNode? node)
    {
        if (node is null)
        {
            return;
        }

        writer.WritePropertyName(name);
        node.WriteTo(writer);
    }

    private static void AddFields(JsonObject json, FunctionRunRecord run, string startedAt)
    {
        json["function"] = run.Function;
        json["version"] = run.Version;
        json["trigger"] = run.Trigger.Name();
        json["eventId"] = run.EventId;
        json["attempt"] = run.Attempt;
        json["status"] = run.Status.Name();
        json["startedAt"] = startedAt;
        json["durationMs"] = run.DurationMs;
        json["logs"] = Logs(run.Logs);
        json["error"] = run.Error is null ? null : ErrorJson(run.Error);
        json["result"] = run.Result?.DeepClone();
        json["rejection"] = run.Rejection is null ? null : RejectionJson(run.Rejection);
        json["deadLetter"] = run.DeadLetter;
        json["args"] = run.Args?.DeepClone();
        json["event"] = run.Event?.ToJson();
        if (run.DueAt is { } dueAt)
        {
            json["dueAt"] = Common.Timestamps.Format(dueAt);
        }
    }

    private static JsonObject ErrorJson(FunctionError error) => new() { ["message"] = error.Message, ["line"] = error.Line, ["column"] = error.Column };

    private static JsonObject RejectionJson(FunctionRejection rejection) => new() { ["status"] = rejection.Status, ["message"] = rejection.Message };

    /// <summary>The event as a record stores it: <see cref="FunctionNames.ToJson(FunctionEvent)"/> without the documents that are null.</summary>
    private static JsonObject StoredEvent(FunctionEvent functionEvent)
    {
        var json = new JsonObject
        {
            ["id"] = functionEvent.Id,
            ["type"] = functionEvent.Type.Name(),
            ["collection"] = functionEvent.Collection,
            ["documentId"] = functionEvent.DocumentId,
        };
        if (functionEvent.Before is { } before)
        {
            json["before"] = before.DeepClone();
        }

        if (functionEvent.After is { } after)
        {
            json["after"] = after.DeepClone();
        }

        if (functionEvent.Data is { } data)
        {
            json["data"] = data.DeepClone();
        }

        return json;
    }

    private static JsonArray Logs(IReadOnlyList<string> logs)
    {
        var array = new JsonArray();
        foreach (var line in logs)
        {
            array.Add(JsonValue.Create(line));
        }

        return array;
    }

    /// <summary>
    /// Reads a run back from its JSON (<see cref="ToJson"/>'s shape; a stored document's <c>_id</c> stands in for
    /// <c>id</c>, and its other system fields are ignored). Added by the definitions-and-runs part.
    /// </summary>
    /// <exception cref="FormatException">The JSON is not a run record.</exception>
    public static FunctionRunRecord FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var error = json["error"] as JsonObject;
            var rejection = json["rejection"] as JsonObject;
            return new FunctionRunRecord(
                Id: (json["id"] ?? json["_id"])!.GetValue<string>(),
                Function: json["function"]!.GetValue<string>(),
                Version: json["version"]!.GetValue<int>(),
                Trigger: ParseTrigger(json["trigger"]!.GetValue<string>()),
                EventId: json["eventId"]?.GetValue<string>(),
                Attempt: json["attempt"]!.GetValue<int>(),
                Status: ParseStatus(json["status"]!.GetValue<string>()),
                StartedAt: ParseTime(json["startedAt"]!.GetValue<string>()),
                DurationMs: json["durationMs"]!.GetValue<long>(),
                Logs: [.. (json["logs"] as JsonArray ?? []).Select(l => l?.GetValue<string>() ?? string.Empty)],
                Error: error is null ? null : new FunctionError(error["message"]?.GetValue<string>() ?? string.Empty, error["line"]?.GetValue<int>(), error["column"]?.GetValue<int>()),
                Result: json["result"]?.DeepClone(),
                Rejection: rejection is null ? null : new FunctionRejection(rejection["status"]!.GetValue<int>(), rejection["message"]?.GetValue<string>() ?? string.Empty),
                DeadLetter: json["deadLetter"]?.GetValue<bool>() ?? false,
                Args: json["args"]?.DeepClone(),
                Event: json["event"] is JsonObject e ? EventFromJson(e) : null,
                DueAt: json["dueAt"] is JsonValue due ? ParseTime(due.GetValue<string>()) : null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            throw new FormatException("The JSON is not a function run record.", ex);
        }
    }

    /// <summary>Reads <c>ctx.event</c> JSON (<see cref="FunctionNames.ToJson(FunctionEvent)"/>'s shape) back.</summary>
    public static FunctionEvent EventFromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return new FunctionEvent(
            json["id"]!.GetValue<string>(),
            json["type"]!.GetValue<string>() switch
            {
                "create" => TriggerOperation.Create,
                "update" => TriggerOperation.Update,
                "delete" => TriggerOperation.Delete,
                var other => throw new FormatException($"Unknown event type '{other}'."),
            },
            json["collection"]!.GetValue<string>(),
            json["documentId"]!.GetValue<string>(),
            json["before"]?.DeepClone() as JsonObject,
            json["after"]?.DeepClone() as JsonObject,
            json["data"]?.DeepClone() as JsonObject);
    }

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal);

    private static RunTrigger ParseTrigger(string text) => text switch
    {
        "schedule" => RunTrigger.Schedule,
        "document" => RunTrigger.Document,
        "callable" => RunTrigger.Callable,
        "manual" => RunTrigger.Manual,
        _ => throw new FormatException($"Unknown run trigger '{text}'."),
    };

    private static RunStatus ParseStatus(string text) => text switch
    {
        "succeeded" => RunStatus.Succeeded,
        "failed" => RunStatus.Failed,
        "timedOut" => RunStatus.TimedOut,
        "rejected" => RunStatus.Rejected,
        _ => throw new FormatException($"Unknown run status '{text}'."),
    };
}
