using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Common;
using Platform.Server.Documents;

namespace Platform.Server.Tests.Documents;

public sealed class QueryLimiterTests
{
    private static QueryLimiter Limiter(int places, TimeSpan wait) =>
        new(Options.Create(new QueryOptions { MaxConcurrent = places, QueueTimeout = wait }), NullLogger<QueryLimiter>.Instance);

    [Fact]
    public async Task Enter_WhenEveryPlaceStaysTaken_Is503ServerBusy_WithRetryAfter()
    {
        using var limiter = Limiter(1, TimeSpan.Zero);
        using var first = await limiter.EnterAsync(TestContext.Current.CancellationToken);

        var refused = await Assert.ThrowsAsync<DomainException>(async () => await limiter.EnterAsync(TestContext.Current.CancellationToken));

        Assert.Equal(ErrorKind.Unavailable, refused.Kind);
        Assert.Equal("server_busy", refused.Code);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);
    }

    [Fact]
    public async Task Enter_WaitsForAPlace_AndAPlaceIsGivenBackOnce()
    {
        using var limiter = Limiter(1, TimeSpan.FromMinutes(1));
        var first = await limiter.EnterAsync(TestContext.Current.CancellationToken);
        var waiting = limiter.EnterAsync(TestContext.Current.CancellationToken).AsTask();
        Assert.False(waiting.IsCompleted);

        first.Dispose();
        first.Dispose();
        using var second = await waiting;

        Assert.Equal(0, limiter.Available);
    }

    [Fact]
    public async Task Enter_StopsWaiting_WhenTheCallerGoesAway()
    {
        using var limiter = Limiter(1, TimeSpan.FromMinutes(1));
        using var first = await limiter.EnterAsync(TestContext.Current.CancellationToken);
        using var leave = new CancellationTokenSource();
        var waiting = limiter.EnterAsync(leave.Token).AsTask();

        await leave.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, limiter.Available);
    }

    [Fact]
    public async Task Place_RunsItsWork_OnADedicatedThread_OnePerPlace_NeverOnThePool()
    {
        using var limiter = Limiter(2, TimeSpan.Zero);
        using var first = await limiter.EnterAsync(TestContext.Current.CancellationToken);
        using var second = await limiter.EnterAsync(TestContext.Current.CancellationToken);
        using var release = new ManualResetEventSlim();
        using var bothRunning = new CountdownEvent(2);

        // Each work blocks its thread the way a synchronous SQLite query does; both must run at the same time.
        Task<(bool Pool, string? Name)> Blocking(QueryLimiter.Place place) => place.RunAsync(() =>
        {
            bothRunning.Signal();
            release.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            return Task.FromResult((Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));
        });

        var runs = new[] { Blocking(first), Blocking(second) };
        Assert.True(bothRunning.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken), "both works should run at once");
        release.Set();

        foreach (var (pool, name) in await Task.WhenAll(runs))
        {
            Assert.False(pool);
            Assert.StartsWith("baas-query-", name, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Place_PassesOnTheWorksFailureAndCancellation()
    {
        using var limiter = Limiter(1, TimeSpan.Zero);
        using var place = await limiter.EnterAsync(TestContext.Current.CancellationToken);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => place.RunAsync<int>(() => throw new InvalidOperationException("boom")));
        var stopped = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => place.RunAsync(() => Task.FromCanceled<int>(cancelled.Token)));
        Assert.Equal(cancelled.Token, stopped.CancellationToken);
        Assert.Equal(42, await place.RunAsync(async () =>
        {
            await Task.Yield();
            return 42;
        }));
    }
}
