using Microsoft.Extensions.Caching.Memory;
using Platform.Server.Auth;

namespace Platform.Server.Tests.Auth;

/// <summary>The cache of the session guards and API keys: a change on this node wins over a lookup in flight.</summary>
public sealed class AuthAnswerCacheTests : IDisposable
{
    private readonly MemoryCache _memory = new(new MemoryCacheOptions { SizeLimit = 100 });

    public void Dispose() => _memory.Dispose();

    private AuthAnswerCache Cache(TimeSpan keepFor) => new(_memory, () => keepFor);

    [Fact]
    public void Remember_KeepsTheAnswer_UnlessAChangeCameWhileItWasRead()
    {
        var cache = Cache(TimeSpan.FromMinutes(1));
        var before = cache.Generation;
        cache.Remember("a", "alive", before);
        Assert.True(cache.TryGet("a", out string? kept));
        Assert.Equal("alive", kept);

        // A lookup of "b" begins, the session ends on this node, then the lookup (which read the old state) returns.
        var lookup = cache.Generation;
        cache.Replace("b", "ended", TimeSpan.FromDays(1));
        cache.Remember("b", "alive", lookup);
        Assert.True(cache.TryGet("b", out string? answer));
        Assert.Equal("ended", answer);

        var again = cache.Generation;
        cache.Forget("a");
        cache.Remember("a", "alive", again);
        Assert.False(cache.TryGet("a", out string? _));
    }

    [Fact]
    public void Remember_KeepsNothing_WhenTheCheckIntervalIsZero()
    {
        var cache = Cache(TimeSpan.Zero);
        cache.Remember("a", "alive", cache.Generation);
        Assert.False(cache.TryGet("a", out string? _));
    }
}
