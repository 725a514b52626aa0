using System.Security.Claims;

namespace Platform.Server.Auth;

public enum BaasCallerKind
{
    Admin,
    ServiceKey,
    User,
}

/// <summary>
/// Who made a request: an admin (id = admin id), a service key (id = key id) or an app user (id = user id,
/// with what rules see of them). Anonymous visitors have no caller at all.
/// </summary>
public sealed record BaasCaller(BaasCallerKind Kind, string Id, string? DisplayName)
{
    /// <summary>An app user's email (null for anonymous users and non-users).</summary>
    public string? Email { get; init; }

    /// <summary>An app user's roles; empty for non-users.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>True for an app user who signed in anonymously.</summary>
    public bool Anonymous { get; init; }

    /// <summary>True when the app user's email is verified.</summary>
    public bool EmailVerified { get; init; }

    /// <summary>
    /// The session the token belongs to, when it names one: an app user's refresh-token family, or an admin
    /// account's token stamp.
    /// </summary>
    public string? SessionId { get; init; }

    /// <summary>Admins and service keys: full access, rules do not apply.</summary>
    public bool Privileged => Kind is BaasCallerKind.Admin or BaasCallerKind.ServiceKey;
}

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
            return new BaasCaller(BaasCallerKind.Admin, id, user.FindFirst(BaasClaimTypes.Email)?.Value)
            {
                SessionId = user.FindFirst(BaasClaimTypes.SessionId)?.Value,
            };
        }

        if (user.HasClaim(BaasClaimTypes.Role, BaasRoles.Service))
        {
            return new BaasCaller(BaasCallerKind.ServiceKey, id, user.FindFirst(BaasClaimTypes.Name)?.Value);
        }

        // Only a token minted for app users is one: the audience was validated against the allowed list, and
        // an app-user token is the only kind without a role claim.
        if (user.HasClaim("aud", BaasAudiences.User) && !user.HasClaim(c => c.Type == BaasClaimTypes.Role))
        {
            var email = user.FindFirst(BaasClaimTypes.Email)?.Value;
            return new BaasCaller(BaasCallerKind.User, id, email)
            {
                Email = email,
                Roles = [.. user.FindAll(BaasClaimTypes.UserRoles).Select(c => c.Value)],
                Anonymous = user.HasClaim(BaasClaimTypes.Anonymous, "true"),
                EmailVerified = user.HasClaim(BaasClaimTypes.EmailVerified, "true"),
                SessionId = user.FindFirst(BaasClaimTypes.SessionId)?.Value,
            };
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
