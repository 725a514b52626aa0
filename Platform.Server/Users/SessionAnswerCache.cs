using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;

namespace Platform.Server.Users;

/// <summary>
/// The per-node cache of a session guard's answers (<see cref="ICallerSessionCheck"/>): an answer read from the store is
/// kept for <see cref="UserAuthOptions.SessionCheckInterval"/> (not at all when it is zero), unless a change on this node
/// (a sign-out, a disabling, a revoked session) came while it was being read: a lookup that began before a change must
/// not cache the old state over it. Each guard holds its own.
/// </summary>
internal sealed class SessionAnswerCache(IMemoryCache cache, IOptions<UserAuthOptions> options)
{
    private readonly Lock _gate = new();
    private long _changes;

    /// <summary>Read before the store is; handed back to <see cref="Remember"/> with what the store answered.</summary>
    public long Generation => Interlocked.Read(ref _changes);

    public bool TryGet<T>(object key, [NotNullWhen(true)] out T? answer)
        where T : class =>
        cache.TryGetValue(key, out answer) && answer is not null;

    /// <summary>Keeps <paramref name="answer"/>, read since <paramref name="generation"/>, unless a change came meanwhile.</summary>
    public void Remember(object key, object answer, long generation)
    {
        var duration = options.Value.SessionCheckInterval;
        if (duration <= TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            if (Interlocked.Read(ref _changes) == generation)
            {
                cache.Set(key, answer, AuthCache.Entry(duration));
            }
        }
    }

    /// <summary>A change on this node: the cached answer is dropped, and no lookup in flight caches its older one.</summary>
    public void Forget(object key)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _changes);
            cache.Remove(key);
        }
    }

    /// <summary>A change on this node whose answer is known: kept for <paramref name="keepFor"/>, over any lookup in flight.</summary>
    public void Replace(object key, object answer, TimeSpan keepFor)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _changes);
            cache.Set(key, answer, AuthCache.Entry(keepFor));
        }
    }
}
