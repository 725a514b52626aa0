using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Storage;

namespace Platform.Server.Users;

/// <summary>
/// Answers "is this access token's session still alive?" for the Bearer scheme, so logout, disabling and
/// deleting a user end access tokens too, not only refresh tokens. Answers are cached per node for
/// <see cref="UserAuthOptions.SessionCheckInterval"/>; ending a session on this node replaces its entry at once and
/// tells <see cref="SessionEndings"/>' listeners (the realtime hub closes the session's connections).
/// </summary>
/// <remarks>
/// A token whose session is not stored at all is accepted: only this server can sign tokens, and tokens
/// minted without a stored session (by trusted server code) have no session to end.
/// </remarks>
internal sealed class SessionGuard(IDocumentStore store, IMemoryCache cache, IOptions<UserAuthOptions> options, SessionEndings endings)
    : ICallerSessionCheck
{
    private readonly AuthAnswerCache _answers = new(cache, () => options.Value.SessionCheckInterval);

    public BaasCallerKind Kind => BaasCallerKind.User;

    /// <summary>App-user tokens without a session id were minted by trusted server code: they have nothing to end.</summary>
    public Task<bool> IsActiveAsync(BaasCaller caller, bool fresh, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.SessionId is { } sessionId ? IsActiveAsync(caller.Id, sessionId, fresh, cancellationToken) : Task.FromResult(true);
    }

    public Task<bool> IsActiveAsync(string userId, string sessionId, CancellationToken cancellationToken = default) =>
        IsActiveAsync(userId, sessionId, fresh: false, cancellationToken);

    /// <param name="userId">The token's user.</param>
    /// <param name="sessionId">The token's session.</param>
    /// <param name="fresh">Read the store even when the node holds a recent "alive" answer.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    public async Task<bool> IsActiveAsync(string userId, string sessionId, bool fresh, CancellationToken cancellationToken = default)
    {
        var key = new CacheKey(sessionId);
        if (_answers.TryGet(key, out CachedSession? cached) && (!fresh || !cached.Active))
        {
            return cached.Active && cached.UserId == userId;
        }

        var generation = _answers.Generation;
        var document = await store.GetAsync(SessionService.SessionsCollection, sessionId, cancellationToken);
        var entry = document is null
            ? new CachedSession(userId, Active: true)
            : new CachedSession(document["userId"]?.GetValue<string>(), Active: document["revoked"]?.GetValue<bool>() != true);
        _answers.Remember(key, entry, generation);
        return entry.Active && entry.UserId == userId;
    }

    /// <summary>Marks the session ended on this node, immediately.</summary>
    public void Revoked(string sessionId, string userId)
    {
        // Kept at least as long as an access token could still be presented.
        _answers.Replace(new CacheKey(sessionId), new CachedSession(userId, Active: false), TimeSpan.FromDays(1));
        endings.Publish(new SessionEnded(BaasCallerKind.User, userId, sessionId));
    }

    private sealed record CachedSession(string? UserId, bool Active);

    private readonly record struct CacheKey(string SessionId);
}
