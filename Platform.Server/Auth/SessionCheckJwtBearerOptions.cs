using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Platform.Server.Auth;

/// <summary>
/// Makes the Bearer scheme refuse an access token whose session has ended, through <see cref="CallerSessions"/>: an
/// app user's (logout, refresh-token reuse, password reset, a disabled or deleted user) or an admin's (sign-out, a
/// disabled admin). Chains whatever <c>OnTokenValidated</c> was configured before.
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

            if (context.Principal.GetBaasCaller() is { Kind: BaasCallerKind.User or BaasCallerKind.Admin } caller)
            {
                var sessions = context.HttpContext.RequestServices.GetRequiredService<CallerSessions>();
                if (!await sessions.IsActiveAsync(caller, fresh: false, context.HttpContext.RequestAborted))
                {
                    context.Fail("The session of this access token has ended.");
                }
            }
        };
    }
}
