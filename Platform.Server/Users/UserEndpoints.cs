using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Hosting;

namespace Platform.Server.Users;

public static class UserEndpoints
{
    private const string Json = "application/json";

    /// <summary>
    /// <c>/api/auth</c>: app-user sign-up, sign-in, sessions, profile, password reset and email verification
    /// (docs/auth.md). Returns the group so the host can attach a rate-limit policy to every auth endpoint.
    /// </summary>
    public static RouteGroupBuilder MapBaasUserEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/auth").WithTags("App-user auth");

        group.MapPost("/signup", SignUpAsync).AllowAnonymous().Accepts<UserSignUpRequest>(Json)
            .WithName("UserSignUp").WithSummary("Create an account (or upgrade the signed-in anonymous account)")
            .WithDescription("Body { email, password, data? }. Answers { user, accessToken, refreshToken, expiresIn }.");
        group.MapPost("/login", LoginAsync).AllowAnonymous().Accepts<UserLoginRequest>(Json)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithName("UserLogin").WithSummary("Sign in with email and password");
        group.MapPost("/anonymous", AnonymousAsync).AllowAnonymous()
            .WithName("UserAnonymous").WithSummary("Sign in as a new anonymous user");
        group.MapPost("/refresh", RefreshAsync).AllowAnonymous().Accepts<UserRefreshRequest>(Json)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithName("UserRefresh").WithSummary("Trade a refresh token for a new access and refresh token")
            .WithDescription("The presented token is used up; presenting it again ends the whole session.");
        group.MapPost("/logout", LogoutAsync).RequireAuthorization(UserPolicies.AppUser).Accepts<UserLogoutRequest>(Json)
            .WithName("UserLogout").WithSummary("End the current session (and the one of refreshToken, when given)");
        group.MapGet("/me", GetMeAsync).RequireAuthorization(UserPolicies.AppUser)
            .WithName("UserMe").WithSummary("The signed-in user");
        group.MapPatch("/me", PatchMeAsync).RequireAuthorization(UserPolicies.AppUser).Accepts<UserPatchMeRequest>(Json)
            .WithName("UserPatchMe").WithSummary("Change the profile data (merge patch of { data })");
        group.MapPost("/password/forgot", ForgotPasswordAsync).AllowAnonymous().Accepts<UserForgotPasswordRequest>(Json)
            .WithName("UserForgotPassword").WithSummary("Mail a password-reset token; 202 whether or not the email is known");
        group.MapPost("/password/reset", ResetPasswordAsync).AllowAnonymous().Accepts<UserResetPasswordRequest>(Json)
            .WithName("UserResetPassword").WithSummary("Set a new password with the mailed token; ends every session");
        group.MapPost("/verify-email/request", RequestVerificationAsync).RequireAuthorization(UserPolicies.AppUser)
            .WithName("UserRequestVerification").WithSummary("Mail an email-verification token to the signed-in user");
        group.MapPost("/verify-email/confirm", ConfirmEmailAsync).AllowAnonymous().Accepts<UserConfirmEmailRequest>(Json)
            .WithName("UserConfirmEmail").WithSummary("Mark the email verified with the mailed token");
        return group;
    }

    internal static async Task<Results<Created<UserSessionResponse>, Ok<UserSessionResponse>>> SignUpAsync(
        HttpContext context, UserService users, CancellationToken cancellationToken)
    {
        var caller = context.GetBaasCaller();

        // An expired anonymous token must not silently create a second account instead of upgrading the first.
        if (caller is null && context.Request.Headers.ContainsKey(HeaderNames.Authorization))
        {
            throw UserProblems.Unauthenticated("The access token is invalid or expired; refresh it first, or send no Authorization header to create a new account.");
        }

        var body = await ReadAsync(context, cancellationToken);
        var (session, upgraded) = await users.SignUpAsync(body, caller, cancellationToken);
        return upgraded ? TypedResults.Ok(session) : TypedResults.Created("/api/auth/me", session);
    }

    internal static async Task<Results<Ok<UserSessionResponse>, ProblemHttpResult>> LoginAsync(
        HttpContext context, UserService users, CancellationToken cancellationToken)
    {
        var body = await ReadAsync(context, cancellationToken);
        try
        {
            return TypedResults.Ok(await users.LoginAsync(body, cancellationToken));
        }
        catch (LockedOutException locked)
        {
            // The exception handler clears headers, so this answer is written here with its Retry-After.
            context.Response.Headers.RetryAfter = locked.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                locked.Message,
                statusCode: ProblemMapping.StatusOf(locked),
                title: ReasonPhrases.GetReasonPhrase(ProblemMapping.StatusOf(locked)),
                extensions: new Dictionary<string, object?> { ["code"] = locked.Code, ["retryAfter"] = locked.RetryAfterSeconds });
        }
    }

    internal static async Task<Created<UserSessionResponse>> AnonymousAsync(UserService users, CancellationToken cancellationToken) =>
        TypedResults.Created("/api/auth/me", await users.AnonymousAsync(cancellationToken));

    internal static async Task<Ok<UserSessionResponse>> RefreshAsync(HttpContext context, UserService users, CancellationToken cancellationToken) =>
        TypedResults.Ok(await users.RefreshAsync(await ReadAsync(context, cancellationToken), cancellationToken));

    internal static async Task<NoContent> LogoutAsync(HttpContext context, UserService users, CancellationToken cancellationToken)
    {
        var hasBody = context.Request.ContentLength > 0 || context.Request.Headers.ContainsKey(HeaderNames.TransferEncoding);
        var body = hasBody ? await ReadAsync(context, cancellationToken) : null;
        await users.LogoutAsync(Caller(context), body, cancellationToken);
        return TypedResults.NoContent();
    }

    internal static async Task<Ok<UserView>> GetMeAsync(HttpContext context, UserService users) =>
        TypedResults.Ok(UserView.From(await users.GetAsync(Caller(context))));

    internal static async Task<Ok<UserView>> PatchMeAsync(HttpContext context, UserService users, CancellationToken cancellationToken) =>
        TypedResults.Ok(UserView.From(await users.PatchMeAsync(Caller(context), await ReadAsync(context, cancellationToken))));

    internal static async Task<Accepted> ForgotPasswordAsync(HttpContext context, UserService users, CancellationToken cancellationToken)
    {
        await users.ForgotPasswordAsync(await ReadAsync(context, cancellationToken), cancellationToken);
        return TypedResults.Accepted((string?)null);
    }

    internal static async Task<NoContent> ResetPasswordAsync(HttpContext context, UserService users, CancellationToken cancellationToken)
    {
        await users.ResetPasswordAsync(await ReadAsync(context, cancellationToken), cancellationToken);
        return TypedResults.NoContent();
    }

    internal static async Task<Accepted> RequestVerificationAsync(HttpContext context, UserService users, CancellationToken cancellationToken)
    {
        await users.RequestVerificationAsync(Caller(context), cancellationToken);
        return TypedResults.Accepted((string?)null);
    }

    internal static async Task<Ok<UserView>> ConfirmEmailAsync(HttpContext context, UserService users, CancellationToken cancellationToken) =>
        TypedResults.Ok(UserView.From(await users.ConfirmEmailAsync(await ReadAsync(context, cancellationToken))));

    internal static Task<JsonObject> ReadAsync(HttpContext context, CancellationToken cancellationToken) =>
        JsonBody.ReadAuthObjectAsync(context, cancellationToken);

    // The AppUser policy already admitted only app users.
    private static BaasCaller Caller(HttpContext context) =>
        context.GetBaasCaller() ?? throw UserProblems.Unauthenticated("Sign in first.");
}
