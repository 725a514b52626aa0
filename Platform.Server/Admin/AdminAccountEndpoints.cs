using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json.Nodes;
using Platform.Server.Audit;
using Platform.Server.Auth;
using Platform.Server.Common;

namespace Platform.Server.Admin;

public static class AdminAccountEndpoints
{
    /// <summary><c>/api/admin/admins</c>: list, create, disable and enable admin accounts (admins only, never service keys).</summary>
    public static RouteGroupBuilder MapAdminAccountEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/admin/admins")
            .WithTags("Admin accounts")
            .RequireAuthorization(BaasPolicies.Admin);

        group.MapGet("/", ListAsync)
            .WithName("ListAdmins")
            .WithSummary("List admin accounts");

        group.MapPost("/", CreateAsync)
            .Accepts<AdminCredentialsRequest>("application/json")
            .WithName("CreateAdmin")
            .WithSummary("Create another admin account");

        group.MapPatch("/{id}", PatchAsync)
            .Accepts<AdminPatchRequest>("application/json")
            .WithName("PatchAdmin")
            .WithSummary("Disable or enable an admin account")
            .WithDescription("Disabling ends the admin's tokens (at once on this node, within Baas:Auth:SessionCheckInterval on others) and refuses its sign-in.");

        return group;
    }

    internal static async Task<Ok<ItemsResponse<AdminAccount>>> ListAsync(AdminAccountService accounts, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ItemsResponse<AdminAccount>(await accounts.ListAsync(cancellationToken)));

    internal static async Task<Results<Created<AdminAccount>, ProblemHttpResult>> CreateAsync(
        HttpContext context,
        AdminAccountService accounts,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAuthAsync<AdminCredentialsRequest>(context, ["email", "password"], cancellationToken);
        var email = AdminCredentials.NormalizeEmail(request?.Email);
        var errors = AdminCredentials.Validate(email, request?.Password);
        if (errors.Count > 0)
        {
            return AdminProblems.Validation(errors);
        }

        var createdBy = context.GetBaasCaller()?.Id;
        var admin = await accounts.CreateAsync(email, request!.Password!, createdBy, cancellationToken);
        if (admin is null)
        {
            return AdminProblems.EmailTaken();
        }

        var logger = loggers.CreateLogger(typeof(AdminAccountEndpoints));
        AdminLog.AdminCreated(logger, admin.Email, createdBy);
        await context.AuditAsync("admins.create", "admins/" + admin.Id, after: new JsonObject { ["id"] = admin.Id, ["email"] = admin.Email });
        return TypedResults.Created($"/api/admin/admins/{admin.Id}", admin);
    }

    internal static async Task<Results<Ok<AdminAccount>, ProblemHttpResult>> PatchAsync(
        string id,
        HttpContext context,
        AdminAccountService accounts,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        // Read as the other admin bodies are (size limit, duplicate keys, unknown fields named) rather than by minimal-API binding.
        var request = await JsonBody.ReadAuthAsync<AdminPatchRequest>(context, ["disabled"], cancellationToken);
        if (request?.Disabled is not { } disabled)
        {
            return AdminProblems.Validation("disabled", "Send { \"disabled\": true } or { \"disabled\": false }.");
        }

        var changedBy = context.GetBaasCaller()?.Id;
        if (disabled && string.Equals(id, changedBy, StringComparison.Ordinal))
        {
            return AdminProblems.Problem(ErrorKind.Conflict, "cannot_disable_self", "An admin cannot disable its own account; ask another admin.");
        }

        var (outcome, admin) = await accounts.SetDisabledAsync(id, disabled, cancellationToken);
        if (outcome == AdminChangeOutcome.NotFound)
        {
            return AdminProblems.Problem(ErrorKind.NotFound, "admin_not_found", $"No admin has the id '{id}'.");
        }

        var logger = loggers.CreateLogger(typeof(AdminAccountEndpoints));
        var action = disabled ? "disabled" : "enabled";
        AdminLog.AdminDisabledChanged(logger, id, action, changedBy);

        // Disabling an admin is as much an admin write as creating one (DESIGN §10: every admin write is audited).
        await context.AuditAsync(
            disabled ? "admins.disable" : "admins.enable",
            "admins/" + id,
            after: new JsonObject { ["id"] = admin!.Id, ["email"] = admin.Email, ["disabled"] = admin.Disabled });
        return TypedResults.Ok(admin);
    }
}
