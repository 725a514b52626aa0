using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.RateLimiting;

/// <summary><c>Baas:RateLimit</c>: abuse limits. Counters are per server node, in memory.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Baas:RateLimit";

    /// <summary>
    /// POST requests to credential endpoints (admin login and setup; <c>/api/auth</c>: sign-up, sign-in,
    /// anonymous sign-in, refresh, logout, password and verification mail) per client IP address per minute;
    /// 0 turns the limit off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int AuthPerMinute { get; set; } = 20;

    /// <summary>
    /// Requests to <c>/api/*</c> and to the realtime hub (<c>/realtime/negotiate</c>, connections) per client per second
    /// (the signed-in admin, app user or service key, else the IP address); 0 (the default) turns the limit off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int ApiPerSecond { get; set; }

    /// <summary>
    /// Realtime tickets (<c>POST /api/realtime/ticket</c>) per client IP address per minute; 0 turns the limit off. Each
    /// ticket is a record in the store until the sweep after it expires, so without a bound one signed-in caller (an
    /// anonymous sign-in is enough) could make the node write without end; a browser needs one per (re)connection.
    /// </summary>
    [Range(0, 1_000_000)]
    public int RealtimeTicketsPerMinute { get; set; } = 120;
}

/// <summary>Rate-limiting policy names, for <c>RequireRateLimiting(...)</c>.</summary>
public static class RateLimitPolicies
{
    /// <summary>
    /// Sign-in and other credential endpoints: <see cref="RateLimitOptions.AuthPerMinute"/> POST requests per
    /// client IP. Other methods on an endpoint with this policy (reading or editing the profile) are not limited.
    /// </summary>
    public const string Auth = "baas:auth";

    /// <summary>Realtime tickets: <see cref="RateLimitOptions.RealtimeTicketsPerMinute"/> POST requests per client IP.</summary>
    public const string RealtimeTickets = "baas:realtime-tickets";
}

/// <summary>Checks <see cref="RateLimitOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>;
