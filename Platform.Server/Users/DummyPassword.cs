using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Platform.Server.Users;

/// <summary>
/// A hash of a random password, verified against whenever a sign-in has no real hash to check (unknown email,
/// account without password, locked account), so every failed sign-in costs the same time.
/// </summary>
internal sealed class DummyPassword(IOptions<PasswordHasherOptions> options)
{
    private static readonly AppUser Subject = new();
    private readonly PasswordHasher<AppUser> _hasher = new(options);
    private readonly Lazy<string> _hash = new(() => new PasswordHasher<AppUser>(options).HashPassword(Subject, Guid.NewGuid().ToString("N")));

    public void Verify(string password) => _hasher.VerifyHashedPassword(Subject, _hash.Value, password);
}
