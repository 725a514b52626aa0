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
    /// Signs out: this tab forgets the session at once (the layout goes to sign-in), then the server is told
    /// (<c>POST /api/admin/auth/logout</c>), which ends every token of this admin, in every tab and browser, and closes
    /// its realtime connections. Forgetting alone would leave a token copied out of the browser valid until it expires
    /// (<c>Baas:Auth:AdminTokenLifetime</c>, 8 hours by default). The SDK forgets the token whatever the server answers.
    /// </summary>
    /// <returns>
    /// False when the server could not be told (unreachable, or an error other than 401): the token then stays valid
    /// until it expires, which the caller should say. A 401 means the token had ended already.
    /// </returns>
    public virtual async Task<bool> SignOutAsync(CancellationToken cancellationToken = default)
    {
        // The session ends first, so the logout call's own 401 (a token that had ended already) is not read as an
        // expiry of the current session, and the page leaves the data at once instead of after a round trip.
        _session.End(SessionChange.SignedOut);
        try
        {
            await _client.Admin.SignOutAsync(cancellationToken);
            return true;
        }
        catch (BaasException ex) when (ex.Status == 401)
        {
            return true;
        }
        catch (BaasException)
        {
            return false;
        }
    }
}
