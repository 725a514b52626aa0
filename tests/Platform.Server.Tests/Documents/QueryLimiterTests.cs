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
    public void Limiter_RaisesThePoolsMinimumWorkerThreads_ByItsPlaces()
    {
        // Each place may hold a pool thread for a whole query budget: the pool must start others at once, not at its
        // slow injection rate (issue 11's multi-second stall). More places than any other test asks for, so the check
        // is this limiter's doing.
        const int places = 37;
        using var limiter = Limiter(places, TimeSpan.Zero);

        ThreadPool.GetMinThreads(out var workers, out _);
        Assert.True(workers >= Environment.ProcessorCount + places, $"min worker threads {workers}");
        Assert.Equal(Environment.ProcessorCount + places, QueryLimiter.PoolThreadsNeeded(places));
    }
}
