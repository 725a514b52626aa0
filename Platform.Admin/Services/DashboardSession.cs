using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>Why the dashboard session changed.</summary>
public enum SessionChange
{
    SignedIn,
    SignedOut,

    /// <summary>The server refused the admin token (expired, or the account is gone): sign in again.</summary>
    Expired,
}

/// <summary>
/// Who is signed in to this tab. The admin token lives only here and in the SDK client (memory of this tab):
/// never in a URL, a log, localStorage or sessionStorage, so closing or reloading the tab signs out.
/// </summary>
public sealed class DashboardSession
{
    private readonly Lock _gate = new();
    private string? _token;

    /// <summary>Raised after every sign-in, sign-out and expiry.</summary>
    public event EventHandler<SessionChange>? Changed;

    /// <summary>The signed-in admin, or null.</summary>
    public AdminAccount? Admin { get; private set; }

    public bool IsSignedIn => Admin is not null;

    internal void Start(AdminSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            _token = session.AccessToken;
            Admin = session.Admin;
        }

        Changed?.Invoke(this, SessionChange.SignedIn);
    }

    internal void End(SessionChange reason)
    {
        lock (_gate)
        {
            if (_token is null)
            {
                return;
            }

            _token = null;
            Admin = null;
        }

        Changed?.Invoke(this, reason);
    }

    /// <summary>Whether <paramref name="token"/> is the token of the current session (a 401 for an older one means nothing).</summary>
    internal bool IsCurrentToken(string token)
    {
        lock (_gate)
        {
            return _token is not null && string.Equals(_token, token, StringComparison.Ordinal);
        }
    }
}
