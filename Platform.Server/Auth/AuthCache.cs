using Microsoft.Extensions.Caching.Memory;

namespace Platform.Server.Auth;

/// <summary>
/// Entries of the node's authentication cache (the shared <see cref="IMemoryCache"/>, bounded by
/// <see cref="AuthOptions.CacheEntries"/>): every entry counts 1 against the bound.
/// </summary>
internal static class AuthCache
{
    /// <summary>Options for one entry kept at most <paramref name="duration"/>.</summary>
    public static MemoryCacheEntryOptions Entry(TimeSpan duration) =>
        new() { Size = 1, AbsoluteExpirationRelativeToNow = duration };
}
