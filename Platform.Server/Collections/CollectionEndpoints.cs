using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Server.Audit;
using Platform.Server.Common;
using Platform.Server.Documents;

namespace Platform.Server.Collections;

/// <summary><c>/api/admin/collections</c>: define, inspect, change and delete collections.</summary>
public static class CollectionEndpoints
{
    private const int MaxDefinitionDepth = 64;

    public static RouteGroupBuilder MapCollectionEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/admin/collections").WithTags("Collections");

        group.MapGet("/", ListAsync).WithName("ListCollections").WithSummary("Lists every defined collection.");
        group.MapPost("/", CreateAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("CreateCollection").WithSummary("Defines a collection: schema, indexes, rules.");
        group.MapGet("/{name}", GetAsync).WithName("GetCollection").WithSummary("Reads one collection definition.");
        group.MapPut("/{name}", UpdateAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("UpdateCollection").WithSummary("Replaces a collection definition; indexes are created and dropped to match. If-Match makes it conditional on the definition's version (its ETag).").ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapDelete("/{name}", DeleteAsync).WithName("DeleteCollection").WithSummary("Deletes a collection and all its documents. If-Match makes it conditional on the definition's version (its ETag).").ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return group;
    }

    private static async Task<Ok<JsonObject>> ListAsync(CollectionRegistry registry, CancellationToken cancellationToken)
    {
        var items = new JsonArray();
        foreach (var collection in await registry.ListAsync(cancellationToken))
        {
            items.Add(collection.ToJson());
        }

        return TypedResults.Ok(new JsonObject { ["items"] = items });
    }

    private static async Task<Created<JsonObject>> CreateAsync(HttpRequest request, CollectionRegistry registry, IOptions<CollectionOptions> options, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadObjectAsync(request, request.HttpContext.RequestServices.GetRequiredService<IOptions<RequestBodyLimits>>().Value.AdminMaxBytes, MaxDefinitionDepth, cancellationToken);
        var definition = CollectionDefinitionParser.Parse(body, nameFromUrl: null, options.Value);
        var collection = await registry.CreateAsync(definition, cancellationToken);
        await request.HttpContext.AuditAsync("collections.create", "collections/" + collection.Name, after: collection.ToJson());
        SetETag(request.HttpContext, collection);
        return TypedResults.Created($"/api/admin/collections/{collection.Name}", collection.ToJson());
    }

    private static async Task<Ok<JsonObject>> GetAsync(string name, HttpContext context, CollectionRegistry registry, CancellationToken cancellationToken)
    {
        var collection = await FindAsync(name, registry, cancellationToken);
        SetETag(context, collection);
        return TypedResults.Ok(collection.ToJson());
    }

    private static async Task<Ok<JsonObject>> UpdateAsync(string name, HttpRequest request, CollectionRegistry registry, IOptions<CollectionOptions> options, CancellationToken cancellationToken)
    {
        CollectionNames.Validate(name, "name");
        var ifMatch = Preconditions.ParseIfMatch(request.Headers.IfMatch);
        var body = await JsonBody.ReadObjectAsync(request, request.HttpContext.RequestServices.GetRequiredService<IOptions<RequestBodyLimits>>().Value.AdminMaxBytes, MaxDefinitionDepth, cancellationToken);
        var definition = CollectionDefinitionParser.Parse(body, name, options.Value);
        var before = await registry.FindAsync(name, cancellationToken);
        var collection = await registry.UpdateAsync(definition, ifMatch, cancellationToken);
        await request.HttpContext.AuditAsync("collections.update", "collections/" + name, before?.ToJson(), collection.ToJson());
        SetETag(request.HttpContext, collection);
        return TypedResults.Ok(collection.ToJson());
    }

    private static async Task<NoContent> DeleteAsync(string name, HttpContext context, CollectionRegistry registry, CancellationToken cancellationToken)
    {
        CollectionNames.Validate(name, "name");
        var ifMatch = Preconditions.ParseIfMatch(context.Request.Headers.IfMatch);
        var before = await registry.FindAsync(name, cancellationToken);
        if (!await registry.DeleteAsync(name, ifMatch, cancellationToken))
        {
            throw NotDefined(name);
        }

        await context.AuditAsync("collections.delete", "collections/" + name, before: before?.ToJson());

        return TypedResults.NoContent();
    }

    private static async Task<Collection> FindAsync(string name, CollectionRegistry registry, CancellationToken cancellationToken)
    {
        CollectionNames.Validate(name, "name");
        return await registry.FindAsync(name, cancellationToken) ?? throw NotDefined(name);
    }

    private static DomainException NotDefined(string name) => CollectionNames.NotDefined(name, "name");

    // The stored definition's version, as documents and functions answer theirs: If-Match on PUT and DELETE takes it back.
    private static void SetETag(HttpContext context, Collection collection) =>
        context.Response.Headers.ETag = Preconditions.ETag(collection.Version);
}
