using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.Server.Audit;
using Platform.Server.Auth;
using Platform.Server.Collections;
using Platform.Server.Common;
using Platform.Server.Documents;
using Platform.Server.Functions;
using Platform.Server.Functions.Runs;
using Platform.Server.Rules;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Users;

namespace Platform.Server.AdminTools;

/// <summary>
/// The dashboard's data tools under <c>/api/admin/collections/{name}</c> (schema check, rules simulator, bulk, import,
/// export) and <c>GET /api/admin/settings</c>. Admins and service keys only.
/// </summary>
public static class AdminToolsEndpoints
{
    private const long MaxBodyBytes = 4 * 1024 * 1024;

    public static RouteGroupBuilder MapAdminToolsEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/admin/collections/{name}").WithTags("Collection tools").RequireAuthorization(BaasPolicies.AdminOrService);
        group.MapPost("/schema/check", CheckSchemaAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("CheckCollectionSchema")
            .WithSummary("Counts the stored documents a proposed JSON Schema would reject (bounded scan), with samples.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/rules/simulate", SimulateRulesAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("SimulateCollectionRules")
            .WithSummary("Decides an operation under the saved or proposed rules for a caller, document and data; for list, the effective filter.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/bulk", BulkAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("BulkDocuments")
            .WithSummary("Updates or deletes every document matching a filter (dryRun: true only counts).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        // The body is documented, not matched on: ?format= decides how it is read, so `curl --data-binary @rows.ndjson`
        // (form content type) still reaches the endpoint, and an anonymous caller gets 401 before any 415.
        group.MapPost("/import", ImportAsync).AddOpenApiOperationTransformer(DocumentImportBody).WithName("ImportDocuments")
            .WithSummary("Streams NDJSON, a JSON array or CSV into the collection (?format=, ?mode=insert|upsert), in batches, with per-row errors.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        group.MapGet("/export", ExportAsync).WithName("ExportDocuments")
            .WithSummary("Streams the documents (?format=ndjson|csv, ?filter=, ?fields= for CSV columns) in keyset pages.")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-ndjson", additionalContentTypes: ["text/csv"])
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        routes.MapGet("/api/admin/settings", GetSettings).WithTags("Settings").RequireAuthorization(BaasPolicies.AdminOrService)
            .WithName("GetEffectiveSettings").WithSummary("The effective Baas configuration and urls, secrets masked.");
        routes.MapGet("/api/admin/overview", GetOverviewAsync).WithTags("Settings").RequireAuthorization(BaasPolicies.AdminOrService)
            .WithName("GetServerOverview")
            .WithSummary("The server's version, storage provider and readiness, the function count and the newest failed runs (?failures=0-50, default Baas:AdminTools:OverviewFailures), for the dashboard's overview.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return group;
    }

    internal static async Task<Ok<SchemaCheckResult>> CheckSchemaAsync(
        string name, HttpRequest request, CollectionRegistry registry, CollectionTools tools, IOptions<CollectionOptions> collectionOptions, CancellationToken cancellationToken)
    {
        var collection = await FindAsync(name, registry, cancellationToken);
        var body = await ReadAsync(request, ["schema"], cancellationToken);
        if (body["schema"] is not JsonObject schema)
        {
            throw new InvalidInputException("invalid_schema", "'schema' must be the proposed JSON Schema object.", "schema");
        }

        // Refused as a save of it would be, so the dashboard learns before saving.
        SchemaKeywords.Check(schema, collectionOptions.Value.MaxSchemaRefs);
        var validator = await SchemaValidator.CompileAsync(schema, cancellationToken);
        return TypedResults.Ok(await tools.CheckSchemaAsync(collection, validator, cancellationToken));
    }

    internal static async Task<Ok<RuleSimulation>> SimulateRulesAsync(
        string name, HttpRequest request, CollectionRegistry registry, CollectionTools tools, IOptions<CollectionOptions> collectionOptions, CancellationToken cancellationToken)
    {
        var collection = await FindAsync(name, registry, cancellationToken);
        var body = await ReadAsync(request, ["operation", "rules", "auth", "doc", "data"], cancellationToken);
        if (body["operation"] is not JsonValue op || op.GetValueKind() != JsonValueKind.String || !RuleOperations.TryParse(op.GetValue<string>(), out var operation))
        {
            throw new InvalidInputException("invalid_operation", "'operation' must be one of list, get, create, update, delete.", "operation");
        }

        var rules = body["rules"] switch
        {
            null => collection.Rules,
            JsonObject proposed => RuleSet.Compile(CollectionDefinitionParser.Parse(new JsonObject { ["name"] = name, ["rules"] = proposed.DeepClone() }, name, collectionOptions.Value).Rules),
            _ => throw new InvalidInputException("invalid_rule", "'rules' must be an object of rule expressions per operation (or absent for the saved rules).", "rules"),
        };
        var auth = await AuthAsync(body["auth"], request.HttpContext.RequestServices);
        return TypedResults.Ok(tools.Simulate(rules, operation, auth, OptionalObject(body, "doc"), OptionalObject(body, "data")));
    }

    internal static async Task<Ok<JsonObject>> BulkAsync(
        string name, HttpRequest request, CollectionRegistry registry, BulkService bulk, IOptions<FilterLimits> filterLimits, CancellationToken cancellationToken)
    {
        var collection = await FindAsync(name, registry, cancellationToken);
        var body = await ReadAsync(request, ["filter", "action", "update", "dryRun"], cancellationToken);
        if (body["filter"] is not JsonObject filterJson)
        {
            throw new InvalidInputException("invalid_filter", "'filter' is required: a filter object ({} matches every document).", "filter");
        }

        var filter = FilterParser.Parse(JsonSerializer.SerializeToElement(filterJson), filterLimits.Value, "filter");
        var action = body["action"] is JsonValue a && a.GetValueKind() == JsonValueKind.String ? a.GetValue<string>() : null;
        var bulkAction = action switch
        {
            "update" => BulkAction.Update,
            "delete" => BulkAction.Delete,
            _ => throw new InvalidInputException("invalid_action", "'action' must be \"update\" or \"delete\".", "action"),
        };
        JsonObject? update = null;
        if (bulkAction == BulkAction.Update)
        {
            update = body["update"] as JsonObject
                ?? throw new InvalidInputException("invalid_update", "'update' is required for action \"update\": a merge patch or operators, as PATCH takes.", "update");
            bulk.ValidateUpdate(update);
        }
        else if (body.ContainsKey("update"))
        {
            throw new InvalidInputException("invalid_update", "'update' is only for action \"update\".", "update");
        }

        if (body["dryRun"] is not JsonValue d || d.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw new InvalidInputException("invalid_dry_run", "'dryRun' is required: true to count the matches, false to write.", "dryRun");
        }

        var dryRun = d.GetValue<bool>();
        var changedKey = bulkAction == BulkAction.Delete ? "deleted" : "modified";
        var auditAfter = new JsonObject { ["filter"] = filterJson.DeepClone(), ["update"] = update?.DeepClone() };
        BulkResult result;
        try
        {
            result = await bulk.RunAsync(collection, filter, bulkAction, update, dryRun, cancellationToken);
        }
        catch (DomainException ex) when (!dryRun && ex.Extensions?.ContainsKey(changedKey) == true)
        {
            auditAfter[changedKey] = JsonValue.Create(Convert.ToInt64(ex.Extensions[changedKey], System.Globalization.CultureInfo.InvariantCulture));
            auditAfter["error"] = ex.Code;
            await request.HttpContext.AuditAsync("documents.bulk_" + action, "collections/" + name, after: auditAfter);
            throw;
        }

        if (!dryRun)
        {
            auditAfter["matched"] = result.Matched;
            auditAfter[changedKey] = result.Changed;
            await request.HttpContext.AuditAsync("documents.bulk_" + action, "collections/" + name, after: auditAfter);
        }

        return TypedResults.Ok(new JsonObject { ["matched"] = result.Matched, [changedKey] = result.Changed, ["dryRun"] = result.DryRun });
    }

    internal static async Task<Ok<ImportResult>> ImportAsync(
        string name, HttpRequest request, CollectionRegistry registry, ImportService imports, IOptions<AdminToolsOptions> options, CancellationToken cancellationToken)
    {
        var collection = await FindAsync(name, registry, cancellationToken);
        var format = request.Query["format"].ToString() switch
        {
            "ndjson" => ImportFormat.Ndjson,
            "json" => ImportFormat.Json,
            "csv" => ImportFormat.Csv,
            var other => throw new InvalidInputException("invalid_format", $"format must be ndjson, json or csv (was '{other}').", "format"),
        };
        var mode = request.Query["mode"].ToString() switch
        {
            "" or "insert" => ImportMode.Insert,
            "upsert" => ImportMode.Upsert,
            var other => throw new InvalidInputException("invalid_mode", $"mode must be insert or upsert (was '{other}').", "mode"),
        };
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = options.Value.ImportMaxBytes;
        }

        if (request.ContentLength > options.Value.ImportMaxBytes)
        {
            throw new InvalidInputException("payload_too_large", $"An import upload may be at most {options.Value.ImportMaxBytes} bytes (Baas:AdminTools:ImportMaxBytes).", "body", ErrorKind.TooLarge);
        }

        var result = await imports.ImportAsync(collection, request.Body, format, mode, cancellationToken);
        await request.HttpContext.AuditAsync("documents.import", "collections/" + name, after: new JsonObject
        {
            ["format"] = request.Query["format"].ToString(),
            ["mode"] = mode == ImportMode.Upsert ? "upsert" : "insert",
            ["inserted"] = result.Inserted,
            ["updated"] = result.Updated,
            ["failed"] = result.Failed,
        });
        return TypedResults.Ok(result);
    }

    internal static async Task<EmptyHttpResult> ExportAsync(
        string name, HttpContext context, CollectionRegistry registry, ExportService exports, IOptions<FilterLimits> filterLimits, CancellationToken cancellationToken)
    {
        var collection = await FindAsync(name, registry, cancellationToken);
        var query = context.Request.Query;
        var format = query["format"].ToString() switch
        {
            "" or "ndjson" => ExportFormat.Ndjson,
            "csv" => ExportFormat.Csv,
            var other => throw new InvalidInputException("invalid_format", $"format must be ndjson or csv (was '{other}').", "format"),
        };
        var filter = FilterParser.Parse(query["filter"].ToString(), filterLimits.Value, "filter");
        IReadOnlyList<string>? fields = null;
        if (query.TryGetValue("fields", out var fieldsText))
        {
            if (format != ExportFormat.Csv)
            {
                throw new InvalidInputException("invalid_fields", "fields= chooses CSV columns; NDJSON exports whole documents.", "fields");
            }

            fields = [.. fieldsText.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
            for (var i = 0; i < fields.Count; i++)
            {
                FilterParser.ValidatePath(fields[i], $"fields[{i}]");
            }
        }

        var columns = format == ExportFormat.Csv ? await exports.ColumnsAsync(collection, filter, fields, cancellationToken) : null;
        var response = context.Response;
        response.ContentType = format == ExportFormat.Csv ? "text/csv; charset=utf-8" : "application/x-ndjson";
        response.Headers.ContentDisposition = $"attachment; filename=\"{name}.{(format == ExportFormat.Csv ? "csv" : "ndjson")}\"";
        response.Headers.CacheControl = "no-store";
        try
        {
            await exports.WriteAsync(collection, filter, format, columns, response.Body, cancellationToken);
        }
        catch (Exception ex) when (response.HasStarted && ex is not OperationCanceledException)
        {
            // The status line is gone: the only honest signal left is a broken response.
            context.Abort();
            throw;
        }

        return TypedResults.Empty;
    }

    /// <summary>The most failed runs <c>?failures=</c> may ask the overview for.</summary>
    public const int MaxOverviewFailures = 50;

    internal static async Task<Ok<ServerOverview>> GetOverviewAsync(
        HttpRequest request, IOptions<StorageOptions> storage, IOptions<AdminToolsOptions> tools, HealthCheckService health, IFunctionCatalog functions,
        FunctionRunStore runs, CancellationToken cancellationToken)
    {
        var failures = OverviewFailures(request.Query, tools.Value.OverviewFailures);

        // The same checks as /health/ready, so the overview and a load balancer agree.
        var report = await health.CheckHealthAsync(check => check.Tags.Contains("ready"), cancellationToken);
        var defined = await functions.ListAsync(cancellationToken);
        var failed = await runs.RecentFailuresAsync(failures, cancellationToken);
        return TypedResults.Ok(new ServerOverview(
            ServerVersion.Current,
            storage.Value.Provider switch { StorageProvider.Mongo => "mongodb", _ => "sqlite" },
            report.Status == HealthStatus.Healthy,
            report.Status.ToString().ToLowerInvariant(),
            defined.Count,
            [.. failed.Select(r => new RecentFunctionFailure(
                r.Id, r.Function, r.Version, r.Trigger.Name(), r.Status.Name(), r.StartedAt, r.Error, r.DeadLetter))]));
    }

    private static int OverviewFailures(IQueryCollection query, int byDefault)
    {
        foreach (var key in query.Keys)
        {
            if (key != "failures")
            {
                throw new InvalidInputException("unknown_parameter", $"Unknown query parameter '{key}' (allowed: failures).", key);
            }
        }

        if (!query.TryGetValue("failures", out var text))
        {
            return byDefault;
        }

        if (!int.TryParse(text.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var failures)
            || failures > MaxOverviewFailures)
        {
            throw new InvalidInputException("invalid_limit", $"failures must be a whole number from 0 to {MaxOverviewFailures} (was '{text}').", "failures");
        }

        return failures;
    }

    internal static Ok<JsonObject> GetSettings(HttpContext context) =>
        TypedResults.Ok(EffectiveSettings.Build(context.RequestServices.GetRequiredService<IConfiguration>(), context.RequestServices));

    private static async Task<Collection> FindAsync(string name, CollectionRegistry registry, CancellationToken cancellationToken)
    {
        CollectionNames.Validate(name, "name");
        return await registry.FindAsync(name, cancellationToken)
            ?? throw CollectionNames.NotDefined(name, "name");
    }

    private static async Task<JsonObject> ReadAsync(HttpRequest request, string[] allowed, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, MaxBodyBytes, 128, cancellationToken);
        foreach (var (key, _) in body)
        {
            if (!allowed.Contains(key))
            {
                throw new InvalidInputException("unknown_field", $"Unknown field '{key}' (allowed: {string.Join(", ", allowed)}).", key);
            }
        }

        return body;
    }

    private static JsonObject? OptionalObject(JsonObject body, string field) => body[field] switch
    {
        null => null,
        JsonObject obj => (JsonObject)obj.DeepClone(),
        _ => throw new InvalidInputException("invalid_body", $"'{field}' must be a document (a JSON object) or null.", field),
    };

    private static async Task<JsonObject?> AuthAsync(JsonNode? node, IServiceProvider services)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject { Count: 1 } lookup when lookup.ContainsKey("userEmail"):
                if (lookup["userEmail"] is not JsonValue e || e.GetValueKind() != JsonValueKind.String || e.GetValue<string>().Length == 0)
                {
                    throw new InvalidInputException("invalid_auth", "'userEmail' must be an email address.", "auth.userEmail");
                }

                var users = services.GetRequiredService<AppUserManager>();
                var user = await users.FindByEmailAsync(e.GetValue<string>())
                    ?? throw new DomainException(ErrorKind.NotFound, "user_not_found", $"There is no app user with email '{e.GetValue<string>()}'.", "auth.userEmail");
                return new JsonObject
                {
                    ["id"] = user.Id,
                    ["email"] = user.Email,
                    ["roles"] = new JsonArray([.. user.Roles.Select(r => (JsonNode)JsonValue.Create(r))]),
                    ["anonymous"] = user.Anonymous,
                    ["verified"] = user.EmailConfirmed,
                };
            case JsonObject custom:
                return CustomAuth(custom);
            default:
                throw new InvalidInputException("invalid_auth", "'auth' must be null (signed out), {id, email, roles, anonymous, verified} or {userEmail}.", "auth");
        }
    }

    private static JsonObject CustomAuth(JsonObject custom)
    {
        foreach (var (key, _) in custom)
        {
            if (key is not ("id" or "email" or "roles" or "anonymous" or "verified"))
            {
                throw new InvalidInputException("invalid_auth", $"Unknown auth field '{key}' (allowed: id, email, roles, anonymous, verified; or userEmail alone).", $"auth.{key}");
            }
        }

        if (custom["id"] is not JsonValue id || id.GetValueKind() != JsonValueKind.String || id.GetValue<string>().Length == 0)
        {
            throw new InvalidInputException("invalid_auth", "'auth.id' must be a non-empty string (the user id rules see).", "auth.id");
        }

        var email = custom["email"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw new InvalidInputException("invalid_auth", "'auth.email' must be a string or null.", "auth.email"),
        };
        var roles = new JsonArray();
        switch (custom["roles"])
        {
            case null:
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is not JsonValue r || r.GetValueKind() != JsonValueKind.String)
                    {
                        throw new InvalidInputException("invalid_auth", "Roles must be strings.", $"auth.roles[{i}]");
                    }

                    roles.Add(r.GetValue<string>());
                }

                break;
            default:
                throw new InvalidInputException("invalid_auth", "'auth.roles' must be an array of strings.", "auth.roles");
        }

        return new JsonObject
        {
            ["id"] = id.GetValue<string>(),
            ["email"] = email,
            ["roles"] = roles,
            ["anonymous"] = Flag(custom, "anonymous"),
            ["verified"] = Flag(custom, "verified"),
        };
    }

    private static bool Flag(JsonObject json, string name) => json[name] switch
    {
        null => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw new InvalidInputException("invalid_auth", $"'auth.{name}' must be true or false.", $"auth.{name}"),
    };

    private static Task DocumentImportBody(Microsoft.OpenApi.OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var text = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String };
        operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
        {
            Required = true,
            Description = "NDJSON, a JSON array or CSV, as ?format= says.",
            Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
            {
                ["application/x-ndjson"] = new() { Schema = text },
                ["application/json"] = new() { Schema = text },
                ["text/csv"] = new() { Schema = text },
            },
        };
        return Task.CompletedTask;
    }
}
