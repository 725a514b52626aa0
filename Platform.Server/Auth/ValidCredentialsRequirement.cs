using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Platform.Server.Auth;

/// <summary>
/// For endpoints open to everyone (<see cref="BaasPolicies.AnyCaller"/>): a request without credentials passes
/// as an anonymous visitor, but credentials that are present must be valid. Without this, a bad, expired or
/// forged Bearer token (or a revoked service key) would silently become "anonymous" and get whatever rules
/// allow visitors, instead of the 401 that tells the client to sign in again.
/// </summary>
public sealed class ValidCredentialsRequirement : IAuthorizationRequirement;

internal sealed class ValidCredentialsHandler : AuthorizationHandler<ValidCredentialsRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ValidCredentialsRequirement requirement)
    {
        if (context.Resource is not HttpContext http)
        {
            return;
        }

        // The authentication middleware keeps only successful results; a failure has to be asked for again.
        // Handlers cache their result per request, so this does not validate the token twice.
        var result = await http.AuthenticateAsync();
        if (result.Failure is not null)
        {
            // Unsatisfied while unauthenticated: the middleware challenges, and the scheme answers 401.
            return;
        }

        // A valid principal that is neither an admin, a service key nor an app user is nothing this API knows.
        if (result.Succeeded && result.Principal.GetBaasCaller() is null)
        {
            return;
        }

        context.Succeed(requirement);
    }
}
