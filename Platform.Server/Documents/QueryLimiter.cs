using Microsoft.Extensions.Options;
using Platform.Server.Common;

namespace Platform.Server.Documents;

/// <summary>
/// Caps the queries of app users and anonymous visitors running at once on this node (<c>Baas:Query:MaxConcurrent</c>).
/// A query that finds every place taken waits at most <c>Baas:Query:QueueTimeout</c>, asynchronously (no thread is
/// held), then is refused with 503 <c>server_busy</c>. With the time budget this bounds what expensive queries can take
/// from a node: at most that many cores, each for at most the budget, however many such requests arrive, so reads by
/// id, writes and <c>/health/ready</c>, which never pass through here, keep answering. The store work of an admitted
/// query runs on one of <c>MaxConcurrent</c> dedicated threads (<see cref="Place.RunAsync{T}"/>), never on a thread-pool
/// thread: SQLite queries are synchronous, and a few pool threads held for seconds stall every other request on a small
/// machine until the pool grows.
/// </summary>
public sealed partial class QueryLimiter : IDisposable
{
    private readonly SemaphoreSlim _places;
    private readonly DedicatedThreads _threads;
    private readonly TimeSpan _wait;
    private readonly ILogger<QueryLimiter> _logger;

    public QueryLimiter(IOptions<QueryOptions> options, ILogger<QueryLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _places = new SemaphoreSlim(options.Value.MaxConcurrent, options.Value.MaxConcurrent);
        _threads = new DedicatedThreads(options.Value.MaxConcurrent, "baas-query");
        _wait = options.Value.QueueTimeout;
        _logger = logger;
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

        return new Place(_places, _threads);
    }

    public void Dispose()
    {
        _threads.Dispose();
        _places.Dispose();
    }

    /// <summary>One taken place; disposing gives it back (once).</summary>
    public sealed class Place : IDisposable
    {
        private readonly DedicatedThreads _threads;
        private SemaphoreSlim? _places;

        internal Place(SemaphoreSlim places, DedicatedThreads threads)
        {
            _places = places;
            _threads = threads;
        }

        /// <summary>Runs the query's store work on a dedicated query thread (one per place, so it never waits for one).</summary>
        public Task<T> RunAsync<T>(Func<Task<T>> work) => _threads.RunAsync(work);

        public void Dispose() => Interlocked.Exchange(ref _places, null)?.Release();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3200, Level = LogLevel.Debug, Message = "Refused a query with 503 server_busy: every query place stayed taken for {WaitMs} ms")]
        public static partial void Busy(ILogger logger, double waitMs);
    }
}
