using Platform.Sdk;

namespace Platform.Admin.Services;

/// <summary>Sign-in, first-admin setup and sign-out, through the SDK.</summary>
public class AdminAuth
{
    private readonly BaasClient _client;
    private readonly DashboardSession _session;

    public AdminAuth(BaasClient client, DashboardSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _client = client;
        _session = session;

        // An expired token is dropped from the SDK client too, so nothing keeps sending it.
        session.Changed += (_, change) =>
        {
            if (change == SessionChange.Expired)
            {
                _client.Admin.SignOut();
            }
        };
    }

    public DashboardSession Session => _session;

    /// <exception cref="BaasException">401 <c>invalid_credentials</c>, 401 <c>locked_out</c>, 429 when rate limited.</exception>
    public virtual async Task SignInAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        var session = await _client.Admin.SignInAsync(email, password, cancellationToken);
        _session.Start(session);
    }

    /// <exception cref="BaasException">403 <c>invalid_setup_token</c>, 409 <c>setup_completed</c>, 400 with a field.</exception>
    public virtual async Task SetupAsync(string setupToken, string email, string password, CancellationToken cancellationToken = default)
    {
        var session = await _client.Admin.SetupAsync(setupToken, email, password, cancellationToken);
        _session.Start(session);
    }

    /// <summary>
    /// Forgets the token (SDK client and session). Admin tokens are stateless JWTs and the server has no admin
    /// sign-out endpoint, so a copied token stays valid until it expires (<c>Baas:Auth:AccessTokenLifetime</c>).
    /// </summary>
    public virtual void SignOut()
    {
        _client.Admin.SignOut();
        _session.End(SessionChange.SignedOut);
    }
}
