using Platform.Server.Audit;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Functions.Definitions;
using Platform.Server.Functions.Runs;
using Platform.Server.Functions.Schedules;
using Platform.Server.Rules;

namespace Platform.Server.Functions;

/// <summary>
/// <c>/api/admin/functions</c> (definitions, versions, rollback, secrets, manual runs, run records, retry) and
/// <c>POST /api/functions/{name}</c> (callable functions), DESIGN.md section 9 and docs/functions.md.
/// </summary>
public static class FunctionEndpoints
{
    private const long MaxDefinitionOverheadBytes = 256 * 1024;
    private const int MaxBodyDepth = 64;

    // The callable body is {"args": ...}: the cap on args plus room for the envelope and whitespace.
    private const int ArgsEnvelopeBytes = 1024;

    /// <summary>Maps the admin group (admins and service keys) and the callable group (everyone; the invoke rule decides).</summary>
    public static IEndpointRouteBuilder MapFunctionEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var admin = routes.MapGroup("/api/admin/functions").WithTags("Functions").RequireAuthorization(BaasPolicies.AdminOrService);
        admin.MapGet("/", ListAsync).WithName("ListFunctions").WithSummary("Lists every function (current versions) with its next scheduled runs.");
        admin.MapPost("/", CreateAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("CreateFunction").WithSummary("Defines a function; the code is checked and saved as version 1.");
        admin.MapGet("/secrets", ListSecretsAsync).WithName("ListFunctionSecrets").WithSummary("Lists secret names and dates (never values).");
        admin.MapPut("/secrets/{secret}", SetSecretAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("SetFunctionSecret").WithSummary("Creates or replaces a secret: {\"value\": \"...\"}.");
        admin.MapDelete("/secrets/{secret}", DeleteSecretAsync).WithName("DeleteFunctionSecret").WithSummary("Deletes a secret.");
        admin.MapGet("/{name}", GetAsync).WithName("GetFunction").WithSummary("Reads a function's current version, with nextRuns when it has a schedule.");
        admin.MapPut("/{name}", UpdateAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("UpdateFunction").WithSummary("Saves a new version; If-Match makes it conditional on the current version.");
        admin.MapDelete("/{name}", DeleteAsync).WithName("DeleteFunction").WithSummary("Deletes a function and its versions (run records stay until retention); If-Match makes it conditional on the current version.");
        admin.MapGet("/{name}/versions", ListVersionsAsync).WithName("ListFunctionVersions").WithSummary("Every saved version, newest first.");
        admin.MapPost("/{name}/rollback", RollbackAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("RollbackFunction").WithSummary("Saves an old version's content as a new version: {\"version\": 3}. If-Match makes it conditional on the current version.").ProducesProblem(StatusCodes.Status412PreconditionFailed);
        admin.MapPost("/{name}/run", RunAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("RunFunction").WithSummary("Runs the function now (even when disabled) with sample args or event; answers the run record.");
        admin.MapGet("/{name}/runs", ListRunsAsync).WithName("ListFunctionRuns").WithSummary("Run records, newest first: ?status=&deadLetter=&limit=&cursor=.");
        admin.MapGet("/{name}/runs/{id}", GetRunAsync).WithName("GetFunctionRun").WithSummary("One run record.");
        admin.MapPost("/{name}/runs/{id}/retry", RetryRunAsync).WithName("RetryFunctionRun").WithSummary("Replays a failed or timed-out run's args or event on the current version, attempt + 1.").ProducesProblem(StatusCodes.Status409Conflict);

        var callable = routes.MapGroup("/api/functions").WithTags("Functions").RequireAuthorization(BaasPolicies.AnyCaller);
        callable.MapPost("/{name}", CallAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("CallFunction").WithSummary("Calls a callable function: {\"args\": ...} → {\"result\": ...}.");
        routes.MapJobsDashboard();
        return routes;
    }

    private static async Task<Ok<JsonObject>> ListAsync(IFunctionCatalog catalog, TimeProvider time, CancellationToken cancellationToken)
    {
        var items = new JsonArray();
        foreach (var definition in await catalog.ListAsync(cancellationToken))
        {
            items.Add(Answer(definition, time));
        }

        return TypedResults.Ok(new JsonObject { ["items"] = items });
    }

    private static async Task<Created<JsonObject>> CreateAsync(
        HttpRequest request,
        FunctionAdminService admin,
        [FromServices] IFunctionRuntime runtime,
        IOptions<FunctionOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var body = await ReadDefinitionAsync(request, options.Value, cancellationToken);
        var definition = FunctionDefinitionParser.Parse(body, nameFromUrl: null, options.Value, runtime);
        var saved = await admin.CreateAsync(definition, Actor(request.HttpContext), cancellationToken);
        await request.HttpContext.AuditAsync("functions.create", "functions/" + saved.Name, after: FunctionDefinitionJson.ToJson(saved));
        SetETag(request.HttpContext, saved);
        return TypedResults.Created($"/api/admin/functions/{saved.Name}", Answer(saved, time));
    }

    private static async Task<Ok<JsonObject>> GetAsync(string name, HttpContext context, IFunctionCatalog catalog, TimeProvider time, CancellationToken cancellationToken)
    {
        var definition = await FindAsync(name, catalog, cancellationToken);
        SetETag(context, definition);
        return TypedResults.Ok(Answer(definition, time));
    }

    private static async Task<Ok<JsonObject>> UpdateAsync(
        string name,
        HttpRequest request,
        FunctionAdminService admin,
        IFunctionCatalog catalog,
        [FromServices] IFunctionRuntime runtime,
        IOptions<FunctionOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        FunctionDefinitionParser.ValidateName(name);
        var ifMatch = Preconditions.ParseIfMatch(request.Headers.IfMatch);
        var body = await ReadDefinitionAsync(request, options.Value, cancellationToken);
        var definition = FunctionDefinitionParser.Parse(body, name, options.Value, runtime);
        var before = await catalog.GetAsync(name, cancellationToken);
        var saved = await admin.UpdateAsync(definition, ifMatch, Actor(request.HttpContext), cancellationToken);
        await request.HttpContext.AuditAsync("functions.update", "functions/" + name, Json(before), FunctionDefinitionJson.ToJson(saved));
        SetETag(request.HttpContext, saved);
        return TypedResults.Ok(Answer(saved, time));
    }

    private static async Task<NoContent> DeleteAsync(string name, HttpContext context, FunctionAdminService admin, IFunctionCatalog catalog, CancellationToken cancellationToken)
    {
        FunctionDefinitionParser.ValidateName(name);
        var ifMatch = Preconditions.ParseIfMatch(context.Request.Headers.IfMatch);
        var before = await catalog.GetAsync(name, cancellationToken);
        if (!await admin.DeleteAsync(name, ifMatch, cancellationToken))
        {
            throw FunctionAdminService.NotFound(name);
        }

        await context.AuditAsync("functions.delete", "functions/" + name, before: Json(before));
        return TypedResults.NoContent();
    }

    private static JsonObject? Json(FunctionDefinition? definition) => definition is null ? null : FunctionDefinitionJson.ToJson(definition);

    private static async Task<Ok<JsonObject>> ListVersionsAsync(string name, IFunctionCatalog catalog, FunctionCatalog store, CancellationToken cancellationToken)
    {
        await FindAsync(name, catalog, cancellationToken);
        var versions = await store.ListVersionsAsync(name, cancellationToken);
        return TypedResults.Ok(new JsonObject { ["items"] = new JsonArray([.. versions.Select(v => (JsonNode)FunctionDefinitionJson.ToJson(v))]) });
    }

    private static async Task<Ok<JsonObject>> RollbackAsync(string name, HttpRequest request, FunctionAdminService admin, TimeProvider time, CancellationToken cancellationToken)
    {
        FunctionDefinitionParser.ValidateName(name);
        var ifMatch = Preconditions.ParseIfMatch(request.Headers.IfMatch);
        var body = await JsonBody.ReadObjectAsync(request, 4096, 8, cancellationToken);
        foreach (var (key, _) in body)
        {
            if (key != "version")
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' (a rollback takes only {{\"version\": n}}).", key);
            }
        }

        if (!JsonIntegers.TryGet(body["version"], out var number) || number is < 1 or > int.MaxValue)
        {
            throw new InvalidInputException("invalid_version", "'version' is required: the positive version number to roll back to.", "version");
        }

        var version = (int)number;

        var saved = await admin.RollbackAsync(name, version, ifMatch, Actor(request.HttpContext), cancellationToken);
        await request.HttpContext.AuditAsync("functions.rollback", "functions/" + name, new JsonObject { ["version"] = version }, FunctionDefinitionJson.ToJson(saved));
        SetETag(request.HttpContext, saved);
        return TypedResults.Ok(Answer(saved, time));
    }

    private static async Task<Ok<JsonObject>> ListSecretsAsync(FunctionSecretStore secrets, CancellationToken cancellationToken)
    {
        var items = new JsonArray();
        foreach (var secret in await secrets.ListAsync(cancellationToken))
        {
            items.Add(new JsonObject
            {
                ["name"] = secret.Name,
                ["createdAt"] = Timestamps.Format(secret.CreatedAt),
                ["updatedAt"] = Timestamps.Format(secret.UpdatedAt),
            });
        }

        return TypedResults.Ok(new JsonObject { ["items"] = items });
    }

    private static async Task<Results<Created<JsonObject>, Ok<JsonObject>>> SetSecretAsync(string secret, HttpRequest request, FunctionAdminService admin, CancellationToken cancellationToken)
    {
        FunctionSecretStore.ValidateName(secret);
        var body = await JsonBody.ReadObjectAsync(request, (FunctionSecretStore.MaxValueLength * 6L) + 1024, 8, cancellationToken);
        foreach (var (key, _) in body)
        {
            if (key != "value")
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' (a secret takes only {{\"value\": \"...\"}}).", key);
            }
        }

        if (body["value"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>() is not { Length: > 0 } value)
        {
            throw new InvalidInputException("invalid_secret", "'value' is required: a non-empty string.", "value");
        }

        if (value.Length > FunctionSecretStore.MaxValueLength)
        {
            throw new InvalidInputException("invalid_secret", $"A secret value may be at most {FunctionSecretStore.MaxValueLength} characters long.", "value");
        }

        var created = await admin.SetSecretAsync(secret, value, cancellationToken);

        // The value never reaches the audit log, masked or not: only that this secret was set.
        await request.HttpContext.AuditAsync(created ? "functions.secrets.create" : "functions.secrets.update", "functions/secrets/" + secret, after: new JsonObject { ["name"] = secret });
        var answer = new JsonObject { ["name"] = secret };
        return created ? TypedResults.Created($"/api/admin/functions/secrets/{secret}", answer) : TypedResults.Ok(answer);
    }

    private static async Task<NoContent> DeleteSecretAsync(string secret, HttpContext context, FunctionAdminService admin, CancellationToken cancellationToken)
    {
        if (!await admin.DeleteSecretAsync(secret, cancellationToken))
        {
            throw new DomainException(ErrorKind.NotFound, "secret_not_found", $"There is no secret '{secret}'.", "name");
        }

        await context.AuditAsync("functions.secrets.delete", "functions/secrets/" + secret, before: new JsonObject { ["name"] = secret });
        return TypedResults.NoContent();
    }

    private static async Task<Ok<JsonObject>> RunAsync(
        string name,
        HttpRequest request,
        IFunctionCatalog catalog,
        IFunctionExecutor executor,
        IOptions<FunctionOptions> options,
        CancellationToken cancellationToken)
    {
        var definition = await FindAsync(name, catalog, cancellationToken);
        JsonObject body = request.ContentLength == 0 && string.IsNullOrEmpty(request.ContentType)
            ? []
            : await JsonBody.ReadObjectAsync(request, (options.Value.MaxArgsBytes * 2L) + (16 * 1024 * 1024), 128, cancellationToken);
        foreach (var (key, _) in body)
        {
            if (key is not ("args" or "event"))
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' (a manual run takes {{\"args\"?, \"event\"?}}).", key);
            }
        }

        var args = body["args"];
        CheckArgsSize(args, options.Value);
        var run = await executor.ExecuteAsync(
            definition,
            new FunctionInvocation
            {
                RunId = FunctionExecutor.NewRunId(),
                Trigger = RunTrigger.Manual,
                Args = args?.DeepClone(),
                Event = body["event"] is { } e ? ParseEvent(e) : null,
            },
            cancellationToken);
        await request.HttpContext.AuditAsync("functions.run", "functions/" + name, after: RunSummary(run));
        return TypedResults.Ok(FunctionRunJson.ToJson(run));
    }

    // Which run an admin started and how it ended; never its args, event, logs or result, which may hold user data
    // or secrets the function read: those stay in the run record, under its retention.
    private static JsonObject RunSummary(FunctionRunRecord run) => new()
    {
        ["runId"] = run.Id,
        ["version"] = run.Version,
        ["attempt"] = run.Attempt,
        ["status"] = run.Status.Name(),
    };

    private static async Task<Ok<JsonObject>> ListRunsAsync(string name, HttpRequest request, FunctionRunStore runs, CancellationToken cancellationToken)
    {
        FunctionDefinitionParser.ValidateName(name);
        var query = request.Query;
        foreach (var key in query.Keys)
        {
            if (key is not ("status" or "deadLetter" or "limit" or "cursor"))
            {
                throw new InvalidInputException("unknown_parameter", $"Unknown query parameter '{key}' (allowed: status, deadLetter, limit, cursor).", key);
            }
        }

        RunStatus? status = query.TryGetValue("status", out var s) ? s.ToString() switch
        {
            "succeeded" => RunStatus.Succeeded,
            "failed" => RunStatus.Failed,
            "timedOut" => RunStatus.TimedOut,
            "rejected" => RunStatus.Rejected,
            var other => throw new InvalidInputException("invalid_status", $"'{other}' is not a run status (succeeded, failed, timedOut, rejected).", "status"),
        } : null;
        bool? deadLetter = query.TryGetValue("deadLetter", out var d) ? d.ToString() switch
        {
            "true" => true,
            "false" => false,
            var other => throw new InvalidInputException("invalid_deadLetter", $"deadLetter must be true or false (was '{other}').", "deadLetter"),
        } : null;
        var limit = FunctionRunStore.DefaultLimit;
        if (query.TryGetValue("limit", out var l)
            && (!int.TryParse(l.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > FunctionRunStore.MaxLimit))
        {
            throw new InvalidInputException("invalid_limit", $"limit must be a whole number from 1 to {FunctionRunStore.MaxLimit} (was '{l}').", "limit");
        }

        // Runs outlive a deleted function until retention removes them, so they stay listable by name.
        var page = await runs.ListAsync(name, status, deadLetter, limit, query.TryGetValue("cursor", out var c) ? c.ToString() : null, cancellationToken);
        return TypedResults.Ok(new JsonObject
        {
            ["items"] = new JsonArray([.. page.Items.Select(r => (JsonNode)FunctionRunJson.ToJson(r))]),
            ["nextCursor"] = page.NextCursor,
        });
    }

    private static async Task<Ok<JsonObject>> GetRunAsync(string name, string id, FunctionRunStore runs, CancellationToken cancellationToken)
    {
        var run = await runs.GetAsync(name, id, cancellationToken) ?? throw RunNotFound(name, id);
        return TypedResults.Ok(FunctionRunJson.ToJson(run));
    }

    private static async Task<Ok<JsonObject>> RetryRunAsync(string name, string id, HttpContext context, IFunctionExecutor executor, CancellationToken cancellationToken)
    {
        FunctionDefinitionParser.ValidateName(name);
        var run = await executor.RetryAsync(name, id, cancellationToken) ?? throw RunNotFound(name, id);
        await context.AuditAsync("functions.retry", "functions/" + name, new JsonObject { ["runId"] = id }, RunSummary(run));
        return TypedResults.Ok(FunctionRunJson.ToJson(run));
    }

    private static async Task<Ok<JsonObject>> CallAsync(
        string name,
        HttpRequest request,
        IFunctionCatalog catalog,
        IFunctionExecutor executor,
        FunctionRunStore runs,
        IOptions<FunctionOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        // What a caller may not call does not exist for them: an unknown, disabled or non-callable function is 404.
        var definition = CollectionsNameIsValid(name) ? await catalog.GetAsync(name, cancellationToken) : null;
        if (definition is not { Enabled: true, Callable: { } callable })
        {
            throw new DomainException(ErrorKind.NotFound, "function_not_found", $"There is no callable function '{name}'.", "name");
        }

        var caller = Callers.From(request.HttpContext);
        if (callable.InvokeRule is null && !caller.Privileged)
        {
            // Refused before the body is read: it cannot change the answer.
            throw Refused(caller, name, "it has no invokeRule, so only service keys and admins may call it");
        }

        var args = await ReadArgsAsync(request, options.Value, cancellationToken);
        if (callable.InvokeRule is { } rule && !caller.Privileged)
        {
            var context = new RuleContext { Auth = caller.Auth, Args = args, Now = Timestamps.Format(time.GetUtcNow()) };
            if (!RuleCompiler.CompileInvoke(rule).Evaluate(context))
            {
                throw Refused(caller, name, "its invokeRule does not allow this call");
            }
        }

        // The record is written off the request path, in groups (FunctionRunWriter); reads of runs wait for it. It is
        // queued even when the client has gone away meanwhile: the run happened.
        var run = await executor.RunUnrecordedAsync(
            definition,
            new FunctionInvocation { RunId = FunctionExecutor.NewRunId(), Trigger = RunTrigger.Callable, Args = args, Caller = caller },
            cancellationToken);
        await runs.EnqueueAsync(run, CancellationToken.None);
        return run.Status switch
        {
            RunStatus.Succeeded => TypedResults.Ok(new JsonObject { ["result"] = run.Result?.DeepClone() }),
            RunStatus.Rejected => throw new FunctionRejectedException(run.Rejection!) { Extensions = RunExtensions(run) },
            RunStatus.TimedOut => throw new DomainException(
                ErrorKind.Unprocessable,
                "function_timeout",
                $"Function '{name}' ran out of its time budget: {run.Error?.Message ?? "timed out"}")
            { Extensions = RunExtensions(run) },
            _ => throw new DomainException(
                ErrorKind.Unprocessable,
                "function_failed",
                $"Function '{name}' failed: {run.Error?.Message ?? "unknown error"}{Where(run.Error)}")
            { Extensions = RunExtensions(run) },
        };
    }

    private static Dictionary<string, object?> RunExtensions(FunctionRunRecord run) => new()
    {
        ["runId"] = run.Id,
        ["error"] = run.Error is { } e ? new JsonObject { ["message"] = e.Message, ["line"] = e.Line, ["column"] = e.Column } : null,
    };

    private static string Where(FunctionError? error) =>
        error?.Line is { } line ? $" (line {line}{(error.Column is { } column ? $", column {column}" : string.Empty)})" : string.Empty;

    private static bool CollectionsNameIsValid(string name) => Collections.CollectionNames.IsValid(name) && name != FunctionDefinitionParser.ReservedName;

    private static DomainException Refused(Caller caller, string name, string why) => caller.Auth is null
        ? new DomainException(ErrorKind.Unauthenticated, "unauthenticated", $"Sign in to call '{name}': {why}.")
        : new DomainException(ErrorKind.Forbidden, "forbidden", $"You may not call '{name}': {why}.");

    private static async Task<JsonNode?> ReadArgsAsync(HttpRequest request, FunctionOptions options, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 && string.IsNullOrEmpty(request.ContentType))
        {
            return null;
        }

        JsonObject body;
        try
        {
            body = await JsonBody.ReadObjectAsync(request, options.MaxArgsBytes + ArgsEnvelopeBytes, MaxBodyDepth, cancellationToken);
        }
        catch (InvalidInputException ex) when (ex.Kind == ErrorKind.TooLarge)
        {
            throw ArgsTooLarge(options);
        }

        foreach (var (key, _) in body)
        {
            if (key != "args")
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' (a call takes {{\"args\": ...}}).", key);
            }
        }

        var args = body["args"];
        CheckArgsSize(args, options);
        return args;
    }

    private static void CheckArgsSize(JsonNode? args, FunctionOptions options)
    {
        if (args is not null && Encoding.UTF8.GetByteCount(args.ToJsonString()) > options.MaxArgsBytes)
        {
            throw ArgsTooLarge(options);
        }
    }

    private static InvalidInputException ArgsTooLarge(FunctionOptions options) =>
        new("args_too_large", $"args may be at most {options.MaxArgsBytes} bytes of JSON (Baas:Functions:MaxArgsBytes).", "args", ErrorKind.TooLarge);

    private static FunctionEvent ParseEvent(JsonNode node)
    {
        if (node is not JsonObject json)
        {
            throw InvalidEvent("'event' must be an object like {\"type\": \"create\", \"collection\": \"orders\", \"documentId\": \"o1\", \"after\": {...}}.", "event");
        }

        foreach (var (key, _) in json)
        {
            if (key is not ("id" or "type" or "collection" or "documentId" or "before" or "after" or "data"))
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' in event (allowed: id, type, collection, documentId, before, after, data).", $"event.{key}");
            }
        }

        var type = String(json, "type") switch
        {
            "create" => TriggerOperation.Create,
            "update" => TriggerOperation.Update,
            "delete" => TriggerOperation.Delete,
            _ => throw InvalidEvent("'event.type' must be \"create\", \"update\" or \"delete\".", "event.type"),
        };
        var collection = String(json, "collection");
        if (!Collections.CollectionNames.IsValid(collection))
        {
            throw InvalidEvent("'event.collection' must be a collection name.", "event.collection");
        }

        var documentId = String(json, "documentId") ?? throw InvalidEvent("'event.documentId' is required.", "event.documentId");
        if (!DocumentIds.IsValid(documentId))
        {
            // A sample event stands for a write: its document id is one a write could have made.
            throw InvalidEvent($"'{JsonInput.Printable(documentId)}' is not a document id: use 1-128 letters, digits, '_' or '-'.", "event.documentId");
        }

        return new FunctionEvent(
            String(json, "id") ?? "manual-" + FunctionExecutor.NewRunId(),
            type,
            collection!,
            documentId,
            ObjectOrNull(json, "before"),
            ObjectOrNull(json, "after"),
            ObjectOrNull(json, "data"));
    }

    private static string? String(JsonObject json, string key) => json[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw InvalidEvent($"'event.{key}' must be a string.", $"event.{key}"),
    };

    private static JsonObject? ObjectOrNull(JsonObject json, string key) => json[key] switch
    {
        null => null,
        JsonObject o => (JsonObject)o.DeepClone(),
        _ => throw InvalidEvent($"'event.{key}' must be an object or null.", $"event.{key}"),
    };

    private static InvalidInputException InvalidEvent(string message, string field) => new("invalid_event", message, field);

    private static async Task<JsonObject> ReadDefinitionAsync(HttpRequest request, FunctionOptions options, CancellationToken cancellationToken) =>
        await JsonBody.ReadObjectAsync(request, (options.MaxCodeLength * 6L) + MaxDefinitionOverheadBytes, MaxBodyDepth, cancellationToken);

    private static async Task<FunctionDefinition> FindAsync(string name, IFunctionCatalog catalog, CancellationToken cancellationToken)
    {
        FunctionDefinitionParser.ValidateName(name);
        return await catalog.GetAsync(name, cancellationToken) ?? throw FunctionAdminService.NotFound(name);
    }

    private static DomainException RunNotFound(string name, string id) =>
        new(ErrorKind.NotFound, "run_not_found", $"Function '{name}' has no run '{id}'.", "id");

    private static JsonObject Answer(FunctionDefinition definition, TimeProvider time)
    {
        var json = FunctionDefinitionJson.ToJson(definition);
        if (definition.Schedule is { } schedule)
        {
            var next = CronSchedule.Parse(schedule.Cron, schedule.TimeZone).Next(time.GetUtcNow());
            json["nextRuns"] = new JsonArray([.. next.Select(n => (JsonNode)JsonValue.Create(Timestamps.Format(n)))]);
        }

        return json;
    }

    private static void SetETag(HttpContext context, FunctionDefinition definition) =>
        context.Response.Headers.ETag = Preconditions.ETag(definition.Version);

    private static string? Actor(HttpContext context) => context.User.GetBaasCaller() switch
    {
        { Kind: BaasCallerKind.Admin } admin => admin.DisplayName ?? "admin:" + admin.Id,
        { Kind: BaasCallerKind.ServiceKey } key => "apikey:" + (key.DisplayName ?? key.Id),
        _ => null,
    };
}
