using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using Platform.Server.Common;
using Platform.Server.Hosting;

namespace Platform.Server.Dashboard;

/// <summary>
/// The admin dashboard (<c>Platform.Admin</c>, a Blazor WebAssembly app) at <c>/admin</c>: its static files, built
/// into the server's output by the project reference, are served by <c>MapStaticAssets</c> (fingerprinted names
/// cached as immutable, gzip and brotli variants negotiated, ETags) on a pipeline of the dashboard's own, built at its
/// first request (<see cref="UseBaasDashboard"/>); every other <c>/admin/...</c> address without a
/// file extension answers the app's <c>index.html</c> so that deep links and reloads work. <c>/admin/jobs</c> is left
/// to the jobs dashboard, and nothing here touches <c>/api</c>. Every answer under <c>/admin</c> (and the shared
/// <c>/_content</c> and <c>/_framework</c> files) carries <see cref="DashboardSecurityHeaders"/>.
/// </summary>
public static class DashboardEndpoints
{
    public const string BasePath = "/admin";

    /// <summary>The jobs dashboard's address (Hangfire): not part of the app and not answered by its fallback.</summary>
    public const string JobsPath = "/admin/jobs";

    private const string IndexFile = "admin/index.html";

    // No cache: it names the fingerprinted files of the current build, so a new release is picked up at once.
    private static IResult Index(HttpContext context, IWebHostEnvironment environment)
    {
        var file = environment.WebRootFileProvider.GetFileInfo(IndexFile);
        if (!file.Exists)
        {
            return TypedResults.Problem(
                statusCode: ProblemMapping.StatusOf(ErrorKind.NotFound),
                title: "The admin dashboard is not part of this build.",
                detail: "Build or publish Platform.Server with its Platform.Admin project reference.",
                extensions: new Dictionary<string, object?> { ["code"] = "dashboard_missing" });
        }

        context.Response.Headers.CacheControl = "no-cache";
        return Results.Stream(file.CreateReadStream(), "text/html; charset=utf-8");
    }

    // The manifests are named after the server's assembly, which is not the application name when a test assembly
    // hosts the server.
    private static readonly string ManifestPrefix = Path.Combine(AppContext.BaseDirectory, typeof(DashboardEndpoints).Assembly.GetName().Name!);

    /// <summary>
    /// Finds the dashboard's files when running from a build (<c>dotnet run</c>, tests): through the static web assets
    /// manifest, which ASP.NET Core reads by itself only in Development and only under the application's name. A
    /// published server has the files in wwwroot and no such manifest, and this does nothing.
    /// </summary>
    public static WebApplicationBuilder UseBaasDashboardAssets(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var runtimeManifest = ManifestPrefix + ".staticwebassets.runtime.json";
        var loadedByHost = builder.Environment.IsDevelopment() && File.Exists(Path.Combine(AppContext.BaseDirectory, builder.Environment.ApplicationName + ".staticwebassets.runtime.json"));
        if (!loadedByHost && File.Exists(runtimeManifest) && builder.Configuration[WebHostDefaults.StaticWebAssetsKey] is null)
        {
            builder.Configuration[WebHostDefaults.StaticWebAssetsKey] = runtimeManifest;
            StaticWebAssetsLoader.UseStaticWebAssets(builder.Environment, builder.Configuration);
        }

        return builder;
    }

    /// <summary>
    /// A published server started from another directory (<c>dotnet /srv/baas/Platform.Server.dll</c>, a service
    /// without a working directory) has its content root, and so its web root, in that directory, where there is no
    /// <c>wwwroot</c>: the dashboard's published files are then read from the <c>wwwroot</c> beside the server's
    /// assembly, as the static-assets manifest beside it already is. True when it switched.
    /// </summary>
    internal static bool UseWebRootBesideAssembly(IWebHostEnvironment environment, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var published = Path.Combine(baseDirectory, "wwwroot");
        if (environment.WebRootFileProvider.GetFileInfo(IndexFile).Exists || !File.Exists(Path.Combine(published, IndexFile)))
        {
            return false;
        }

        environment.WebRootPath = published;
        environment.WebRootFileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(published);
        return true;
    }

    /// <summary>Adds <see cref="DashboardSecurityHeaders"/>; early in the pipeline, so every dashboard answer (errors too) carries them.</summary>
    public static IApplicationBuilder UseBaasDashboardHeaders(this IApplicationBuilder app) =>
        app.UseMiddleware<DashboardSecurityHeaders>();

    /// <summary>
    /// Serves the dashboard to the requests no endpoint of the API matched under its paths (<c>/admin</c>,
    /// <c>/_content</c>, <c>/_framework</c>): from a pipeline of its own, with its own routing, built at the first
    /// such request. The static-asset endpoints (763 in a Release build: each file with its compressed variants, read
    /// from a 583 KB manifest) are then not part of the API's route table, which the first request of any kind
    /// compiles into its matcher, and are not read at all until a browser asks for the dashboard (issue 13, item 5;
    /// bench/README.md, "Memory, start-up and allocations").
    /// </summary>
    /// <remarks>
    /// After routing, authentication and authorization (none of which these files need), so the API's own endpoints
    /// (<c>/admin/jobs</c>) keep precedence and a request the dashboard does not answer still ends as a 404 problem.
    /// </remarks>
    public static IApplicationBuilder UseBaasDashboard(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.ApplicationServices;
        var pipeline = new Lazy<RequestDelegate>(() => BuildPipeline(services), LazyThreadSafetyMode.ExecutionAndPublication);
        return app.Use((context, next) =>
            context.GetEndpoint() is null && IsDashboardPath(context.Request.Path) ? pipeline.Value(context) : next(context));
    }

    /// <summary>The paths the dashboard's files and app routes live under (everything in its static-assets manifest).</summary>
    internal static bool IsDashboardPath(PathString path) =>
        path.StartsWithSegments(BasePath, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/_content", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/_framework", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The dashboard's own pipeline: routing over its static assets (fingerprinted names cached as immutable, gzip and
    /// brotli variants negotiated, ETags: <c>MapStaticAssets</c>), <c>/admin</c> and the SPA fallback. A fresh
    /// <see cref="ApplicationBuilder"/> rather than the application's: the application's carries the global route
    /// builder, and routing there would add these endpoints to the API's matcher after all.
    /// </summary>
    private static RequestDelegate BuildPipeline(IServiceProvider services)
    {
        UseWebRootBesideAssembly(services.GetRequiredService<IWebHostEnvironment>(), AppContext.BaseDirectory);
        var branch = new ApplicationBuilder(services);
        branch.UseRouting();
        branch.UseEndpoints(endpoints =>
        {
            var endpointsManifest = ManifestPrefix + ".staticwebassets.endpoints.json";
            if (File.Exists(endpointsManifest))
            {
                endpoints.MapStaticAssets(endpointsManifest);
            }

            // The app's base address is /admin/: the bare /admin is sent there so relative URLs resolve. Routing ignores a
            // trailing slash, so this one endpoint answers both and tells them apart.
            endpoints.MapGet(BasePath, (HttpContext context, IWebHostEnvironment environment) => context.Request.Path.Value!.EndsWith('/')
                    ? Index(context, environment)
                    : Results.Redirect(BasePath + "/"))
                .ExcludeFromDescription();

            // Client-side routes (/admin/outbox, /admin/setup?token=...) load the app, which routes them. Not files (a
            // missing .js stays a 404), not /admin/jobs. The fallback runs only when no other endpoint matched.
            endpoints.MapFallback(BasePath + "/{**path:nonfile:regex(^(?!jobs(/|$)).*$)}", (HttpContext context, IWebHostEnvironment environment) => Index(context, environment));
        });
        return branch.Build();
    }
}
