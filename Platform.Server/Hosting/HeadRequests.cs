namespace Platform.Server.Hosting;

/// <summary>
/// HEAD is GET without the body (RFC 9110, section 9.3.2): the same status and headers (an <c>ETag</c>, a 304 for a
/// matching <c>If-None-Match</c>, a 404 for a missing document). Minimal APIs map GET only, so without this every
/// HEAD fell through to a 404 while the 405 answers of the same paths listed HEAD in <c>Allow</c>. It runs before
/// routing and hands the request on as a GET whose body goes nowhere; Kestrel still knows the request was a HEAD and
/// sends no body.
/// </summary>
internal static class HeadRequests
{
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
