using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Server.Auth;

/// <summary>An issued access token and its lifetime in whole seconds (the <c>expiresIn</c> of responses).</summary>
public sealed record IssuedToken(string AccessToken, int ExpiresIn);

/// <summary>What an app-user access token says about its user.</summary>
public sealed record UserTokenSubject(string UserId, string? Email, IReadOnlyList<string> Roles, bool Anonymous, bool EmailVerified, string? SessionId);

/// <summary>
/// Issues and validates the server's JWTs. The JwtBearer scheme validates with the very
/// <see cref="CreateValidationParameters"/> used here, so what the unit tests pin is what requests get.
/// </summary>
public sealed class BaasTokenService(SigningKeyProvider keys, IOptions<AuthOptions> options, TimeProvider time)
{
    /// <summary>Tolerance for clocks of different nodes (DESIGN.md section 6: at most 30 s).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false, MapInboundClaims = false };

    /// <summary>
    /// An admin access token: audience <c>baas-admin</c>, <c>sub</c> = admin id, role <c>admin</c>, and <c>sid</c> = the
    /// account's token stamp when it has one (signing out replaces the stamp, which ends the token).
    /// </summary>
    public IssuedToken IssueAdminToken(string adminId, string email, string? tokenStamp = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(adminId);
        ArgumentException.ThrowIfNullOrEmpty(email);
        var lifetime = options.Value.AdminTokenLifetime;
        var claims = new Dictionary<string, object>
        {
            [BaasClaimTypes.Subject] = adminId,
            [BaasClaimTypes.Role] = BaasRoles.Admin,
            [BaasClaimTypes.Email] = email,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        };
        if (!string.IsNullOrEmpty(tokenStamp))
        {
            claims[BaasClaimTypes.SessionId] = tokenStamp;
        }

        return new IssuedToken(Issue(BaasAudiences.Admin, claims, lifetime), (int)lifetime.TotalSeconds);
    }

    /// <summary>
    /// An app user's access token: audience <c>baas-user</c>, <c>sub</c> = user id, the user's roles as
    /// <c>roles</c> claims (never <c>role</c>, which marks admins and service keys), <c>anon</c>,
    /// <c>email_verified</c>, and <c>sid</c> = the session it belongs to. Lifetime: <c>AccessTokenLifetime</c>.
    /// </summary>
    public IssuedToken IssueUserToken(UserTokenSubject user)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentException.ThrowIfNullOrEmpty(user.UserId);
        var lifetime = options.Value.AccessTokenLifetime;
        var claims = new Dictionary<string, object>
        {
            [BaasClaimTypes.Subject] = user.UserId,
            [BaasClaimTypes.UserRoles] = user.Roles.ToArray(),
            [BaasClaimTypes.Anonymous] = user.Anonymous,
            [BaasClaimTypes.EmailVerified] = user.EmailVerified,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        };
        if (!string.IsNullOrEmpty(user.Email))
        {
            claims[BaasClaimTypes.Email] = user.Email;
        }

        if (!string.IsNullOrEmpty(user.SessionId))
        {
            claims[BaasClaimTypes.SessionId] = user.SessionId;
        }

        return new IssuedToken(Issue(BaasAudiences.User, claims, lifetime), (int)lifetime.TotalSeconds);
    }

    private string Issue(string audience, Dictionary<string, object> claims, TimeSpan lifetime)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(keys.Current, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>
    /// Validation pinned to this server: its issuer, the given audiences, HS256 with the persisted key
    /// only (unsigned, otherwise signed and foreign-key tokens fail), a required expiry checked against the
    /// injected clock with <see cref="ClockSkew"/>.
    /// </summary>
    public TokenValidationParameters CreateValidationParameters(params string[] audiences)
    {
        ArgumentOutOfRangeException.ThrowIfZero(audiences.Length);
        return new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = options.Value.Issuer,
            ValidateAudience = true,
            ValidAudiences = audiences,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            // Resolved per token, not captured: the key is loaded by a start-up task after options are built.
            IssuerSigningKeyResolver = (_, _, _, _) => [keys.Current],
            TryAllIssuerSigningKeys = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = ValidateLifetime,
            NameClaimType = BaasClaimTypes.Subject,
            RoleClaimType = BaasClaimTypes.Role,
        };
    }

    /// <summary>Validates a token as the Bearer scheme would; for callers outside the HTTP pipeline (and tests).</summary>
    public async Task<ClaimsPrincipal?> ValidateAsync(string token, params string[] audiences)
    {
        var result = await _handler.ValidateTokenAsync(token, CreateValidationParameters(audiences));
        return result.IsValid ? new ClaimsPrincipal(result.ClaimsIdentity) : null;
    }

    // Library default validation reads the system clock; this one reads the injected TimeProvider so
    // tests (and any deliberately shifted clock) decide what "now" is.
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        if (expires is null)
        {
            return false;
        }

        var now = time.GetUtcNow().UtcDateTime;
        return (notBefore is null || notBefore.Value <= now + ClockSkew) && expires.Value > now - ClockSkew;
    }
}
