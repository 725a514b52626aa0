using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Platform.Server.Auth;

/// <summary>The <c>X-Api-Key</c> scheme: a live service key becomes a principal with role <c>service</c>.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyService apiKeys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(BaasAuthSchemes.ApiKeyHeader, out var values)
            && !(BaasAuthSchemes.AcceptsQueryCredentials(Request) && Request.Query.TryGetValue(BaasAuthSchemes.ApiKeyQueryParameter, out values)))
        {
            if (BaasAuthSchemes.BearerServiceKey(Request) is not { } bearer)
            {
                return AuthenticateResult.NoResult();
            }

            values = bearer;
        }

        if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return AuthenticateResult.Fail("Exactly one service key (X-Api-Key header or apikey query parameter) is expected.");
        }

        var key = await apiKeys.AuthenticateAsync(values[0]!, Context.RequestAborted);
        if (key is null)
        {
            return AuthenticateResult.Fail("The service key is not valid.");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(BaasClaimTypes.Subject, key.Id),
                new Claim(BaasClaimTypes.Name, key.Name),
                new Claim(BaasClaimTypes.Role, BaasRoles.Service),
            ],
            Scheme.Name,
            BaasClaimTypes.Subject,
            BaasClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteUnauthenticatedAsync(Context, "The X-Api-Key header does not hold a valid service key.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteForbiddenAsync(Context);
}
