using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Platform.Server.Storage;

namespace Platform.Server.Users;

/// <summary>
/// Answers "is this access token's session still alive?" for the Bearer scheme, so logout, disabling and
/// deleting a user end access tokens too, not only refresh tokens. Answers are cached per node for
/// <see cref="UserAuthOptions.SessionCheckInterval"/>; ending a session on this node replaces its entry at once.
/// </summary>
/// <remarks>
/// A token whose session is not stored at all is accepted: only this server can sign tokens, and tokens
/// minted without a stored session (by trusted server code) have no session to end.
/// </remarks>
internal sealed class SessionGuard(IDocumentStore store, IMemoryCache cache, IOptions<UserAuthOptions> options)
{
    private readonly Lock _gate = new();
    private long _revocations;

    public async Task<bool> IsActiveAsync(string userId, string sessionId, CancellationToken cancellationToken = default)
    {
        var key = new CacheKey(sessionId);
        if (cache.TryGetValue(key, out CachedSession? cached) && cached is not null)
        {
            return cached.Active && cached.UserId == userId;
        }

        var generation = Interlocked.Read(ref _revocations);
        var document = await store.GetAsync(SessionService.SessionsCollection, sessionId, cancellationToken);
        var entry = document is null
            ? new CachedSession(userId, Active: true)
            : new CachedSession(document["userId"]?.GetValue<string>(), Active: document["revoked"]?.GetValue<bool>() != true);
        Remember(key, entry, generation);
        return entry.Active && entry.UserId == userId;
    }

    /// <summary>Marks the session ended on this node, immediately.</summary>
    public void Revoked(string sessionId, string userId)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _revocations);
            // Kept at least as long as an access token could still be presented.
            cache.Set(new CacheKey(sessionId), new CachedSession(userId, Active: false), TimeSpan.FromDays(1));
        }
    }

    // A lookup that began before a revocation on this node must not cache "active" over it.
    private void Remember(CacheKey key, CachedSession entry, long generation)
    {
        var duration = options.Value.SessionCheckInterval;
        if (duration <= TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            if (Interlocked.Read(ref _revocations) == generation)
            {
                cache.Set(key, entry, duration);
            }
        }
    }

    private sealed record CachedSession(string? UserId, bool Active);

    private readonly record struct CacheKey(string SessionId);
}
