using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Platform.Server.Common;

namespace Platform.Server.Hosting;

/// <summary>
/// <c>Baas:Requests</c>: how long a request's target (path and query) and its headers may be. Over a limit the answer
/// is a problem+json (414 <c>uri_too_long</c>, 431 <c>headers_too_large</c>) naming the limit. Kestrel answers a
/// request over its own hard limits with a bare status before any middleware runs, so those are set to twice these
/// (<see cref="RequestHeadLimitsSetup"/>): only a request more than twice over the limit gets the bare answer.
/// </summary>
public sealed class RequestHeadLimits
{
    public const string Section = "Baas:Requests";

    /// <summary>Longest request target, the path and query string as sent, in bytes (default 8 KiB, Kestrel's own default).</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxTargetBytes { get; set; } = 8 * 1024;

    /// <summary>Longest header section: every header's name and value, plus 4 bytes each (default 32 KiB, Kestrel's own default).</summary>
    [Range(4 * 1024, 4 * 1024 * 1024)]
    public int MaxHeadersBytes { get; set; } = 32 * 1024;
}

/// <summary>Raises Kestrel's hard limits to twice <see cref="RequestHeadLimits"/>, so the middleware can answer in between.</summary>
internal sealed class RequestHeadLimitsSetup(IOptions<RequestHeadLimits> limits) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The request line is the method, the target and the version: room for those on top of the doubled target.
        options.Limits.MaxRequestLineSize = (2 * limits.Value.MaxTargetBytes) + 64;
        options.Limits.MaxRequestHeadersTotalSize = 2 * limits.Value.MaxHeadersBytes;
    }
}

/// <summary>The middleware of <see cref="RequestHeadLimits"/>: first in the pipeline, so nothing reads an over-long request.</summary>
internal static class RequestHeadLimitsMiddleware
{
    public const string UriTooLong = "uri_too_long";
    public const string HeadersTooLarge = "headers_too_large";

    public static IApplicationBuilder UseBaasRequestHeadLimits(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var limits = app.ApplicationServices.GetRequiredService<IOptions<RequestHeadLimits>>().Value;
        return app.Use(async (context, next) =>
        {
            var target = TargetBytes(context);
            if (target > limits.MaxTargetBytes)
            {
                await WriteAsync(context, ErrorKind.TargetTooLong, UriTooLong, $"The request target (path and query) is {target} bytes; at most {limits.MaxTargetBytes} are allowed.", "target", target, limits.MaxTargetBytes);
                return;
            }

            var headers = HeadersBytes(context.Request.Headers);
            if (headers > limits.MaxHeadersBytes)
            {
                await WriteAsync(context, ErrorKind.HeadersTooLarge, HeadersTooLarge, $"The request headers are {headers} bytes; at most {limits.MaxHeadersBytes} are allowed.", "headers", headers, limits.MaxHeadersBytes);
                return;
            }

            await next(context);
        });
    }

    /// <summary>The target as the client sent it (still percent-encoded); the path and query when the server has no raw form.</summary>
    internal static long TargetBytes(HttpContext context)
    {
        if (context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw)
        {
            return System.Text.Encoding.UTF8.GetByteCount(raw);
        }

        return System.Text.Encoding.UTF8.GetByteCount(context.Request.PathBase.Value + context.Request.Path.Value + context.Request.QueryString.Value);
    }

    /// <summary>Each header line as HTTP/1.1 sends it: name, ": ", value, CRLF; a repeated header counts each value.</summary>
    internal static long HeadersBytes(IHeaderDictionary headers)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                total += name.Length + 4 + System.Text.Encoding.UTF8.GetByteCount(value ?? string.Empty);
            }
        }

        return total;
    }

    private static Task WriteAsync(HttpContext context, ErrorKind kind, string code, string detail, string field, long size, int limit)
    {
        var problem = ProblemWriter.Create(kind, code, detail, field);
        problem.Extensions["size"] = size;
        problem.Extensions["limit"] = limit;
        return ProblemWriter.WriteAsync(context, problem);
    }
}

/// <summary>Checks <see cref="RequestHeadLimits"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class RequestHeadLimitsValidator : IValidateOptions<RequestHeadLimits>;
