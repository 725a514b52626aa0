using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Server.Auth;
using Platform.Server.Common;

namespace Platform.Server.Email;

public static class OutboxEndpoints
{
    /// <summary><c>GET /api/admin/outbox</c>: the mail the server kept instead of sending (admins and service keys).</summary>
    public static RouteGroupBuilder MapOutboxEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/api/admin/outbox")
            .WithTags("Outbox")
            .RequireAuthorization(BaasPolicies.AdminOrService);

        group.MapGet("/", ListAsync)
            .WithName("ListOutbox")
            .WithSummary("List outbox messages, newest first")
            .WithDescription("Mail is kept here when no SMTP server is configured (Baas:Email:Smtp:Host); only the newest Baas:Email:OutboxLimit messages are kept.");

        return group;
    }

    internal static async Task<Ok<OutboxPage>> ListAsync(
        string? limit,
        string? cursor,
        EmailOutbox outbox,
        CancellationToken cancellationToken)
    {
        var size = EmailOutbox.DefaultPageSize;
        if (limit is not null && !int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size))
        {
            throw new InvalidInputException("invalid_limit", "limit must be an integer.", "limit");
        }

        return TypedResults.Ok(await outbox.ListAsync(size, string.IsNullOrEmpty(cursor) ? null : cursor, cancellationToken));
    }
}
