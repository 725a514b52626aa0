namespace Platform.Server.Dashboard;

/// <summary>
/// Security headers on every dashboard answer (DESIGN §10): a Content-Security-Policy that lets the WebAssembly
/// runtime start and the app call this server (HTTP and the realtime websocket) and nothing foreign; no framing;
/// no MIME sniffing; no referrer. The jobs dashboard at <see cref="DashboardEndpoints.JobsPath"/> is a different app
/// and gets its own CSP (<see cref="JobsContentSecurityPolicy"/>) with the other headers.
/// </summary>
public sealed class DashboardSecurityHeaders(RequestDelegate next)
{
    /// <summary>
    /// <c>'wasm-unsafe-eval'</c> compiles the .NET WebAssembly runtime; no other eval and no inline script.
    /// <c>style-src 'unsafe-inline'</c> because MudBlazor positions popovers and sizes components with style
    /// attributes. Fonts and images are the app's own (or data: URIs for MudBlazor's SVG icons).
    /// </summary>
    public static string ContentSecurityPolicy(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var host = request.Host.Value;
        var websocket = string.IsNullOrEmpty(host) ? string.Empty : $" {(request.IsHttps ? "wss" : "ws")}://{host}";
        return "default-src 'self'; "
            + "script-src 'self' 'wasm-unsafe-eval'; "
            + "style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; "
            + "font-src 'self'; "
            + $"connect-src 'self'{websocket}; "
            + "object-src 'none'; "
            + "base-uri 'self'; "
            + "form-action 'self'; "
            + "frame-ancestors 'none'";
    }

    /// <summary>
    /// The jobs dashboard (Hangfire's pages): its own scripts and styles from the server, inline style attributes
    /// (progress bars, charts), images as data: URIs; no eval, no inline script, nothing foreign, no framing.
    /// </summary>
    public const string JobsContentSecurityPolicy = "default-src 'self'; "
        + "script-src 'self'; "
        + "style-src 'self' 'unsafe-inline'; "
        + "img-src 'self' data:; "
        + "font-src 'self'; "
        + "connect-src 'self'; "
        + "object-src 'none'; "
        + "base-uri 'self'; "
        + "form-action 'self'; "
        + "frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path;
        if (path.StartsWithSegments(DashboardEndpoints.BasePath, StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/_content", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/_framework", StringComparison.OrdinalIgnoreCase))
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = path.StartsWithSegments(DashboardEndpoints.JobsPath, StringComparison.OrdinalIgnoreCase)
                ? JobsContentSecurityPolicy
                : ContentSecurityPolicy(context.Request);

            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
        }

        return next(context);
    }
}
