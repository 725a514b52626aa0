using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using Platform.Server.Common;
using Platform.Server.Hosting;

namespace Platform.Server.Dashboard;

/// <summary>
/// The admin dashboard (<c>Platform.Admin</c>, a Blazor WebAssembly app) at <c>/admin</c>: its static files, built
/// into the server's output by the project reference, are served by <c>MapStaticAssets</c> (fingerprinted names
/// cached as immutable, gzip and brotli variants negotiated, ETags); every other <c>/admin/...</c> address without a
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

    /// <summary>Adds <see cref="DashboardSecurityHeaders"/>; early in the pipeline, so every dashboard answer (errors too) carries them.</summary>
    public static IApplicationBuilder UseBaasDashboardHeaders(this IApplicationBuilder app) =>
        app.UseMiddleware<DashboardSecurityHeaders>();

    public static IEndpointRouteBuilder MapBaasDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var endpointsManifest = ManifestPrefix + ".staticwebassets.endpoints.json";
        if (File.Exists(endpointsManifest))
        {
            app.MapStaticAssets(endpointsManifest);
        }


        // The app's base address is /admin/: the bare /admin is sent there so relative URLs resolve. Routing ignores a
        // trailing slash, so this one endpoint answers both and tells them apart.
        app.MapGet(BasePath, (HttpContext context, IWebHostEnvironment environment) => context.Request.Path.Value!.EndsWith('/')
                ? Index(context, environment)
                : Results.Redirect(BasePath + "/"))
            .ExcludeFromDescription();

        // Client-side routes (/admin/outbox, /admin/setup?token=...) load the app, which routes them. Not files (a
        // missing .js stays a 404), not /admin/jobs. The fallback runs only when no other endpoint matched.
        app.MapFallback(BasePath + "/{**path:nonfile:regex(^(?!jobs(/|$)).*$)}", (HttpContext context, IWebHostEnvironment environment) => Index(context, environment));
        return app;
    }
}
