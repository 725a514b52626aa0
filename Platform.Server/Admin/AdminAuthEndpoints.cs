using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.RateLimiting;

namespace Platform.Server.Admin;

public static class AdminAuthEndpoints
{
    /// <summary>
    /// <c>POST /api/admin/auth/login</c>, <c>POST /api/admin/auth/logout</c> and <c>GET /api/admin/auth/me</c>
    /// (admins only), and <c>POST /api/admin/setup</c> (first admin, with the setup token).
    /// </summary>
    public static RouteGroupBuilder MapAdminAuthEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/admin").WithTags("Admin auth");

        group.MapPost("/auth/login", LoginAsync)
            .Accepts<AdminCredentialsRequest>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .AllowAnonymous()
            .RequireRateLimiting(RateLimitPolicies.Auth)
            .WithName("AdminLogin")
            .WithSummary("Sign in as an admin")
            .WithDescription("Answers the admin, a bearer access token and its lifetime in seconds.");

        group.MapPost("/auth/logout", LogoutAsync)
            .RequireAuthorization(BaasPolicies.Admin)
            .WithName("AdminLogout")
            .WithSummary("Sign the admin out everywhere")
            .WithDescription("Ends every token of the signed-in admin: at once on this node, within Baas:Auth:SessionCheckInterval on others; their realtime connections are closed.");

        group.MapGet("/auth/me", MeAsync)
            .RequireAuthorization(BaasPolicies.Admin)
            .WithName("AdminMe")
            .WithSummary("The signed-in admin");

        group.MapPost("/setup", SetupAsync)
            .Accepts<AdminSetupRequest>("application/json")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .AllowAnonymous()
            .RequireRateLimiting(RateLimitPolicies.Auth)
            .WithName("AdminSetup")
            .WithSummary("Create the first admin with the one-time setup token")
            .WithDescription("Works only while no admin exists; answers like login.");

        return group;
    }

    internal static async Task<Results<Ok<AdminSessionResponse>, ProblemHttpResult>> LoginAsync(
        HttpContext context,
        AdminAccountService accounts,
        BaasTokenService tokens,
        ILoggerFactory loggers,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAuthAsync<AdminCredentialsRequest>(context, ["email", "password"], cancellationToken);
        if (string.IsNullOrWhiteSpace(request?.Email))
        {
            return AdminProblems.Validation("email", "The email is required.");
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            return AdminProblems.Validation("password", "The password is required.");
        }

        var (admin, lockedUntil, lockedNow) = await accounts.VerifyCredentialsAsync(request.Email, request.Password, cancellationToken);
        if (admin is null)
        {
            var logger = loggers.CreateLogger(typeof(AdminAuthEndpoints));
            var email = AdminCredentials.NormalizeEmail(request.Email);
            AdminLog.AdminLoginFailed(logger, email);
            if (lockedUntil is { } until)
            {
                if (lockedNow)
                {
                    AdminLog.AdminLockedOut(logger, email, until);
                }

                var seconds = Math.Max(1, (long)Math.Ceiling((until - time.GetUtcNow()).TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return AdminProblems.LockedOut(seconds);
            }

            return AdminProblems.InvalidCredentials();
        }

        if (admin.Disabled)
        {
            return AdminProblems.Problem(ErrorKind.Forbidden, "admin_disabled", "This admin account is disabled.");
        }

        return TypedResults.Ok(Session(admin, await accounts.GetTokenStampAsync(admin.Id, cancellationToken), tokens));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> LogoutAsync(
        HttpContext context,
        AdminAccountService accounts,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var caller = context.GetBaasCaller();
        if (caller is not { Kind: BaasCallerKind.Admin } || !await accounts.SignOutAsync(caller.Id, cancellationToken))
        {
            return AdminProblems.Problem(ErrorKind.Unauthenticated, "unauthenticated", "The admin account no longer exists.");
        }

        var logger = loggers.CreateLogger(typeof(AdminAuthEndpoints));
        AdminLog.AdminSignedOut(logger, caller.Id);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<AdminAccount>, ProblemHttpResult>> MeAsync(
        HttpContext context,
        AdminAccountService accounts,
        CancellationToken cancellationToken)
    {
        var caller = context.GetBaasCaller();
        var admin = caller is { Kind: BaasCallerKind.Admin } ? await accounts.GetAsync(caller.Id, cancellationToken) : null;
        return admin is null
            ? AdminProblems.Problem(ErrorKind.Unauthenticated, "unauthenticated", "The admin account no longer exists.")
            : TypedResults.Ok(admin);
    }

    internal static async Task<Results<Ok<AdminSessionResponse>, ProblemHttpResult>> SetupAsync(
        HttpContext context,
        AdminSetup setup,
        BaasTokenService tokens,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAuthAsync<AdminSetupRequest>(context, ["token", "email", "password"], cancellationToken);
        var email = AdminCredentials.NormalizeEmail(request?.Email);
        var errors = AdminCredentials.Validate(email, request?.Password);
        if (errors.Count > 0)
        {
            return AdminProblems.Validation(errors);
        }

        var (outcome, admin) = await setup.CreateFirstAdminAsync(request?.Token, email, request!.Password!, cancellationToken);
        switch (outcome)
        {
            case AdminSetupOutcome.Created:
                var logger = loggers.CreateLogger(typeof(AdminAuthEndpoints));
                AdminLog.AdminCreatedBySetup(logger, email);
                await context.RequestServices.GetRequiredService<Audit.IAuditLog>().RecordAsync(
                    new Audit.AuditEntry("admins.setup", "admins/" + admin!.Id, "setup", After: new System.Text.Json.Nodes.JsonObject { ["id"] = admin.Id, ["email"] = admin.Email })
                    {
                        Ip = context.Connection.RemoteIpAddress?.ToString(),
                    },
                    CancellationToken.None);
                return TypedResults.Ok(Session(admin!, tokenStamp: null, tokens));
            case AdminSetupOutcome.InvalidToken:
                return AdminProblems.Problem(ErrorKind.Forbidden, "invalid_setup_token", "The setup token is missing or wrong; use the link the server logged at start-up.");
            case AdminSetupOutcome.EmailTaken:
                return AdminProblems.EmailTaken();
            default:
                return AdminProblems.Problem(ErrorKind.Conflict, "setup_completed", "An admin already exists; sign in instead.");
        }
    }

    private static AdminSessionResponse Session(AdminAccount admin, string? tokenStamp, BaasTokenService tokens)
    {
        var token = tokens.IssueAdminToken(admin.Id, admin.Email, tokenStamp);
        return new AdminSessionResponse(admin, token.AccessToken, token.ExpiresIn);
    }
}
