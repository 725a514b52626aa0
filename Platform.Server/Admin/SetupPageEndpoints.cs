using System.Reflection;

namespace Platform.Server.Admin;

/// <summary>
/// <c>/admin/setup</c>: the page the first-start link opens, so the first admin can be created from a
/// browser. Static, self-contained, and locked down with a strict Content-Security-Policy.
/// </summary>
public static class SetupPageEndpoints
{
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static RouteGroupBuilder MapSetupPageEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var group = routes.MapGroup("/admin").ExcludeFromDescription();
        group.MapGet("/setup", () => Asset("setup.html", "text/html; charset=utf-8"));
        group.MapGet("/setup.js", () => Asset("setup.js", "text/javascript; charset=utf-8"));
        group.MapGet("/setup.css", () => Asset("setup.css", "text/css; charset=utf-8"));
        group.AddEndpointFilter(async (context, next) =>
        {
            var headers = context.HttpContext.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            return await next(context);
        });
        return group;
    }

    private static IResult Asset(string name, string contentType)
    {
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Platform.Server.Admin.SetupPage.{name}")
            ?? throw new InvalidOperationException($"Embedded asset {name} is missing from the build.");
        return Results.Stream(stream, contentType);
    }
}
