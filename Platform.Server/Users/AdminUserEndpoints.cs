using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Audit;
using Platform.Server.Auth;
using Platform.Server.Common;

namespace Platform.Server.Users;

public static class AdminUserEndpoints
{
    /// <summary><c>/api/admin/users</c>: app-user management for admins and service keys.</summary>
    public static RouteGroupBuilder MapAdminUserEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/admin/users")
            .WithTags("App users (admin)")
            .RequireAuthorization(BaasPolicies.AdminOrService);

        group.MapGet("/", ListAsync).WithName("ListUsers")
            .WithSummary("List app users").WithDescription("?search= (email prefix or id), ?limit= (1-1000, default 50), ?cursor= (from nextCursor).");
        group.MapPost("/", CreateAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("CreateUser").WithSummary("Create an app user");
        group.MapGet("/{id}", GetAsync).WithName("GetUser").WithSummary("One app user");
        group.MapPatch("/{id}", PatchAsync).Accepts<System.Text.Json.Nodes.JsonObject>("application/json").WithName("PatchUser")
            .WithSummary("Change roles, disabled, email, password or data (merge patch)")
            .WithDescription("Disabling a user or setting their password ends all their sessions.");
        group.MapPost("/{id}/password-reset", SendPasswordResetAsync).WithName("SendUserPasswordReset")
            .WithSummary("Mail the user a password-reset link")
            .WithDescription("The same mail as /api/auth/password/forgot (SMTP, or the outbox). 409 when the user has no email or is disabled.");
        group.MapPost("/{id}/sessions/revoke", RevokeSessionsAsync).WithName("RevokeUserSessions")
            .WithSummary("End every session of the user")
            .WithDescription("Revokes every refresh-token family; their access tokens stop working and realtime connections close within Baas:Auth:SessionCheckInterval.");
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteUser").WithSummary("Delete an app user and end their sessions");
        return group;
    }

    internal static async Task<Ok<UserPage>> ListAsync(
        string? search, string? limit, string? cursor, UserAdminService users, CancellationToken cancellationToken) =>
        TypedResults.Ok(await users.ListAsync(search, limit, cursor, cancellationToken));

    internal static async Task<Created<UserView>> CreateAsync(HttpContext context, UserAdminService users, CancellationToken cancellationToken)
    {
        var body = await UserEndpoints.ReadAsync(context, cancellationToken);
        var user = await users.CreateAsync(body, context.GetBaasCaller()?.Id);
        await context.AuditAsync("users.create", "users/" + user.Id, after: Audited(UserView.From(user), body));
        return TypedResults.Created($"/api/admin/users/{user.Id}", UserView.From(user));
    }

    internal static async Task<Ok<UserView>> GetAsync(string id, UserAdminService users) =>
        TypedResults.Ok(UserView.From(await users.GetAsync(id)));

    internal static async Task<Ok<UserView>> PatchAsync(string id, HttpContext context, UserAdminService users, CancellationToken cancellationToken)
    {
        var body = await UserEndpoints.ReadAsync(context, cancellationToken);
        var before = UserView.From(await users.GetAsync(id));
        var after = UserView.From(await users.PatchAsync(id, body, context.GetBaasCaller()?.Id, cancellationToken));
        await context.AuditAsync("users.patch", "users/" + id, Audited(before, null), Audited(after, body));
        return TypedResults.Ok(after);
    }

    internal static async Task<Accepted> SendPasswordResetAsync(string id, HttpContext context, UserAdminService users, CancellationToken cancellationToken)
    {
        await users.SendPasswordResetAsync(id, context.GetBaasCaller()?.Id, cancellationToken);
        await context.AuditAsync("users.password_reset", "users/" + id);
        return TypedResults.Accepted((string?)null);
    }

    internal static async Task<NoContent> RevokeSessionsAsync(string id, HttpContext context, UserAdminService users, CancellationToken cancellationToken)
    {
        if (!await users.RevokeSessionsAsync(id, context.GetBaasCaller()?.Id, cancellationToken))
        {
            throw DomainException.NotFound($"User '{id}' was not found.");
        }

        await context.AuditAsync("users.sessions_revoke", "users/" + id);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> DeleteAsync(string id, HttpContext context, UserAdminService users, CancellationToken cancellationToken)
    {
        UserView? before = null;
        try
        {
            before = UserView.From(await users.GetAsync(id));
        }
        catch (DomainException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            // Reported below, by the delete itself.
        }

        if (!await users.DeleteAsync(id, context.GetBaasCaller()?.Id, cancellationToken))
        {
            throw DomainException.NotFound($"User '{id}' was not found.");
        }

        await context.AuditAsync("users.delete", "users/" + id, before: before is null ? null : Audited(before, null));
        return TypedResults.NoContent();
    }

    // The user as the audit log keeps it; a password that was set shows as set, never as itself.
    private static JsonObject Audited(UserView user, JsonObject? body)
    {
        var json = JsonSerializer.SerializeToNode(user, JsonSerializerOptions.Web)!.AsObject();
        if (body?["password"] is not null)
        {
            json["password"] = SecretMasking.Mask;
        }

        return json;
    }
}
