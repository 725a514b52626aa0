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
    public async Task HeldPlaces_RaiseThePoolsMinimumWorkerThreads_OneEach()
    {
        // Each place may hold a pool thread for a whole query budget: the pool must start others at once, not at its
        // slow injection rate (issue 11's multi-second stall).
        using var limiter = Limiter(2, TimeSpan.Zero);
        using var first = await limiter.EnterAsync(TestContext.Current.CancellationToken);
        using var second = await limiter.EnterAsync(TestContext.Current.CancellationToken);

        ThreadPool.GetMinThreads(out var workers, out _);
        Assert.True(workers >= QueryLimiter.PoolReservation.BaselineMinimum + 2, $"min worker threads {workers}");
    }

    [Fact]
    public async Task GivenBackPlaces_LowerThePoolsMinimumAgain_OnceEach()
    {
        // A pool kept larger than the cores costs every other request CPU, so the reservation lasts only while a place
        // is held. More places than the other tests ever hold at once, so what is left is not theirs.
        const int places = 60;
        using var limiter = Limiter(places, TimeSpan.Zero);
        for (var i = 0; i < places; i++)
        {
            var place = await limiter.EnterAsync(TestContext.Current.CancellationToken);
            place.Dispose();
            place.Dispose();
        }

        var held = new List<QueryLimiter.Place>();
        for (var i = 0; i < places; i++)
        {
            held.Add(await limiter.EnterAsync(TestContext.Current.CancellationToken));
        }

        ThreadPool.GetMinThreads(out var whileHeld, out _);
        held.ForEach(place => place.Dispose());
        ThreadPool.GetMinThreads(out var after, out _);

        Assert.True(whileHeld >= QueryLimiter.PoolReservation.BaselineMinimum + places, $"min worker threads while held {whileHeld}");
        Assert.True(after < QueryLimiter.PoolReservation.BaselineMinimum + places, $"min worker threads after {after}");
        Assert.Equal(places, limiter.Available);
    }
}
