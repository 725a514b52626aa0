using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Server.Admin;

public enum AdminSetupOutcome
{
    Created,
    InvalidToken,
    AlreadyDone,
    EmailTaken,
}

/// <summary>
/// The one-time setup token for the first admin: generated at start-up (in memory, per node) when no admin
/// exists, accepted only while none does. Setups on a node run one at a time, so two requests holding the
/// token cannot both create a "first" admin.
/// </summary>
public sealed class AdminSetup(AdminAccountService accounts) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile string? _token;

    /// <summary>The current token, or null once an admin exists (or when one was seeded).</summary>
    public string? Token => _token;

    internal string IssueToken()
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        _token = token;
        return token;
    }

    public async Task<(AdminSetupOutcome Outcome, AdminAccount? Admin)> CreateFirstAdminAsync(
        string? token, string email, string password, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var expected = _token;
            if (expected is null || await accounts.AnyAsync(cancellationToken))
            {
                _token = null;
                return (AdminSetupOutcome.AlreadyDone, null);
            }

            if (!Matches(expected, token))
            {
                return (AdminSetupOutcome.InvalidToken, null);
            }

            var admin = await accounts.CreateAsync(email, password, createdBy: null, cancellationToken);
            if (admin is null)
            {
                return (AdminSetupOutcome.EmailTaken, null);
            }

            _token = null;
            return (AdminSetupOutcome.Created, admin);
        }
        finally
        {
            _gate.Release();
        }
    }

    // Hashing first gives equal-length inputs, so the comparison time says nothing about the token.
    private static bool Matches(string expected, string? presented) =>
        presented is not null
        && CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)),
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    public void Dispose() => _gate.Dispose();
}
