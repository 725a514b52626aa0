using System.Text.Json.Nodes;
using Platform.Sdk.Admin;
using Platform.Sdk.Http;

namespace Platform.Sdk.Auth;

/// <summary>
/// App-user sign-in (<c>/api/auth</c>): sign-up, sign-in (email and password, or anonymous), sign-out, the current
/// user and profile, password reset and email verification. Get it from <see cref="BaasClient.Auth"/>.
/// </summary>
/// <remarks>
/// <para>While a user is signed in, every call of the client sends their access token, unless the client has a
/// service key (<see cref="BaasClientOptions.ApiKey"/>) or an admin signed in (<c>Admin.SignInAsync</c>): those
/// win for ordinary calls. The calls of this class about the signed-in user always send the user's token.</para>
/// <para>The access token is refreshed shortly before it expires (on the next call that needs it) and once when the
/// server refuses it with 401. Concurrent calls share one refresh. When the server refuses the refresh token
/// (expired, revoked, reused, user disabled) the user is signed out and <see cref="AuthStateChanged"/> says so; when
/// the server cannot be reached the session is kept and the call fails with a <see cref="BaasException"/>.</para>
/// </remarks>
public class BaasAuthClient : IUserTokenSource
{
    /// <summary>How long before expiry the access token is refreshed: covers a slow request and a little clock drift.</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(30);

    private readonly BaasTransport _transport;
    private readonly IBaasTokenStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private BaasSession? _session;
    private bool _loaded;
    private Task? _loading;
    private Task<BaasSession?>? _refreshing;

    internal BaasAuthClient(BaasTransport transport, IBaasTokenStore store, TimeProvider time)
    {
        _transport = transport;
        _store = store;
        _time = time;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected BaasAuthClient()
    {
        _transport = null!;
        _store = null!;
        _time = TimeProvider.System;
    }

    /// <summary>
    /// Raised after a sign-in, sign-out (also when the session ends because its refresh token was refused), token
    /// refresh and profile change, on the thread that made the change. Handlers should be quick.
    /// </summary>
    public event EventHandler<BaasAuthStateChangedEventArgs>? AuthStateChanged;

    /// <summary>
    /// The signed-in user as last seen, without a request; null when signed out, and until a session kept in a
    /// persistent <see cref="IBaasTokenStore"/> is loaded (by <see cref="RestoreAsync"/> or any call).
    /// </summary>
    public virtual BaasUser? CurrentUser => Volatile.Read(ref _session)?.User;

    /// <summary>Loads the session from the token store (once; later calls answer at once).</summary>
    /// <param name="cancellationToken">Cancels the wait (the load itself goes on).</param>
    /// <returns>The signed-in user, or null.</returns>
    public virtual async Task<BaasUser?> RestoreAsync(CancellationToken cancellationToken = default)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        return CurrentUser;
    }

    /// <summary>
    /// Creates an account and signs it in. When an anonymous user is signed in, their account is upgraded instead
    /// (same id, same data).
    /// </summary>
    /// <param name="email">The email address.</param>
    /// <param name="password">The password (the server's password rules apply).</param>
    /// <param name="data">Optional profile data.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The signed-in user.</returns>
    /// <exception cref="BaasException">409 <c>email_taken</c>; 400 <c>validation_failed</c> for a bad email or weak password.</exception>
    public virtual async Task<BaasUser> SignUpAsync(string email, string password, JsonObject? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrEmpty(password);
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var body = new JsonObject { ["email"] = email, ["password"] = password };
        if (data is not null)
        {
            body["data"] = data.DeepClone();
        }

        var upgrade = CurrentUser?.Anonymous == true;
        var request = new BaasRequest(HttpMethod.Post, BaasPaths.AuthSignUp, body)
        {
            Credentials = upgrade ? RequestCredentials.User : RequestCredentials.None,
        };
        return await StartSessionAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs in with email and password.</summary>
    /// <param name="email">The email address.</param>
    /// <param name="password">The password.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The signed-in user.</returns>
    /// <exception cref="BaasException">401 <c>invalid_credentials</c>; 401 <c>locked_out</c> after repeated failures; 403 <c>user_disabled</c>.</exception>
    public virtual Task<BaasUser> SignInAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var body = new JsonObject { ["email"] = email, ["password"] = password };
        return StartSessionAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AuthLogin, body) { Credentials = RequestCredentials.None }, cancellationToken);
    }

    /// <summary>Signs in as a new anonymous user (no email); <see cref="SignUpAsync"/> later keeps the same account.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The signed-in anonymous user.</returns>
    public virtual Task<BaasUser> SignInAnonymouslyAsync(CancellationToken cancellationToken = default) =>
        StartSessionAsync(new BaasRequest(HttpMethod.Post, BaasPaths.AuthAnonymous) { Credentials = RequestCredentials.None }, cancellationToken);

    /// <summary>
    /// Ends the session on the server and forgets it here. The local sign-out happens even when the server cannot
    /// be reached (then the exception is rethrown, and the refresh token stays valid on the server until it expires).
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when signed out.</returns>
    public virtual async Task SignOutAsync(CancellationToken cancellationToken = default)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var session = Volatile.Read(ref _session);
        if (session is null)
        {
            return;
        }

        try
        {
            var request = new BaasRequest(HttpMethod.Post, BaasPaths.AuthLogout, new JsonObject { ["refreshToken"] = session.RefreshToken })
            {
                Credentials = RequestCredentials.User,
            };
            await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (BaasException ex) when (ex.Status == 401)
        {
            // The session had already ended on the server.
        }
        finally
        {
            await EndSessionAsync(Volatile.Read(ref _session), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the signed-in user from the server (<c>GET /api/auth/me</c>) and updates <see cref="CurrentUser"/>.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The user, or null when nobody is signed in.</returns>
    public virtual async Task<BaasUser?> GetUserAsync(CancellationToken cancellationToken = default)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _session) is null)
        {
            return null;
        }

        var response = await _transport.SendAsync(
            new BaasRequest(HttpMethod.Get, BaasPaths.AuthMe) { Credentials = RequestCredentials.User }, cancellationToken).ConfigureAwait(false);
        var user = BaasUser.Read(response.Body as JsonObject ?? throw new BaasException("The server answered /me without a body."));
        await UpdateUserAsync(user, raise: false).ConfigureAwait(false);
        return user;
    }

    /// <summary>Changes the signed-in user's profile data (a JSON merge patch: <c>null</c> values delete keys).</summary>
    /// <param name="data">The changes.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The updated user.</returns>
    public virtual async Task<BaasUser> UpdateProfileAsync(JsonObject data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var request = new BaasRequest(HttpMethod.Patch, BaasPaths.AuthMe, new JsonObject { ["data"] = data.DeepClone() })
        {
            Credentials = RequestCredentials.User,
        };
        var response = await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var user = BaasUser.Read(response.Body as JsonObject ?? throw new BaasException("The server answered a profile change without a body."));
        await UpdateUserAsync(user, raise: true).ConfigureAwait(false);
        return user;
    }

    /// <summary>Asks the server to mail a password-reset token. Succeeds whether or not the email has an account.</summary>
    /// <param name="email">The account's email.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the server accepted the request.</returns>
    public virtual async Task SendPasswordResetAsync(string email, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        var request = new BaasRequest(HttpMethod.Post, BaasPaths.AuthForgotPassword, new JsonObject { ["email"] = email })
        {
            Credentials = RequestCredentials.None,
        };
        await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets a new password with the mailed token. Every session of that user ends (sign in again).</summary>
    /// <param name="token">The token from the email.</param>
    /// <param name="newPassword">The new password.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the password is changed.</returns>
    /// <exception cref="BaasException">400 <c>invalid_token</c> for a wrong, expired or used token.</exception>
    public virtual async Task ResetPasswordAsync(string token, string newPassword, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        ArgumentException.ThrowIfNullOrEmpty(newPassword);
        var request = new BaasRequest(HttpMethod.Post, BaasPaths.AuthResetPassword, new JsonObject { ["token"] = token, ["password"] = newPassword })
        {
            Credentials = RequestCredentials.None,
        };
        await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the server to mail the signed-in user a token that confirms their email address.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the server accepted the request.</returns>
    /// <exception cref="BaasException">401 when nobody is signed in.</exception>
    public virtual async Task RequestEmailVerificationAsync(CancellationToken cancellationToken = default) =>
        await _transport.SendAsync(
            new BaasRequest(HttpMethod.Post, BaasPaths.AuthRequestVerification) { Credentials = RequestCredentials.User },
            cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Confirms an email address with the mailed token. When it is the signed-in user's, the access token is
    /// refreshed so that rules see the verified address at once.
    /// </summary>
    /// <param name="token">The token from the email.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The user whose address is now verified.</returns>
    /// <exception cref="BaasException">400 <c>invalid_token</c> for a wrong, expired or used token.</exception>
    public virtual async Task<BaasUser> ConfirmEmailAsync(string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var request = new BaasRequest(HttpMethod.Post, BaasPaths.AuthConfirmEmail, new JsonObject { ["token"] = token })
        {
            Credentials = RequestCredentials.None,
        };
        var response = await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var user = BaasUser.Read(response.Body as JsonObject ?? throw new BaasException("The server answered a confirmation without a body."));
        await UpdateUserAsync(user, raise: true).ConfigureAwait(false);
        if (Volatile.Read(ref _session) is { } session && session.User.Id == user.Id)
        {
            try
            {
                await RefreshSharedAsync(session, cancellationToken).ConfigureAwait(false);
            }
            catch (BaasException)
            {
                // The address is confirmed either way; the token catches up at its next refresh.
            }
        }

        return user;
    }

    /// <summary>
    /// The signed-in user's access token, refreshed first when it is about to expire; null when signed out. For
    /// connections that carry the token themselves (e.g. realtime).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The token, or null.</returns>
    public virtual async ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var session = Volatile.Read(ref _session);
        if (session is null)
        {
            return null;
        }

        if (_time.GetUtcNow() < session.ExpiresAt - RefreshMargin)
        {
            return session.AccessToken;
        }

        try
        {
            return (await RefreshSharedAsync(session, cancellationToken).ConfigureAwait(false))?.AccessToken;
        }
        catch (BaasException) when (_time.GetUtcNow() < session.ExpiresAt)
        {
            // The server could not be reached to refresh; the old token is still good for a few seconds.
            return session.AccessToken;
        }
    }

    async Task<string?> IUserTokenSource.RefreshAfterRejectionAsync(string rejectedToken, CancellationToken cancellationToken)
    {
        var session = Volatile.Read(ref _session);
        if (session is null)
        {
            return null;
        }

        // Another call refreshed while this one was in flight: its token is the one to use.
        if (session.AccessToken != rejectedToken)
        {
            return session.AccessToken;
        }

        return (await RefreshSharedAsync(session, cancellationToken).ConfigureAwait(false))?.AccessToken;
    }

    /// <summary>Raises <see cref="AuthStateChanged"/>.</summary>
    /// <param name="e">What changed.</param>
    protected virtual void OnAuthStateChanged(BaasAuthStateChangedEventArgs e) => AuthStateChanged?.Invoke(this, e);

    private async Task<BaasUser> StartSessionAsync(BaasRequest request, CancellationToken cancellationToken)
    {
        var response = await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var session = ReadSession(response);
        lock (_gate)
        {
            _session = session;
            _loaded = true;
        }

        await _store.SaveAsync(session, CancellationToken.None).ConfigureAwait(false);
        OnAuthStateChanged(new BaasAuthStateChangedEventArgs(BaasAuthChange.SignedIn, session.User));
        return session.User;
    }

    /// <summary>Signs out locally if <paramref name="basis"/> is still the session (a newer sign-in is left alone).</summary>
    private async Task EndSessionAsync(BaasSession? basis, CancellationToken cancellationToken)
    {
        if (basis is null)
        {
            return;
        }

        lock (_gate)
        {
            if (!ReferenceEquals(_session, basis))
            {
                return;
            }

            _session = null;
        }

        await _store.ClearAsync(cancellationToken).ConfigureAwait(false);
        OnAuthStateChanged(new BaasAuthStateChangedEventArgs(BaasAuthChange.SignedOut, null));
    }

    private async Task UpdateUserAsync(BaasUser user, bool raise)
    {
        BaasSession? updated = null;
        lock (_gate)
        {
            if (_session is { } session && session.User.Id == user.Id)
            {
                updated = session with { User = user };
                _session = updated;
            }
        }

        if (updated is null)
        {
            return;
        }

        await _store.SaveAsync(updated, CancellationToken.None).ConfigureAwait(false);
        if (raise)
        {
            OnAuthStateChanged(new BaasAuthStateChangedEventArgs(BaasAuthChange.UserUpdated, user));
        }
    }

    /// <summary>
    /// Refreshes <paramref name="basis"/>, sharing one request among concurrent callers. Answers the current session
    /// when <paramref name="basis"/> was already replaced (refreshed, signed out, or another sign-in).
    /// </summary>
    private async Task<BaasSession?> RefreshSharedAsync(BaasSession basis, CancellationToken cancellationToken)
    {
        Task<BaasSession?> refresh;
        lock (_gate)
        {
            if (!ReferenceEquals(_session, basis))
            {
                return _session;
            }

            // Not the first caller's token: cancelling one waiter must not fail the refresh the others wait on.
            _refreshing ??= Task.Run(() => RefreshCoreAsync(basis), CancellationToken.None);
            refresh = _refreshing;
        }

        return await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<BaasSession?> RefreshCoreAsync(BaasSession basis)
    {
        try
        {
            BaasSession session;
            try
            {
                var request = new BaasRequest(HttpMethod.Post, BaasPaths.AuthRefresh, new JsonObject { ["refreshToken"] = basis.RefreshToken })
                {
                    Credentials = RequestCredentials.None,
                };
                session = ReadSession(await _transport.SendAsync(request, CancellationToken.None).ConfigureAwait(false));
            }
            catch (BaasException ex) when (ex.Status is 400 or 401 or 403)
            {
                // The server refused the refresh token (expired, revoked, reused) or the user (disabled): the session is over.
                await EndSessionAsync(basis, CancellationToken.None).ConfigureAwait(false);
                return null;
            }

            lock (_gate)
            {
                if (!ReferenceEquals(_session, basis))
                {
                    // Signed out or signed in again meanwhile: that newer state wins.
                    return _session;
                }

                _session = session;
            }

            await _store.SaveAsync(session, CancellationToken.None).ConfigureAwait(false);
            OnAuthStateChanged(new BaasAuthStateChangedEventArgs(BaasAuthChange.TokenRefreshed, session.User));
            return session;
        }
        finally
        {
            lock (_gate)
            {
                _refreshing = null;
            }
        }
    }

    private async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        Task loading;
        lock (_gate)
        {
            if (_loaded)
            {
                return;
            }

            _loading ??= Task.Run(LoadCoreAsync, CancellationToken.None);
            loading = _loading;
        }

        await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task LoadCoreAsync()
    {
        BaasSession? stored;
        try
        {
            stored = await _store.LoadAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
            {
                // Let the next call try again.
                _loading = null;
            }

            throw;
        }

        lock (_gate)
        {
            if (_loaded)
            {
                // A sign-in finished first; it is newer than what was stored.
                return;
            }

            _session = stored;
            _loaded = true;
        }

        if (stored is not null)
        {
            OnAuthStateChanged(new BaasAuthStateChangedEventArgs(BaasAuthChange.SignedIn, stored.User));
        }
    }

    private BaasSession ReadSession(BaasResponse response)
    {
        var json = response.Body as JsonObject ?? throw new BaasException("The server answered a sign-in without a body.");
        var user = json["user"] as JsonObject ?? throw new BaasException("The server answered a sign-in without the user.");
        var accessToken = Json.String(json, "accessToken") ?? throw new BaasException("The server answered a sign-in without an access token.");
        var refreshToken = Json.String(json, "refreshToken") ?? throw new BaasException("The server answered a sign-in without a refresh token.");
        var expiresIn = json["expiresIn"] is JsonValue v && v.TryGetValue<double>(out var seconds) ? seconds : 0;
        return new BaasSession(BaasUser.Read(user), accessToken, refreshToken, _time.GetUtcNow().AddSeconds(expiresIn));
    }
}
