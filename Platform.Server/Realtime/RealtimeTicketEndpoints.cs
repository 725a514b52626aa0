using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Server.Auth;

namespace Platform.Server.Realtime;

/// <summary><c>POST /api/realtime/ticket</c>: a one-use ticket to open a realtime connection without the access token in its URL.</summary>
public static class RealtimeTicketEndpoints
{
    public static RouteGroupBuilder MapRealtimeTicketEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);

        // Signed-in callers only: an anonymous visitor has nothing to keep out of a URL and connects without credentials.
        var group = routes.MapGroup("/api/realtime").WithTags("Realtime")
            .RequireAuthorization(policy => policy.RequireAuthenticatedUser());
        group.MapPost("/ticket", IssueAsync).WithName("CreateRealtimeTicket")
            .RequireRateLimiting(RateLimiting.RateLimitPolicies.RealtimeTickets)
            .WithSummary("A one-use ticket that opens one realtime websocket as the caller, for a short time.")
            .WithDescription(
                "Send it as access_token when opening /realtime instead of the access token itself (browsers cannot put a header on a "
                + "websocket). It carries the caller's identity and session, opens one connection within Baas:Realtime:TicketLifetime "
                + "(30 s by default), and is refused by every other endpoint.");
        return group;
    }

    internal static async Task<Results<Ok<RealtimeTicket>, ProblemHttpResult>> IssueAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (context.GetBaasCaller() is null)
        {
            return TypedResults.Problem(Hosting.ProblemWriter.Create(Common.ErrorKind.Unauthenticated, AuthProblems.UnauthenticatedCode, "Sign in to ask for a realtime ticket."));
        }

        // A ticket is a credential: nothing on the way may keep it.
        context.Response.Headers.CacheControl = "no-store";
        var expires = context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Properties?.ExpiresUtc;
        var tickets = context.RequestServices.GetRequiredService<RealtimeTickets>();
        return TypedResults.Ok(await tickets.IssueAsync(context.User, expires, cancellationToken));
    }
}
