using System.Threading.RateLimiting;
using Platform.Server.Auth;

namespace Platform.Server.RateLimiting;

/// <summary>The limiters behind <see cref="RateLimitOptions"/>, and how requests are grouped into clients.</summary>
internal static class RateLimitPartitions
{
    // Six 10-second segments: a sliding window, so a client cannot get twice the limit by straddling the
    // boundary of a fixed window, and a rejected client learns to retry within 10 s rather than a minute.
    private const int AuthSegments = 6;
    private static readonly TimeSpan AuthWindow = TimeSpan.FromMinutes(1);

    /// <summary>The remote address Kestrel saw: the proxy's, unless forwarded headers are enabled (see docs/deployment.md).</summary>
    public static string ClientAddress(HttpContext context) =>
        context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>Per signed-in identity when there is one, so clients behind one NAT do not share a budget.</summary>
    public static string ClientKey(HttpContext context) => context.User.GetBaasCaller() switch
    {
        { Kind: BaasCallerKind.Admin } caller => "admin:" + caller.Id,
        { Kind: BaasCallerKind.ServiceKey } caller => "key:" + caller.Id,
        { Kind: BaasCallerKind.User } caller => "user:" + caller.Id,
        _ => "ip:" + ClientAddress(context),
    };

    public static RateLimitPartition<string> Auth(HttpContext context, int perMinute)
    {
        if (perMinute <= 0 || !HttpMethods.IsPost(context.Request.Method))
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        return RateLimitPartition.GetSlidingWindowLimiter(ClientAddress(context), _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = perMinute,
            Window = AuthWindow,
            SegmentsPerWindow = AuthSegments,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>
    /// A token bucket holding one second's worth of requests, refilled every second: a client may spend its
    /// budget in a burst, and Retry-After tells a rejected one when the next refill comes.
    /// </summary>
    public static RateLimitPartition<string> Api(HttpContext context, int perSecond)
    {
        if (perSecond <= 0 || !context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        return RateLimitPartition.GetTokenBucketLimiter(ClientKey(context), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }
}
