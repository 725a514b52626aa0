using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Server.Auth;

namespace Platform.Server.Realtime;

/// <summary>Subscriptions on one collection.</summary>
/// <param name="Name">The collection.</param>
/// <param name="Subscriptions">Live subscriptions on it, on this node.</param>
public sealed record CollectionSubscriptions(string Name, int Subscriptions);

/// <summary>What one node's realtime dispatcher holds right now.</summary>
/// <param name="Connections">Open hub connections on this node.</param>
/// <param name="Subscriptions">Live subscriptions on this node.</param>
/// <param name="Collections">Subscriptions per collection (collections without any are left out), by name.</param>
public sealed record RealtimeStatistics(int Connections, int Subscriptions, IReadOnlyList<CollectionSubscriptions> Collections);

/// <summary><c>GET /api/admin/realtime</c>: this node's realtime connections and subscriptions.</summary>
public static class RealtimeAdminEndpoints
{
    public static RouteGroupBuilder MapRealtimeAdminEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/admin/realtime").WithTags("Realtime").RequireAuthorization(BaasPolicies.AdminOrService);
        group.MapGet("/", Get).WithName("GetRealtimeStatistics")
            .WithSummary("Realtime connections and subscriptions per collection, as this node sees them.")
            .WithDescription("Each node counts its own clients; behind a load balancer, ask each node.");
        return group;
    }

    internal static Ok<RealtimeStatistics> Get(HttpContext context) =>
        TypedResults.Ok(context.RequestServices.GetRequiredService<RealtimeDispatcher>().Statistics());
}
