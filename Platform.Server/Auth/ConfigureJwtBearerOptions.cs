using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Platform.Server.Auth;

/// <summary>
/// Points the Bearer scheme at <see cref="BaasTokenService"/>'s validation (persisted key, pinned issuer,
/// audience, algorithm and clock) and makes its challenge and forbid answers problem+json.
/// </summary>
internal sealed class ConfigureJwtBearerOptions(BaasTokenService tokens, CachingJsonWebTokenHandler handler, TimeProvider time) : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name != BaasAuthSchemes.Bearer)
        {
            return;
        }

        options.MapInboundClaims = false;
        options.TimeProvider = time;
        options.TokenValidationParameters = tokens.CreateValidationParameters(BaasAudiences.Admin, BaasAudiences.User);

        // Clients send the same access token with every request; validating it once per node is enough.
        options.TokenHandlers.Clear();
        options.TokenHandlers.Add(handler);
        options.Events = new JwtBearerEvents
        {
            // Browsers cannot put headers on a WebSocket, so the realtime hub also takes the token from the query.
            OnMessageReceived = context =>
            {
                if (BaasAuthSchemes.AcceptsQueryCredentials(context.Request)
                    && context.Request.Query.TryGetValue(BaasAuthSchemes.AccessTokenQueryParameter, out var token))
                {
                    context.Token = token.ToString();
                }
                else if (BaasAuthSchemes.BearerValue(context.Request) is { } bearer
                    && bearer.StartsWith(BaasAuthSchemes.RealtimeTicketPrefix, StringComparison.Ordinal))
                {
                    // A ticket is good for opening one realtime connection, nothing else: say so rather than "invalid token".
                    context.Fail(RealtimeTicketElsewhereMessage);
                }
                else if (MalformedAuthorization(context.Request.Headers.Authorization.ToString()))
                {
                    // "Basic ...", "Bearer" without a token and the like would otherwise read as no credentials at
                    // all, so a client with a broken header would silently act as an anonymous visitor.
                    context.Fail(MalformedAuthorizationMessage);
                }

                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                // Take over the response: the default writes an empty 401.
                context.HandleResponse();
                context.Response.Headers.WWWAuthenticate = context.AuthenticateFailure is null
                    ? "Bearer"
                    : "Bearer error=\"invalid_token\"";
                var detail = context.AuthenticateFailure switch
                {
                    null => "Sign in and send the access token as 'Authorization: Bearer <token>', or send a service key in X-Api-Key.",
                    { Message: MalformedAuthorizationMessage } => MalformedAuthorizationMessage,
                    { Message: RealtimeTicketElsewhereMessage } => RealtimeTicketElsewhereMessage,
                    _ => "The access token is invalid or expired.",
                };
                await AuthProblems.WriteUnauthenticatedAsync(context.HttpContext, detail);
            },
            OnForbidden = context => AuthProblems.WriteForbiddenAsync(context.HttpContext),
        };
    }

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);

    private const string MalformedAuthorizationMessage =
        "The Authorization header must be 'Bearer <access token>' (or 'Bearer <service key>'); leave it out to call as an anonymous visitor.";

    private const string RealtimeTicketElsewhereMessage =
        "A realtime ticket opens one connection to /realtime and is no credential anywhere else; send the access token itself.";

    /// <summary>An Authorization header that is present but is not <c>Bearer</c> followed by a token.</summary>
    internal static bool MalformedAuthorization(string header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return false;
        }

        const string Scheme = "Bearer ";
        return !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(header[Scheme.Length..]);
    }
}
