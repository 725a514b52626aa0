using Microsoft.IdentityModel.Tokens;

namespace Platform.Server.Auth;

/// <summary>
/// Holds the token signing key that <see cref="SigningKeyInitializer"/> loads at start-up. A singleton,
/// so the issuing code and the JwtBearer handler use the same key object.
/// </summary>
public sealed class SigningKeyProvider
{
    private volatile SymmetricSecurityKey? _key;

    /// <summary>The key; start-up tasks run before Kestrel starts, so a request never sees it unset.</summary>
    public SymmetricSecurityKey Current =>
        _key ?? throw new InvalidOperationException("The signing key is not loaded yet: the auth start-up task has not run.");

    internal void Set(SymmetricSecurityKey key) => _key = key;
}
