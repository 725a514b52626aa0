using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Caching.Memory;

namespace Platform.Server.Auth;

/// <summary>
/// A per-node cache of answers about credentials (is this session alive, this admin enabled, this API key valid): an
/// answer read from the store is kept for <c>keepFor()</c> (not at all when that is zero or less), unless a change on
/// this node (a sign-out, a disabling, a revocation) came while it was being read: a lookup that began before a change
/// must not cache the old state over it. Each guard holds its own; the entries live in the shared
/// <see cref="IMemoryCache"/> under the guard's private key type.
/// </summary>
internal sealed class AuthAnswerCache(IMemoryCache cache, Func<TimeSpan> keepFor)
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
        var duration = keepFor();
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
