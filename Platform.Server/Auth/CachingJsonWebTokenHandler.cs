using System.Security.Claims;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Server.Auth;

/// <summary>
/// The Bearer scheme's token handler: a <see cref="JsonWebTokenHandler"/> that remembers, per node, which exact
/// token strings it has validated, so a client that sends the same access token with every request pays for
/// the signature check and claim parsing once, not per request.
/// </summary>
/// <remarks>
/// Nothing is accepted that a full validation would refuse:
/// <list type="bullet">
/// <item>only successful validations are remembered, keyed by the whole token string (any change to header,
/// payload or signature is a different key and is validated in full);</item>
/// <item>a hit is honoured only while the token's own lifetime (with <see cref="BaasTokenService.ClockSkew"/>)
/// holds on the injected clock, and only under the signing key it was validated with;</item>
/// <item>the handler serves one scheme whose validation parameters are fixed (<see cref="ConfigureJwtBearerOptions"/>),
/// so a hit stands for the same checks;</item>
/// <item>session checks (<c>OnTokenValidated</c>) run after this handler on every request, hit or not.</item>
/// </list>
/// Each hit gets its own copy of the identity, so nothing a request adds to its principal leaks into another.
/// The cache is bounded (<see cref="Capacity"/> tokens); when it is full, new tokens are validated without
/// being remembered until expired entries are compacted away.
/// </remarks>
public sealed class CachingJsonWebTokenHandler : JsonWebTokenHandler, IDisposable
{
    /// <summary>How many validated tokens a node remembers at most.</summary>
    public const int Capacity = 10_000;

    private readonly SigningKeyProvider _keys;
    private readonly TimeProvider _time;
    private readonly MemoryCache _cache;

    public CachingJsonWebTokenHandler(SigningKeyProvider keys, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(time);
        _keys = keys;
        _time = time;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = Capacity });
        MapInboundClaims = false;
    }

    /// <summary>Tokens remembered right now (for tests and diagnostics).</summary>
    public int Count => _cache.Count;

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (string.IsNullOrEmpty(token))
        {
            return await base.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
        }

        var key = _keys.Current;
        var now = _time.GetUtcNow().UtcDateTime;
        if (_cache.TryGetValue(token, out Validated? hit) && hit is not null)
        {
            if (ReferenceEquals(hit.Key, key) && hit.NotBefore <= now + BaasTokenService.ClockSkew && hit.Expires > now - BaasTokenService.ClockSkew)
            {
                return new TokenValidationResult
                {
                    IsValid = true,
                    ClaimsIdentity = hit.Identity.Clone(),
                    SecurityToken = hit.Token,
                    Issuer = hit.Issuer,
                    TokenType = hit.TokenType,
                };
            }

            _cache.Remove(token);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
        if (result.IsValid && result.SecurityToken is JsonWebToken validated && result.ClaimsIdentity is { } identity)
        {
            Remember(token, new Validated(key, identity.Clone(), validated, result.Issuer, result.TokenType, validated.ValidFrom, validated.ValidTo), now);
        }

        return result;
    }

    public void Dispose() => _cache.Dispose();

    private void Remember(string token, Validated entry, DateTime now)
    {
        // Never kept past the moment the token stops validating; the hit check above is the guarantee,
        // this only frees the memory.
        var remaining = entry.Expires + BaasTokenService.ClockSkew - now;
        if (remaining <= TimeSpan.Zero)
        {
            return;
        }

        _cache.Set(token, entry, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = remaining });
    }

    private sealed record Validated(
        SecurityKey Key,
        ClaimsIdentity Identity,
        JsonWebToken Token,
        string? Issuer,
        string? TokenType,
        DateTime NotBefore,
        DateTime Expires);
}
