using Microsoft.Extensions.Options;
using Platform.Server.Common;

namespace Platform.Server.Documents;

/// <summary>
/// Caps the queries of app users and anonymous visitors running at once on this node (<c>Baas:Query:MaxConcurrent</c>).
/// A query that finds every place taken waits at most <c>Baas:Query:QueueTimeout</c>, asynchronously (no thread is
/// held), then is refused with 503 <c>server_busy</c>. With the time budget this bounds what expensive queries can take
/// from a node: at most that many cores, each for at most the budget, however many such requests arrive, so reads by
/// id, writes and <c>/health/ready</c>, which never pass through here, keep answering.
/// <para>
/// An admitted query's store work runs on the request's own thread-pool thread. SQLite queries are synchronous, so each
/// place can hold a pool thread for up to the budget; on a small machine the pool starts with one thread per core and
/// adds more only about twice a second, so two held threads stalled every other request for seconds (issue 11's query
/// attack). The limiter therefore raises the pool's minimum by its places when it is built: the pool then starts
/// another thread at once for whatever arrives while every place is held. (Handing the work to threads of our own did
/// the same job, but the two thread switches per query cost an app user's query a quarter of its CPU.)
/// </para>
/// </summary>
public sealed partial class QueryLimiter : IDisposable
{
    private readonly SemaphoreSlim _places;
    private readonly TimeSpan _wait;
    private readonly ILogger<QueryLimiter> _logger;

    public QueryLimiter(IOptions<QueryOptions> options, ILogger<QueryLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _places = new SemaphoreSlim(options.Value.MaxConcurrent, options.Value.MaxConcurrent);
        _wait = options.Value.QueueTimeout;
        _logger = logger;
        ReservePoolThreads(options.Value.MaxConcurrent, logger);
    }

    /// <summary>
    /// The thread pool's minimum worker threads this limiter needs: one per core for everything else, plus one per
    /// place, each of which a query may hold for its whole budget.
    /// </summary>
    public static int PoolThreadsNeeded(int places) => Environment.ProcessorCount + places;

    private static void ReservePoolThreads(int places, ILogger logger)
    {
        // The pool is the process's: only ever raise its minimum (several hosts in one process, e.g. tests, each ask).
        var needed = PoolThreadsNeeded(places);
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers < needed && ThreadPool.SetMinThreads(needed, completionPorts))
        {
            Log.PoolReserved(logger, workers, needed);
        }
    }

    /// <summary>Places free right now (for tests and diagnostics).</summary>
    public int Available => _places.CurrentCount;

    /// <summary>Takes a place, waiting at most the queue timeout; dispose the result to give it back.</summary>
    public async ValueTask<Place> EnterAsync(CancellationToken cancellationToken = default)
    {
        if (!await _places.WaitAsync(_wait, cancellationToken).ConfigureAwait(false))
        {
            Log.Busy(_logger, _wait.TotalMilliseconds);
            throw new DomainException(
                ErrorKind.Unavailable,
                "server_busy",
                "The server is running as many queries as it allows; try again shortly.")
            {
                // A place frees as soon as any running query ends; a second is a fair first retry.
                RetryAfter = TimeSpan.FromSeconds(1),
            };
        }

        return new Place(_places);
    }

    public void Dispose() => _places.Dispose();

    /// <summary>One taken place; disposing gives it back (once).</summary>
    public sealed class Place : IDisposable
    {
        private SemaphoreSlim? _places;

        internal Place(SemaphoreSlim places) => _places = places;

        public void Dispose() => Interlocked.Exchange(ref _places, null)?.Release();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3200, Level = LogLevel.Debug, Message = "Refused a query with 503 server_busy: every query place stayed taken for {WaitMs} ms")]
        public static partial void Busy(ILogger logger, double waitMs);

        [LoggerMessage(EventId = 3201, Level = LogLevel.Debug, Message = "Raised the thread pool's minimum worker threads from {Before} to {After}, one per core plus one per query place")]
        public static partial void PoolReserved(ILogger logger, int before, int after);
    }
}
