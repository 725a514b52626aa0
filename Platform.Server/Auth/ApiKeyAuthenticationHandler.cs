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
    private const string InvalidKey = "The X-Api-Key header does not hold a valid service key.";
    private const string TwoCredentials =
        "Send one credential: a service key (X-Api-Key or apikey) or a Bearer token (Authorization or access_token), not both.";

    private string _challenge = InvalidKey;

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
        else if (Request.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.Authorization)
            || (BaasAuthSchemes.AcceptsQueryCredentials(Request) && Request.Query.ContainsKey(BaasAuthSchemes.AccessTokenQueryParameter)))
        {
            // A service key beside a token: serving the key would ignore a token that may be expired or forged (credentials
            // that are sent must be valid), and a server acting for a user would get the key's rule-free access instead.
            _challenge = TwoCredentials;
            return AuthenticateResult.Fail(TwoCredentials);
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
        AuthProblems.WriteUnauthenticatedAsync(Context, _challenge);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteForbiddenAsync(Context);
}
