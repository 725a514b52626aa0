namespace Platform.Server.Hosting;

/// <summary>
/// HEAD is GET without the body (RFC 9110, section 9.3.2): the same status and headers (an <c>ETag</c>, a 304 for a
/// matching <c>If-None-Match</c>, a 404 for a missing document). Minimal APIs map GET only, so without this every
/// HEAD fell through to a 404. It runs before routing and hands the request on as a GET whose body goes nowhere;
/// Kestrel still knows the request was a HEAD and sends no body. Routing knows nothing of that, so its 405 answers
/// named GET alone in <c>Allow</c>: <see cref="UseBaasStatusCodePages"/> adds HEAD beside it.
/// </summary>
internal static class HeadRequests
{
    /// <summary>
    /// The status-code pages (a problem+json for an error answered without a body, such as routing's 405), which first
    /// list HEAD in an <c>Allow</c> header that has GET: the 405 is the only bodiless answer that carries one, so no
    /// other request pays for it.
    /// </summary>
    public static IApplicationBuilder UseBaasStatusCodePages(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = new StatusCodePagesOptions();
        var writeProblem = options.HandleAsync;
        options.HandleAsync = context =>
        {
            AddHeadToAllow(context.HttpContext.Response.Headers);
            return writeProblem(context);
        };
        return app.UseStatusCodePages(options);
    }

    /// <summary>Adds HEAD after GET in <c>Allow</c> when GET is there and HEAD is not.</summary>
    internal static void AddHeadToAllow(IHeaderDictionary headers)
    {
        var allow = headers.Allow.ToString();
        if (allow.Length == 0)
        {
            return;
        }

        var methods = allow.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        var get = methods.FindIndex(HttpMethods.IsGet);
        if (get >= 0 && !methods.Exists(HttpMethods.IsHead))
        {
            methods.Insert(get + 1, HttpMethods.Head);
            headers.Allow = string.Join(", ", methods);
        }
    }

    public static IApplicationBuilder UseBaasHeadRequests(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use(static async (context, next) =>
        {
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await next(context);
                return;
            }

            var body = context.Response.Body;
            context.Request.Method = HttpMethods.Get;
            context.Response.Body = Stream.Null;
            try
            {
                await next(context);
            }
            finally
            {
                context.Request.Method = HttpMethods.Head;
                context.Response.Body = body;
            }
        });
    }
}
