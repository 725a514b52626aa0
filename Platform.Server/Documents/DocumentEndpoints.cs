using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Documents;

/// <summary><c>/api/collections/{collection}/documents</c> and <c>/api/collections/{collection}/query</c>.</summary>
public static class DocumentEndpoints
{
    // The filter parser enforces the filter depth limit with a precise location; this only bounds parsing.
    private const int QueryBodyMaxDepth = 128;

    public static RouteGroupBuilder MapDocumentEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/collections/{collection}").WithTags("Documents");

        group.MapGet("/documents", QueryAsync).WithName("QueryDocuments")
            .WithSummary("Queries documents: filter, sort, limit, cursor, fields, count.");
        group.MapPost("/query", QueryWithBodyAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("QueryDocumentsWithBody")
            .WithSummary("The same query with its parameters in a JSON body.");
        group.MapPost("/documents", CreateAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("CreateDocument")
            .WithSummary("Creates a document; the id comes from _id in the body or is generated.");
        group.MapGet("/documents/{id}", GetAsync).WithName("GetDocument")
            .WithSummary("Reads a document. ETag is its version; If-None-Match answers 304.");
        group.MapPut("/documents/{id}", ReplaceAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("ReplaceDocument")
            .WithSummary("Replaces a document (creates it with ?upsert=true). If-Match makes it conditional.");
        group.MapPatch("/documents/{id}", PatchAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("PatchDocument")
            .WithSummary("Merge patch (RFC 7386), or operator update when every key starts with '$'.");
        group.MapDelete("/documents/{id}", DeleteAsync).WithName("DeleteDocument")
            .WithSummary("Deletes a document. If-Match makes it conditional.");
        return group;
    }

    private static async Task<Ok<JsonObject>> QueryAsync(
        string collection,
        HttpRequest request,
        DocumentQueryService queries,
        CancellationToken cancellationToken)
    {
        var query = request.Query;
        var parameters = new QueryRequest(
            Filter: query.TryGetValue("filter", out var filter) ? JsonSerializer.SerializeToElement(filter.ToString()) : null,
            Sort: query.TryGetValue("sort", out var sort) ? JsonSerializer.SerializeToElement(sort.ToString()) : null,
            Limit: query.TryGetValue("limit", out var limit) ? ParseInt(limit.ToString(), "limit") : null,
            Cursor: query.TryGetValue("cursor", out var cursor) ? cursor.ToString() : null,
            Fields: query.TryGetValue("fields", out var fields) ? JsonSerializer.SerializeToElement(fields.ToString()) : null,
            Count: query.TryGetValue("count", out var count) && ParseBool(count.ToString(), "count"));
        return TypedResults.Ok(await queries.QueryAsync(collection, parameters, Callers.From(request.HttpContext), cancellationToken));
    }

    private static async Task<Ok<JsonObject>> QueryWithBodyAsync(
        string collection,
        HttpRequest request,
        DocumentQueryService queries,
        IOptions<DocumentLimits> limits,
        CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, limits.Value.MaxBytes, QueryBodyMaxDepth, cancellationToken);
        foreach (var (key, _) in body)
        {
            if (key is not ("filter" or "sort" or "limit" or "cursor" or "fields" or "count"))
            {
                throw new InvalidInputException("unknown_field", $"Unknown query field '{key}' (allowed: filter, sort, limit, cursor, fields, count).", key);
            }
        }

        var parameters = new QueryRequest(
            Filter: body["filter"] is { } filter ? ToObjectElement(filter, "filter") : null,
            Sort: Element(body["sort"]),
            Limit: body["limit"] switch
            {
                null => null,
                // 5.0 is 5, as JavaScript clients may send it; past int's range it is out of limit's range, said as such.
                var v when JsonIntegers.TryGet(v, out var n) => (int)Math.Clamp(n, int.MinValue, int.MaxValue),
                _ => throw new InvalidInputException("invalid_limit", "limit must be a whole number (5 or 5.0, not 5.5 or \"5\").", "limit"),
            },
            Cursor: body["cursor"] switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                _ => throw new InvalidInputException("invalid_cursor", "cursor must be a string (a previous nextCursor).", "cursor"),
            },
            Fields: Element(body["fields"]),
            Count: body["count"] switch
            {
                null => false,
                JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
                _ => throw new InvalidInputException("invalid_count", "count must be true or false.", "count"),
            });
        return TypedResults.Ok(await queries.QueryAsync(collection, parameters, Callers.From(request.HttpContext), cancellationToken));
    }

    private static async Task<Created<JsonObject>> CreateAsync(
        string collection,
        HttpRequest request,
        DocumentService documents,
        IOptions<DocumentLimits> limits,
        CancellationToken cancellationToken)
    {
        var body = await ReadDocumentAsync(request, limits.Value, cancellationToken);
        var result = await documents.ExecuteAsync(new CreateCommand(collection, body), Callers.From(request.HttpContext), cancellationToken);
        var document = result.Document!;
        SetETag(request.HttpContext, document);
        return TypedResults.Created($"/api/collections/{collection}/documents/{document[SystemFields.Id]!.GetValue<string>()}", document);
    }

    private static async Task<IResult> GetAsync(
        string collection,
        string id,
        HttpRequest request,
        DocumentService documents,
        CancellationToken cancellationToken)
    {
        var document = await documents.GetAsync(collection, id, Callers.From(request.HttpContext), cancellationToken);
        SetETag(request.HttpContext, document);
        if (Preconditions.IfNoneMatchHolds(request.Headers.IfNoneMatch, Version(document)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Ok(document);
    }

    private static async Task<Ok<JsonObject>> ReplaceAsync(
        string collection,
        string id,
        HttpRequest request,
        DocumentService documents,
        IOptions<DocumentLimits> limits,
        CancellationToken cancellationToken)
    {
        var upsert = request.Query.TryGetValue("upsert", out var value) && ParseBool(value.ToString(), "upsert");
        var ifMatch = Preconditions.ParseIfMatch(request.Headers.IfMatch);
        var mustExist = Preconditions.IfMatchIsAny(request.Headers.IfMatch);
        var ifNoneMatch = IfNoneMatch(request);
        var body = await ReadDocumentAsync(request, limits.Value, cancellationToken);
        var command = new ReplaceCommand(collection, id, body, ifMatch, upsert, mustExist) { IfNoneMatch = ifNoneMatch };
        var result = await documents.ExecuteAsync(command, Callers.From(request.HttpContext), cancellationToken);
        SetETag(request.HttpContext, result.Document!);
        return TypedResults.Ok(result.Document!);
    }

    private static async Task<Ok<JsonObject>> PatchAsync(
        string collection,
        string id,
        HttpRequest request,
        DocumentService documents,
        IOptions<DocumentLimits> limits,
        CancellationToken cancellationToken)
    {
        var ifMatch = Preconditions.ParseIfMatch(request.Headers.IfMatch);
        var ifNoneMatch = IfNoneMatch(request);
        var body = await ReadDocumentAsync(request, limits.Value, cancellationToken);
        var result = await documents.ExecuteAsync(new PatchCommand(collection, id, body, ifMatch) { IfNoneMatch = ifNoneMatch }, Callers.From(request.HttpContext), cancellationToken);
        SetETag(request.HttpContext, result.Document!);
        return TypedResults.Ok(result.Document!);
    }

    private static async Task<NoContent> DeleteAsync(
        string collection,
        string id,
        HttpRequest request,
        DocumentService documents,
        CancellationToken cancellationToken)
    {
        var ifMatch = Preconditions.ParseIfMatch(request.Headers.IfMatch);
        var ifNoneMatch = IfNoneMatch(request);
        await documents.ExecuteAsync(new DeleteCommand(collection, id, ifMatch) { IfNoneMatch = ifNoneMatch }, Callers.From(request.HttpContext), cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Parsing stops well past the document depth limit so that the validator, not the parser, reports
    /// a too-deep document with the path at fault.
    /// </summary>
    internal static int ParseDepth(DocumentLimits limits) => (limits.MaxDepth * 2) + 8;

    private static Task<JsonObject> ReadDocumentAsync(HttpRequest request, DocumentLimits limits, CancellationToken cancellationToken) =>
        JsonBody.ReadObjectAsync(request, limits.MaxBytes, ParseDepth(limits), cancellationToken);

    /// <summary>
    /// A write's <c>If-None-Match</c>, checked for shape before anything is read (a bad entry is a 400 naming the header).
    /// It used to be ignored on writes, so <c>PUT ?upsert=true</c> with <c>If-None-Match: *</c> (create only) replaced a
    /// document that existed.
    /// </summary>
    private static string? IfNoneMatch(HttpRequest request)
    {
        var header = request.Headers.IfNoneMatch;
        if (StringValues.IsNullOrEmpty(header))
        {
            return null;
        }

        _ = Preconditions.IfNoneMatchHolds(header, version: 0);
        return header.ToString();
    }

    private static void SetETag(HttpContext context, JsonObject document) =>
        context.Response.Headers.ETag = Preconditions.ETag(Version(document));

    private static long Version(JsonObject document) => document[SystemFields.Version]!.GetValue<long>();

    private static JsonElement? Element(JsonNode? node) => node is null ? null : JsonSerializer.SerializeToElement(node);

    private static JsonElement ToObjectElement(JsonNode node, string field) =>
        node is JsonObject ? JsonSerializer.SerializeToElement(node)
            : throw new InvalidInputException("invalid_filter", "filter must be a JSON object.", field);

    private static int ParseInt(string text, string field) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidInputException("invalid_" + field, $"{field} must be an integer (was '{text}').", field);

    // DESIGN.md section 4, "Input": true or false and nothing else; an empty ?upsert= once created documents.
    internal static bool ParseBool(string text, string field) =>
        text.Equals("true", StringComparison.OrdinalIgnoreCase) ? true
            : text.Equals("false", StringComparison.OrdinalIgnoreCase) ? false
            : throw new InvalidInputException("invalid_" + field, $"{field} must be true or false (was '{JsonInput.Printable(text)}').", field);
}
