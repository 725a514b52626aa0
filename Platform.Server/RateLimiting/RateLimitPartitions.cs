using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Platform.Server.Auth;

namespace Platform.Server.RateLimiting;

/// <summary>The limiters behind <see cref="RateLimitOptions"/>, and how requests are grouped into clients.</summary>
internal static class RateLimitPartitions
{
    // A sliding window, so a client cannot get twice the limit by straddling the boundary of a fixed window.
    private static readonly TimeSpan AuthWindow = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The remote address Kestrel saw (the proxy's, unless forwarded headers are enabled, see
    /// docs/deployment.md), as a client: an IPv6 address stands for its /64, since one host usually holds a
    /// whole /64 and could otherwise take a fresh budget per address.
    /// </summary>
    public static string ClientAddress(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ClientAddress(context.Connection.RemoteIpAddress);
    }

    /// <summary>See <see cref="ClientAddress(HttpContext)"/>.</summary>
    public static string ClientAddress(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>Per signed-in identity when there is one, so clients behind one NAT do not share a budget.</summary>
    public static string ClientKey(HttpContext context) => context.User.GetBaasCaller() switch
    {
        { Kind: BaasCallerKind.Admin } caller => "admin:" + caller.Id,
        { Kind: BaasCallerKind.ServiceKey } caller => "key:" + caller.Id,
        { Kind: BaasCallerKind.User } caller => "user:" + caller.Id,
        _ => "ip:" + ClientAddress(context),
    };

    /// <summary>
    /// <paramref name="perMinute"/> POST requests per client IP address in any minute (a sliding log); other methods and
    /// a limit of 0 are not limited. Used by the credential endpoints and by realtime tickets, each policy with its own
    /// partitions.
    /// </summary>
    public static RateLimitPartition<string> Auth(HttpContext context, int perMinute)
    {
        if (perMinute <= 0 || !HttpMethods.IsPost(context.Request.Method))
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        return RateLimitPartition.Get(ClientAddress(context), _ => new SlidingLogRateLimiter(perMinute, AuthWindow, time));
    }

    /// <summary>
    /// A token bucket holding one second's worth of requests, refilled every second: a client may spend its
    /// budget in a burst, and Retry-After tells a rejected one when the next refill comes. It covers <c>/api</c> and the
    /// realtime hub's requests (<c>/realtime/negotiate</c>, the connection itself): a signed-out caller could otherwise
    /// negotiate without bound, and each negotiation holds a pending connection on the node until it times out.
    /// </summary>
    public static RateLimitPartition<string> Api(HttpContext context, int perSecond)
    {
        if (perSecond <= 0
            || !(context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
                || context.Request.Path.StartsWithSegments(BaasAuthSchemes.QueryCredentialsPath, StringComparison.OrdinalIgnoreCase)))
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
