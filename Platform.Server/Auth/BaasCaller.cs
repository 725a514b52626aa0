using System.Security.Claims;

namespace Platform.Server.Auth;

public enum BaasCallerKind
{
    Admin,
    ServiceKey,
}

/// <summary>Who made a request: an admin (id = admin id) or a service key (id = key id).</summary>
public sealed record BaasCaller(BaasCallerKind Kind, string Id, string? DisplayName);

public static class BaasCallerExtensions
{
    /// <summary>The authenticated caller, or null for anonymous requests (and principals this server did not make).</summary>
    public static BaasCaller? GetBaasCaller(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var id = user.FindFirst(BaasClaimTypes.Subject)?.Value;
        if (string.IsNullOrEmpty(id) || user.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        if (user.HasClaim(BaasClaimTypes.Role, BaasRoles.Admin))
        {
            return new BaasCaller(BaasCallerKind.Admin, id, user.FindFirst(BaasClaimTypes.Email)?.Value);
        }

        if (user.HasClaim(BaasClaimTypes.Role, BaasRoles.Service))
        {
            return new BaasCaller(BaasCallerKind.ServiceKey, id, user.FindFirst(BaasClaimTypes.Name)?.Value);
        }

        return null;
    }

    /// <inheritdoc cref="GetBaasCaller(ClaimsPrincipal)"/>
    public static BaasCaller? GetBaasCaller(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.User.GetBaasCaller();
    }
}
