using System.Net;
using System.Threading.RateLimiting;
using Platform.Server.RateLimiting;
using Platform.Server.Tests.Auth;

namespace Platform.Server.Tests.RateLimiting;

public sealed class SlidingLogRateLimiterTests
{
    private static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : throw new InvalidOperationException("no Retry-After");

    [Fact]
    public void Refusal_SaysWhenTheOldestPermitLeavesTheWindow()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var limiter = new SlidingLogRateLimiter(3, TimeSpan.FromMinutes(1), time);

        Assert.True(limiter.AttemptAcquire().IsAcquired);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        time.Advance(TimeSpan.FromSeconds(5));

        using var refused = limiter.AttemptAcquire();
        Assert.False(refused.IsAcquired);
        Assert.Equal(TimeSpan.FromSeconds(35), RetryAfter(refused));

        // Exactly then, and not before, the next request passes.
        time.Advance(TimeSpan.FromSeconds(34));
        Assert.False(limiter.AttemptAcquire().IsAcquired);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.AttemptAcquire().IsAcquired);

        // The two permits granted together at 00:20 leave together at 01:20.
        using var next = limiter.AttemptAcquire();
        Assert.False(next.IsAcquired);
        Assert.Equal(TimeSpan.FromSeconds(20), RetryAfter(next));
    }

    [Fact]
    public void IsIdle_OnlyOnceEveryPermitLeftTheWindow()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        using var limiter = new SlidingLogRateLimiter(2, TimeSpan.FromSeconds(10), time);
        limiter.AttemptAcquire().Dispose();
        Assert.Null(limiter.IdleDuration);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.NotNull(limiter.IdleDuration);
    }

    [Theory]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("203.0.113.9", "203.0.113.9")]
    public void ClientAddress_GroupsIPv6ByItsSlash64(string address, string client) =>
        Assert.Equal(client, RateLimitPartitions.ClientAddress(IPAddress.Parse(address)));
}
