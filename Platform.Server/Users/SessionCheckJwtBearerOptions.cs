using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;

namespace Platform.Server.Users;

/// <summary>
/// Makes the Bearer scheme refuse an app-user access token whose session has ended (logout, refresh-token reuse,
/// password reset, a disabled or deleted user), through <see cref="SessionGuard"/>. Chains whatever
/// <c>OnTokenValidated</c> was configured before.
/// </summary>
internal sealed class SessionCheckJwtBearerOptions : IPostConfigureOptions<JwtBearerOptions>
{
    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        if (name != BaasAuthSchemes.Bearer)
        {
            return;
        }

        options.Events ??= new JwtBearerEvents();
        var previous = options.Events.OnTokenValidated;
        options.Events.OnTokenValidated = async context =>
        {
            await previous(context);
            if (context.Result is not null || context.Principal is null)
            {
                return;
            }

            if (context.Principal.GetBaasCaller() is { Kind: BaasCallerKind.User, SessionId: { } sessionId } caller)
            {
                var guard = context.HttpContext.RequestServices.GetRequiredService<SessionGuard>();
                if (!await guard.IsActiveAsync(caller.Id, sessionId, context.HttpContext.RequestAborted))
                {
                    context.Fail("The session of this access token has ended.");
                }
            }
        };
    }
}
