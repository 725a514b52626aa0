using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;

namespace Platform.Server.Realtime;

/// <summary>
/// The <see cref="BaasAuthSchemes.RealtimeTicket"/> scheme: a ticket in <c>access_token</c> (or <c>Authorization:
/// Bearer</c>) on <c>/realtime</c> becomes the caller it was made for. The websocket request that opens the connection
/// spends it; <c>/realtime/negotiate</c>, which a SignalR client may send first with the same ticket, only checks it. Any
/// other request to the hub (server-sent events, long polling: a request per message) is refused, since one use cannot
/// cover them. Refusals are 401 problem+json and an auth log entry with the reason, never the ticket.
/// </summary>
internal sealed class RealtimeTicketAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    RealtimeTickets tickets) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string WebSocketsOnly =
        "A realtime ticket opens a websocket connection only (skip negotiation or let it pick websockets); server-sent events and long polling send the access token itself.";

    private string _refusal = "The realtime ticket is not valid.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BaasAuthSchemes.RealtimeTicketOf(Request) is not { } ticket)
        {
            return AuthenticateResult.NoResult();
        }

        var negotiate = Request.Path.Equals(BaasAuthSchemes.QueryCredentialsPath + "/negotiate", StringComparison.OrdinalIgnoreCase);
        if (!negotiate && !(IsWebSocketRequest(Context) && Request.Path.Equals(BaasAuthSchemes.QueryCredentialsPath, StringComparison.OrdinalIgnoreCase)))
        {
            return Refuse(WebSocketsOnly);
        }

        var outcome = await tickets.RedeemAsync(ticket, use: !negotiate, Context.RequestAborted);
        if (outcome.Principal is null)
        {
            return Refuse(outcome.Refusal!);
        }

        // The connection lives as long as the credential the ticket was made from (CloseOnAuthenticationExpiration), not the ticket.
        var properties = new AuthenticationProperties { ExpiresUtc = outcome.ConnectionExpires };
        return AuthenticateResult.Success(new AuthenticationTicket(outcome.Principal, properties, Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteUnauthenticatedAsync(Context, _refusal);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthProblems.WriteForbiddenAsync(Context);

    // HttpContext.WebSockets is not there yet: the hub's endpoint adds the websocket middleware, after authentication.
    private static bool IsWebSocketRequest(HttpContext context) =>
        context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true, Protocol: var protocol }
            ? string.Equals(protocol, "websocket", StringComparison.OrdinalIgnoreCase)
            : HttpMethods.IsGet(context.Request.Method)
                && context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);

    private AuthenticateResult Refuse(string reason)
    {
        _refusal = reason;
        AuthLog.RealtimeTicketRefused(Logger, Request.Path.Value ?? string.Empty, reason);
        return AuthenticateResult.Fail(reason);
    }
}
