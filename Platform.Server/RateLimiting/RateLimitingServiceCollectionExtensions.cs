using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Hosting;

namespace Platform.Server.RateLimiting;

public static class RateLimitingServiceCollectionExtensions
{
    /// <summary>
    /// ASP.NET Core's rate limiter with the <c>Baas:RateLimit</c> limits: the <see cref="RateLimitPolicies.Auth"/>
    /// policy for credential endpoints, the <see cref="RateLimitPolicies.RealtimeTickets"/> policy for realtime tickets
    /// and a global per-client limiter for <c>/api/*</c>. Rejections are 429
    /// problems with <c>code: rate_limited</c> and a <c>Retry-After</c> header in seconds.
    /// </summary>
    public static IServiceCollection AddBaasRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<RateLimitOptions>()
            .Bind(configuration.GetSection(RateLimitOptions.Section))
            .ValidateWith(new RateLimitOptionsValidator())
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton<RateLimitMetrics>();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = ProblemMapping.StatusOf(ErrorKind.RateLimited);
            options.OnRejected = OnRejectedAsync;
            options.AddPolicy(RateLimitPolicies.Auth, context =>
                RateLimitPartitions.Auth(context, Limits(context).AuthPerMinute));
            options.AddPolicy(RateLimitPolicies.RealtimeTickets, context =>
                RateLimitPartitions.Auth(context, Limits(context).RealtimeTicketsPerMinute));
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartitions.Api(context, Limits(context).ApiPerSecond));
        });
        return services;
    }

    /// <summary>The rate-limiting middleware; goes after authentication, since the API limit is per signed-in client.</summary>
    public static IApplicationBuilder UseBaasRateLimiting(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseRateLimiter();
    }

    private static RateLimitOptions Limits(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        // Every limiter used here reports when a permit frees up; a whole second at least, so clients that
        // honour the header do not retry in a tight loop.
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            : 1;
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        context.RequestServices.GetRequiredService<RateLimitMetrics>().Refused();

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimitingServiceCollectionExtensions).FullName!);
        var path = context.Request.Path.Value ?? "/";
        RateLimitLog.Rejected(logger, context.Request.Method, path, retryAfter);

        var problem = ProblemWriter.Create(ErrorKind.RateLimited, "rate_limited", $"Too many requests; retry after {retryAfter} second(s).");
        problem.Extensions["retryAfter"] = retryAfter;
        await ProblemWriter.WriteAsync(context, problem);
    }
}
