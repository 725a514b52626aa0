using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// Sessions of the jobs dashboard at <c>/admin/jobs</c>. A browser cannot send a Bearer header when it navigates, so an
/// admin's API call mints a short-lived cookie (<see cref="CookieName"/>: HttpOnly, SameSite=Strict, Secure over HTTPS,
/// path <c>/admin/jobs</c>) whose value is a Data-Protection-protected payload naming the admin, the admin's session
/// and the expiry. Every dashboard request re-checks it against the admin account (<see cref="CallerSessions"/>), so
/// disabling the admin or signing out ends it.
/// </summary>
public sealed class JobsDashboardSessions(
    IDataProtectionProvider dataProtection,
    CallerSessions sessions,
    IOptions<ScheduleOptions> options,
    TimeProvider time)
{
    public const string CookieName = "baas_jobs";

    private readonly IDataProtector _protector = dataProtection.CreateProtector("Baas.Functions.JobsDashboard.v1");

    private sealed record Payload(string Sub, string? Sid, long Exp);

    /// <summary>Mints the cookie value for <paramref name="admin"/>, valid for <see cref="ScheduleOptions.DashboardSessionLifetime"/>.</summary>
    public (string Value, DateTimeOffset Expires) Issue(BaasCaller admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        if (admin.Kind != BaasCallerKind.Admin)
        {
            throw new ArgumentException("Only admins open the jobs dashboard.", nameof(admin));
        }

        var expires = time.GetUtcNow() + options.Value.DashboardSessionLifetime;
        var payload = JsonSerializer.Serialize(new Payload(admin.Id, admin.SessionId, expires.ToUnixTimeMilliseconds()));
        return (_protector.Protect(payload), expires);
    }

    /// <summary>The admin a cookie value stands for while it is unexpired and the admin's session is still valid; else null with why.</summary>
    public async Task<(BaasCaller? Admin, string? Refusal)> ValidateAsync(string? value, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(value))
        {
            return (null, "no jobs dashboard session");
        }

        Payload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(_protector.Unprotect(value));
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException or FormatException)
        {
            return (null, "the jobs dashboard session is not valid");
        }

        if (payload is null || string.IsNullOrEmpty(payload.Sub))
        {
            return (null, "the jobs dashboard session is not valid");
        }

        if (DateTimeOffset.FromUnixTimeMilliseconds(payload.Exp) <= time.GetUtcNow())
        {
            return (null, "the jobs dashboard session expired at " + DateTimeOffset.FromUnixTimeMilliseconds(payload.Exp).ToString("O", CultureInfo.InvariantCulture));
        }

        var admin = new BaasCaller(BaasCallerKind.Admin, payload.Sub, DisplayName: null) { SessionId = payload.Sid };
        return await sessions.IsActiveAsync(admin, fresh: false, cancellationToken)
            ? (admin, null)
            : (null, "the admin signed out or was disabled");
    }

    /// <summary>The cookie's attributes: HttpOnly, SameSite=Strict, Secure over HTTPS, scoped to the dashboard's path.</summary>
    public static CookieOptions CookieOptions(HttpRequest request, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new CookieOptions
        {
            HttpOnly = true,
            Secure = request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = Dashboard.DashboardEndpoints.JobsPath,
            Expires = expires,
            IsEssential = true,
        };
    }
}
