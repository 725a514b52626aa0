using Hangfire.Dashboard;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// Lets a request into the Hangfire dashboard only with a valid jobs dashboard session cookie
/// (<see cref="JobsDashboardSessions"/>). Hangfire answers a refusal 401 (403 when the request carries other
/// credentials, such as an app user's token), which the server's status-code pages turn into a problem.
/// </summary>
public sealed class JobsDashboardAuthorization : IDashboardAsyncAuthorizationFilter
{
    public async Task<bool> AuthorizeAsync(DashboardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
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
