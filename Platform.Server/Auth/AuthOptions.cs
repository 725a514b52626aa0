using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Server.Auth;

/// <summary><c>Baas:Auth</c>: token issuing and service-key lookups.</summary>
public sealed class AuthOptions
{
    public const string Section = "Baas:Auth";

    /// <summary>The <c>iss</c> of every token this server issues and the only issuer it accepts.</summary>
    [Required]
    [RegularExpression(@"^\S{1,200}$")]
    public string Issuer { get; set; } = "baas";

    /// <summary>Lifetime of app-user access tokens.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long an app user's refresh token stays usable. Each refresh returns a new one with a fresh lifetime,
    /// so a session lasts as long as it is refreshed at least this often.
    /// </summary>
    [Range(typeof(TimeSpan), "00:05:00", "365.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Lifetime of admin access tokens (there is no refresh token for admins: they sign in again).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan AdminTokenLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// How long a node keeps a verified service key in memory. Revoking a key takes effect at once on the
    /// node that revoked it and within this time on the others.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most answers a node keeps in its authentication cache: service-key lookups, app-user and admin session
    /// checks, ended sessions (issue 13, item 5: every cache has a size bound). At the bound, a compaction removes the
    /// least recently used entries; an answer not in the cache is read from the store, so the bound costs reads, never
    /// correctness.
    /// </summary>
    [Range(1_000, 10_000_000)]
    public int CacheEntries { get; set; } = 50_000;
}

/// <summary>Checks <see cref="AuthOptions"/>'s DataAnnotations with code generated at build time (<see cref="Hosting.OptionsValidation"/>).</summary>
[OptionsValidator]
internal sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>;
