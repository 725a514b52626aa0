using Hangfire.Dashboard;
using Platform.Server.Auth;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// Lets a request into the Hangfire dashboard only with a valid jobs dashboard session cookie
/// (<see cref="JobsDashboardSessions"/>) or an admin's Bearer token. Hangfire answers a refusal 401 (403 when the request carries other
/// credentials, such as an app user's token), which the server's status-code pages turn into a problem.
/// </summary>
public sealed class JobsDashboardAuthorization : IDashboardAsyncAuthorizationFilter
{
    // Set on a request that AllowsAsync admitted, so Hangfire's own check does not validate the session a second time.
    private static readonly object Admitted = new();

    public Task<bool> AuthorizeAsync(DashboardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        return http.Items.ContainsKey(Admitted) ? Task.FromResult(true) : AllowsAsync(http);
    }

    /// <summary>
    /// Whether <paramref name="http"/> may see the dashboard; the endpoint asks before it builds the dashboard, which opens
    /// the job storage, so a refused request never makes the server open (or create) it (issue 12).
    /// </summary>
    public static async Task<bool> AllowsAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (await IsAdminAsync(http))
        {
            http.Items[Admitted] = true;
            return true;
        }

        return false;
    }

    private static async Task<bool> IsAdminAsync(HttpContext http)
    {
        // An admin's own Bearer token (already validated, session included, by authentication) opens it too: that is
        // how a script or an HTTP client reaches it; browsers, which cannot send the header when they navigate, use
        // the cookie. Service keys never do (admins only).
        if (http.GetBaasCaller() is { Kind: BaasCallerKind.Admin })
        {
            return true;
        }

        var sessions = http.RequestServices.GetRequiredService<JobsDashboardSessions>();
        var (admin, refusal) = await sessions.ValidateAsync(http.Request.Cookies[JobsDashboardSessions.CookieName], http.RequestAborted);
        if (admin is null)
        {
            ScheduleLog.DashboardRefused(http.RequestServices.GetRequiredService<ILogger<JobsDashboardAuthorization>>(), refusal ?? "refused");
            return false;
        }

        return true;
    }
}
