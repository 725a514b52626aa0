using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json.Nodes;
using Platform.Server.Audit;
using Platform.Server.Auth;
using Platform.Server.Common;

namespace Platform.Server.Admin;

public static class ApiKeyEndpoints
{
    /// <summary><c>/api/admin/apikeys</c>: create, list and revoke service keys (admins and service keys).</summary>
    public static RouteGroupBuilder MapApiKeyEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/admin/apikeys")
            .WithTags("Service keys")
            .RequireAuthorization(BaasPolicies.AdminOrService);

        group.MapPost("/", CreateAsync)
            .Accepts<CreateApiKeyRequest>("application/json")
            .WithName("CreateApiKey")
            .WithSummary("Create a service key")
            .WithDescription("The key is in this response only; the server keeps just its hash.");

        group.MapGet("/", ListAsync)
            .WithName("ListApiKeys")
            .WithSummary("List service keys (without the keys)");

        group.MapDelete("/{id}", RevokeAsync)
            .WithName("RevokeApiKey")
            .WithSummary("Revoke a service key");

        return group;
    }

    internal static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult>> CreateAsync(
        HttpContext context,
        ApiKeyService apiKeys,
        CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAuthAsync<CreateApiKeyRequest>(context, ["name"], cancellationToken);
        var problem = ApiKeyService.ValidateName(request?.Name);
        if (problem is not null)
        {
            return AdminProblems.Validation("name", problem);
        }

        var created = await apiKeys.CreateAsync(request!.Name!, context.GetBaasCaller()?.Id, cancellationToken);
        await context.AuditAsync("apikeys.create", "apikeys/" + created.Id, after: new JsonObject
        {
            ["id"] = created.Id,
            ["name"] = created.Name,
            ["prefix"] = created.Prefix,
            ["createdAt"] = created.CreatedAt,
        });
        return TypedResults.Created($"/api/admin/apikeys/{created.Id}", created);
    }

    internal static async Task<Ok<ItemsResponse<ApiKeyInfo>>> ListAsync(ApiKeyService apiKeys, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ItemsResponse<ApiKeyInfo>(await apiKeys.ListAsync(cancellationToken)));

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string id, HttpContext context, ApiKeyService apiKeys, CancellationToken cancellationToken)
    {
        var before = (await apiKeys.ListAsync(cancellationToken)).FirstOrDefault(k => k.Id == id);
        if (!await apiKeys.RevokeAsync(id, cancellationToken))
        {
            return AdminProblems.Problem(ErrorKind.NotFound, "not_found", "There is no service key with this id.");
        }

        await context.AuditAsync("apikeys.revoke", "apikeys/" + id, before: before is null ? null : new JsonObject
        {
            ["id"] = before.Id,
            ["name"] = before.Name,
            ["prefix"] = before.Prefix,
            ["createdAt"] = before.CreatedAt,
        });
        return TypedResults.NoContent();
    }
}
