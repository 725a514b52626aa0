using System.Diagnostics.Metrics;

namespace Platform.Server.RateLimiting;

/// <summary>The rate limiter's instrument on the <c>Baas</c> meter: requests refused with 429.</summary>
internal sealed class RateLimitMetrics
{
    public const string MeterName = "Baas";

    private readonly Counter<long> _refusals;

    public RateLimitMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _refusals = meter.CreateCounter<long>("baas.rate_limit.refusals", "{request}", "Requests refused with 429 rate_limited (the per-IP auth limit or the per-client API limit).");
    }

    public void Refused() => _refusals.Add(1);
}
