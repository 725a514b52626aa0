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
/// place can hold a pool thread for up to the budget; on a small machine the pool keeps one thread per core busy and adds
/// more only about twice a second, so two held threads stalled every other request for seconds (issue 11's query
/// attack). So while a place is held, the pool's minimum is one thread higher (<see cref="PoolReservation"/>): the pool
/// starts another thread at once for whatever arrives meanwhile. The minimum goes back down when the place is given back,
/// because a pool kept larger than the cores all the time cost every create about a fifth more CPU. (Handing the work to
/// threads of our own did the same job, but the two thread switches per query cost an app user's query a quarter of its
/// CPU: bench/README.md, "Lead's quiet run, 2026-12-07 05:24".)
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

        PoolReservation.Take();
        return new Place(_places);
    }

    public void Dispose() => _places.Dispose();

    /// <summary>One taken place; disposing gives it back (once).</summary>
    public sealed class Place : IDisposable
    {
        private SemaphoreSlim? _places;

        internal Place(SemaphoreSlim places) => _places = places;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _places, null) is { } places)
            {
                PoolReservation.Give();
                places.Release();
            }
        }
    }

    /// <summary>
    /// One more minimum pool thread per place held, in this process. The thread pool is the process's own, so its
    /// reservation is too (several limiters in one process, as in tests, add up instead of overwriting each other); the
    /// minimum is the one the runtime started with (the cores, or what the app configured) plus the places held.
    /// </summary>
    internal static class PoolReservation
    {
        private static readonly Lock Gate = new();
        private static readonly int Baseline = InitialMinimum();
        private static int _held;

        /// <summary>Places held right now in this process.</summary>
        public static int Held
        {
            get
            {
                lock (Gate)
                {
                    return _held;
                }
            }
        }

        /// <summary>The runtime's own minimum before any reservation.</summary>
        public static int BaselineMinimum => Baseline;

        public static void Take() => Adjust(+1);

        public static void Give() => Adjust(-1);

        private static void Adjust(int change)
        {
            // Under the lock so that two adjustments cannot set the minimum out of order.
            lock (Gate)
            {
                _held += change;
                ThreadPool.GetMinThreads(out _, out var completionPorts);
                ThreadPool.SetMinThreads(Baseline + _held, completionPorts);
            }
        }

        private static int InitialMinimum()
        {
            ThreadPool.GetMinThreads(out var workers, out _);
            return workers;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3200, Level = LogLevel.Debug, Message = "Refused a query with 503 server_busy: every query place stayed taken for {WaitMs} ms")]
        public static partial void Busy(ILogger logger, double waitMs);
    }
}
