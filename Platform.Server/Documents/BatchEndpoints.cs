using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Documents;

/// <summary><c>POST /api/batch</c>: up to 500 writes across collections, all or nothing.</summary>
public static class BatchEndpoints
{
    private static readonly HashSet<string> OpFields = ["op", "collection", "id", "data", "ifMatch", "upsert"];

    public static RouteHandlerBuilder MapBatchEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        return routes.MapPost("/api/batch", BatchAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json")
            .WithTags("Documents")
            .WithName("Batch")
            .WithSummary("Applies create/replace/patch/delete operations atomically, in order; one failure applies nothing.");
    }

    private static async Task<Ok<JsonObject>> BatchAsync(
        HttpRequest request,
        DocumentService documents,
        IOptions<BatchOptions> options,
        IOptions<DocumentLimits> limits,
        CancellationToken cancellationToken)
    {
        var minimal = ParseReturn(request.Query);
        var body = await JsonBody.ReadObjectAsync(request, options.Value.MaxBytes, DocumentEndpoints.ParseDepth(limits.Value) + 4, cancellationToken);
        var commands = Parse(body, options.Value.MaxOperations);
        var results = await documents.ExecuteAsync(commands, Callers.From(request.HttpContext), isBatch: true, cancellationToken);
        return TypedResults.Ok(Answer(commands, results, minimal ? 0 : options.Value.MaxResponseBytes));
    }

    /// <summary>
    /// The batch's answer: per op <c>status</c>, <c>id</c> and (unless deleted) <c>version</c>, and the written
    /// <c>document</c> while the documents echoed so far fit in <paramref name="maxDocumentBytes"/> (issue 11: 500
    /// patches of a 1 MiB document once answered 500 MB). Once one does not fit, no later one is echoed, so a client
    /// sees a prefix of full results.
    /// </summary>
    internal static JsonObject Answer(IReadOnlyList<DocumentCommand> commands, IReadOnlyList<CommandResult> results, long maxDocumentBytes)
    {
        var items = new JsonArray();
        var budget = maxDocumentBytes;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer);
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i];
            var item = new JsonObject { ["status"] = result.Status };
            var id = result.Document?[SystemFields.Id]?.GetValue<string>() ?? commands[i].TargetId;
            if (id is not null)
            {
                item["id"] = id;
            }

            if (result.Document is { } document)
            {
                item["version"] = document[SystemFields.Version]?.DeepClone();
                if (budget > 0)
                {
                    buffer.ResetWrittenCount();
                    writer.Reset();
                    document.WriteTo(writer);
                    writer.Flush();
                    budget -= buffer.WrittenCount;
                    if (budget >= 0)
                    {
                        item["document"] = document.DeepClone();
                    }
                }
            }

            items.Add(item);
        }

        return new JsonObject { ["results"] = items };
    }

    // ?return=minimal leaves every document out; ?return=full (the default) echoes them within MaxResponseBytes.
    private static bool ParseReturn(IQueryCollection query)
    {
        if (!query.TryGetValue("return", out var value))
        {
            return false;
        }

        var text = value.ToString();
        return text.Equals("minimal", StringComparison.OrdinalIgnoreCase) ? true
            : text.Equals("full", StringComparison.OrdinalIgnoreCase) ? false
            : throw new InvalidInputException("invalid_return", $"return must be minimal or full (was '{JsonInput.Printable(text)}').", "return");
    }

    internal static List<DocumentCommand> Parse(JsonObject body, int maxOperations)
    {
        foreach (var (key, _) in body)
        {
            if (key != "ops")
            {
                throw new InvalidInputException("unknown_field", $"Unknown batch field '{key}' (expected {{\"ops\": [...]}}).", key);
            }
        }

        if (body["ops"] is not JsonArray ops)
        {
            throw new InvalidInputException("invalid_batch", "A batch is {\"ops\": [...]} with at least one operation.", "ops");
        }

        if (ops.Count == 0)
        {
            throw new InvalidInputException("invalid_batch", "A batch needs at least one operation.", "ops");
        }

        if (ops.Count > maxOperations)
        {
            throw new InvalidInputException("too_many_operations", $"A batch may hold at most {maxOperations} operations (this one has {ops.Count}).", "ops");
        }

        var commands = new List<DocumentCommand>(ops.Count);
        for (var i = 0; i < ops.Count; i++)
        {
            try
            {
                commands.Add(ParseOp(ops[i], $"ops[{i}]"));
            }
            catch (InvalidInputException ex)
            {
                throw new BatchOperationException(i, ex);
            }
        }

        return commands;
    }

    private static DocumentCommand ParseOp(JsonNode? node, string at)
    {
        if (node is not JsonObject op)
        {
            throw new InvalidInputException("invalid_batch", "Each operation must be an object.", at);
        }

        foreach (var (key, _) in op)
        {
            if (!OpFields.Contains(key))
            {
                throw new InvalidInputException("unknown_field", $"Unknown operation field '{key}' (allowed: op, collection, id, data, ifMatch, upsert).", $"{at}.{key}");
            }
        }

        var kind = String(op, "op", at) ?? throw new InvalidInputException("invalid_batch", "'op' is required: create, replace, patch or delete.", $"{at}.op");
        var collection = String(op, "collection", at) ?? throw new InvalidInputException("invalid_batch", "'collection' is required.", $"{at}.collection");
        var id = String(op, "id", at);
        var ifMatch = op["ifMatch"] switch
        {
            null => (long?)null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => Preconditions.ParseIfMatchVersion(v.GetValue<string>(), $"{at}.ifMatch"),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => Preconditions.ParseIfMatchVersion(v.ToJsonString(), $"{at}.ifMatch"),
            _ => throw new InvalidInputException("invalid_precondition", "'ifMatch' must be a version such as \"3\".", $"{at}.ifMatch"),
        };
        var data = op["data"] switch
        {
            null => null,
            JsonObject obj => (JsonObject)obj.DeepClone(),
            _ => throw new InvalidInputException("invalid_body", "'data' must be a JSON object.", $"{at}.data"),
        };

        var upsert = op["upsert"] switch
        {
            null => false,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            _ => throw new InvalidInputException("invalid_batch", "'upsert' must be true or false.", $"{at}.upsert"),
        };
        if (upsert && kind != "replace")
        {
            throw new InvalidInputException("invalid_batch", "'upsert' applies only to 'replace' (like PUT ?upsert=true).", $"{at}.upsert");
        }

        string RequireId() => id ?? throw new InvalidInputException("invalid_batch", $"'id' is required for '{kind}'.", $"{at}.id");
        JsonObject RequireData() => data ?? throw new InvalidInputException("invalid_batch", $"'data' is required for '{kind}'.", $"{at}.data");

        return kind switch
        {
            "create" when ifMatch is not null => throw new InvalidInputException("invalid_batch", "'ifMatch' makes no sense on create.", $"{at}.ifMatch"),
            "create" => new CreateCommand(collection, WithId(RequireData(), id)),
            "replace" => new ReplaceCommand(collection, RequireId(), RequireData(), ifMatch, upsert),
            "patch" => new PatchCommand(collection, RequireId(), RequireData(), ifMatch),
            "delete" when data is not null => throw new InvalidInputException("invalid_batch", "'data' makes no sense on delete.", $"{at}.data"),
            "delete" => new DeleteCommand(collection, RequireId(), ifMatch),
            _ => throw new InvalidInputException("invalid_batch", $"Unknown op '{kind}' (allowed: create, replace, patch, delete).", $"{at}.op"),
        };
    }

    // For create, "id" is a convenience for "_id" in data; both may be given only if they agree.
    private static JsonObject WithId(JsonObject data, string? id)
    {
        if (id is null)
        {
            return data;
        }

        if (data["_id"] is JsonValue existing && existing.ToString() != id)
        {
            throw new InvalidInputException("id_mismatch", $"'id' ({id}) and data._id ({existing}) differ.", "id");
        }

        data["_id"] = id;
        return data;
    }

    private static string? String(JsonObject op, string name, string at) => op[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw new InvalidInputException("invalid_batch", string.Format(CultureInfo.InvariantCulture, "'{0}' must be a string, not {1}.", name, other.GetValueKind()), $"{at}.{name}"),
    };
}
