using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Dashboard;
using Platform.Server.Hosting;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// The jobs dashboard (Hangfire's) at <c>/admin/jobs</c> for admins, and <c>/api/admin/jobs/session</c>, which opens
/// (<c>POST</c>) and closes (<c>DELETE</c>) a browser's session of it (docs/functions-schedules.md).
/// </summary>
public static class JobsDashboardEndpoints
{
    public const string SessionPath = "/api/admin/jobs/session";

    public static IEndpointRouteBuilder MapJobsDashboard(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var options = routes.ServiceProvider.GetRequiredService<IOptions<ScheduleOptions>>().Value;
        if (!options.DashboardEnabled)
        {
            return routes;
        }

        // Admins only (DESIGN §9): a service key never opens it, as it may retry and delete jobs.
        var session = routes.MapGroup(SessionPath).WithTags("Functions").RequireAuthorization(BaasPolicies.Admin);
        session.MapPost("/", OpenSession).WithName("OpenJobsDashboardSession")
            .WithSummary("Sets the short-lived, HttpOnly cookie that lets this browser open the jobs dashboard at /admin/jobs (204).");
        session.MapDelete("/", CloseSession).WithName("CloseJobsDashboardSession")
            .WithSummary("Removes this browser's jobs dashboard cookie (204).");

        // Hangfire's dashboard (what MapHangfireDashboard maps), built at its first request: mapping it resolves the job
        // storage, which ScheduleHangfire opens only when something needs it (issue 13, item 5).
        var dashboard = new DashboardOptions
        {
            // Replaces Hangfire's default (local requests only) with the session check.
            Authorization = [],
            AsyncAuthorization = [new JobsDashboardAuthorization()],
            AppPath = DashboardEndpoints.BasePath + "/functions",
            DashboardTitle = "Baas jobs",
            DisplayStorageConnectionString = false,
        };
        // PublicationOnly: a failed open (MongoDB unreachable) is not remembered, so a later request tries again, as the
        // synchronizer does; each attempt builds on a branch of its own.
        var pipeline = new Lazy<RequestDelegate>(
            () =>
            {
                var branch = routes.CreateApplicationBuilder();
                return branch
                    .UseHangfireDashboard(DashboardEndpoints.JobsPath, dashboard, branch.ApplicationServices.GetRequiredService<ScheduleHangfire>().Storage)
                    .Build();
            },
            LazyThreadSafetyMode.PublicationOnly);
        routes.Map(DashboardEndpoints.JobsPath + "/{**path}", async context =>
        {
            // Refused before the dashboard is built: building it opens (on SQLite, creates) the job storage, which a
            // signed-out request must not make the server do (issue 12). The answers are Hangfire's: 401 without
            // credentials, 403 with others (a service key, an app user).
            if (!await JobsDashboardAuthorization.AllowsAsync(context))
            {
                await (context.User.Identity?.IsAuthenticated == true
                    ? AuthProblems.WriteForbiddenAsync(context)
                    : AuthProblems.WriteUnauthenticatedAsync(context, "Sign in as an admin (or open a jobs dashboard session) to see the jobs dashboard."));
                return;
            }

            // Hangfire's dashboard reads every POST (retry, delete, ...) and its stats request as a form and throws on
            // any other body, which answered 500: a client's mistake is a 415 naming the header.
            if ((HttpMethods.IsPost(context.Request.Method) || context.Request.Path.Equals(DashboardEndpoints.JobsPath + "/stats", StringComparison.OrdinalIgnoreCase))
                && !context.Request.HasFormContentType)
            {
                await WriteProblemAsync(
                    context,
                    ErrorKind.UnsupportedFormat,
                    "unsupported_media_type",
                    "The jobs dashboard takes its POSTs and stats requests as forms: Content-Type must be application/x-www-form-urlencoded.",
                    "Content-Type");
                return;
            }

            // Hangfire passes a path it has no page for on down its pipeline, whose end throws (500) for a request that
            // was routed to an endpoint, and answers 404 for one that was not: without the endpoint while it runs, such
            // a path is a 404 like any other.
            var endpoint = context.GetEndpoint();
            context.SetEndpoint(null);
            try
            {
                await pipeline.Value(context);
            }
            catch (Exception ex) when (!context.Response.HasStarted && IsMalformedJobId(ex))
            {
                // The job storage parses the id in the path (a number on SQLite, an ObjectId on MongoDB): one that
                // cannot be a job's id names no job.
                await WriteProblemAsync(context, ErrorKind.NotFound, "job_not_found", "No job has the id in this path.", field: null);
                return;
            }
            finally
            {
                context.SetEndpoint(endpoint);
            }

            if (context.Response.StatusCode == ProblemMapping.StatusOf(ErrorKind.NotFound) && !context.Response.HasStarted)
            {
                await WriteProblemAsync(context, ErrorKind.NotFound, "not_found", "The jobs dashboard has no page at this path.", field: null);
            }
        });
        return routes;
    }

    private static bool IsMalformedJobId(Exception exception) =>
        exception is FormatException || (exception is BackgroundJobClientException && exception.InnerException is FormatException);

    private static Task WriteProblemAsync(HttpContext context, ErrorKind kind, string code, string detail, string? field) =>
        ProblemWriter.WriteAsync(context, ProblemWriter.Create(kind, code, detail, field));

    private static NoContent OpenSession(HttpContext context, JobsDashboardSessions sessions)
    {
        // The Admin policy admitted only admins, so the caller is one.
        var admin = context.GetBaasCaller()!;
        var (value, expires) = sessions.Issue(admin);
        context.Response.Cookies.Append(JobsDashboardSessions.CookieName, value, JobsDashboardSessions.CookieOptions(context.Request, expires));
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.NoContent();
    }

    private static NoContent CloseSession(HttpContext context)
    {
        context.Response.Cookies.Delete(JobsDashboardSessions.CookieName, JobsDashboardSessions.CookieOptions(context.Request, DateTimeOffset.UnixEpoch));
        return TypedResults.NoContent();
    }
}
