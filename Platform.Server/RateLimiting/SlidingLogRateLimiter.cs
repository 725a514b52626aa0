using System.Threading.RateLimiting;

namespace Platform.Server.RateLimiting;

/// <summary>
/// At most <c>permitLimit</c> permits in any window of <c>window</c> length, remembering when each permit
/// in the current window was granted. Unlike the framework's segmented sliding window, a refusal knows the
/// exact time until the oldest permit leaves the window, so <c>Retry-After</c> tells the truth (issue 11,
/// item 7). State is one timestamp per permit, so memory per client is bounded by the limit.
/// </summary>
internal sealed class SlidingLogRateLimiter : RateLimiter
{
    private readonly int _permitLimit;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private readonly Queue<long> _granted;
    private readonly Lock _lock = new();
    private long _lastActivity;

    public SlidingLogRateLimiter(int permitLimit, TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(permitLimit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        _permitLimit = permitLimit;
        _window = window;
        _time = time;
        _granted = new Queue<long>(Math.Min(permitLimit, 64));
        _lastActivity = Now();
    }

    /// <summary>Idle once every permit it granted has left the window: the partitioned limiter may then drop it.</summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                Expire(Now());
                return _granted.Count == 0 ? TimeSpan.FromTicks(Now() - _lastActivity) : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Expire(Now());
            return new RateLimiterStatistics { CurrentAvailablePermits = _permitLimit - _granted.Count };
        }
    }

    /// <summary>Time until <paramref name="permitCount"/> permits are free, for a refusal's <c>Retry-After</c>.</summary>
    internal TimeSpan RetryAfter(long now, int permitCount)
    {
        // The permit that must leave the window before permitCount more fit.
        var index = _granted.Count - (_permitLimit - permitCount) - 1;
        var leaving = _granted.ElementAt(Math.Max(0, index));
        var wait = _window - TimeSpan.FromTicks(now - leaving);
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        if (permitCount > _permitLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"At most {_permitLimit} permits can be acquired at once.");
        }

        lock (_lock)
        {
            var now = Now();
            Expire(now);
            _lastActivity = now;
            if (permitCount == 0)
            {
                return _granted.Count < _permitLimit ? Lease.Granted : new Lease(RetryAfter(now, 1));
            }

            if (_granted.Count + permitCount > _permitLimit)
            {
                return new Lease(RetryAfter(now, permitCount));
            }

            for (var i = 0; i < permitCount; i++)
            {
                _granted.Enqueue(now);
            }

            return Lease.Granted;
        }
    }

    // Requests never queue: a refused client is told when to come back instead.
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    // Wall-clock ticks of the injected clock, so tests move time instead of waiting.
    private long Now() => _time.GetUtcNow().UtcTicks;

    private void Expire(long now)
    {
        while (_granted.Count > 0 && TimeSpan.FromTicks(now - _granted.Peek()) >= _window)
        {
            _granted.Dequeue();
        }
    }

    private sealed class Lease(TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(null);

        public override bool IsAcquired => retryAfter is null;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } wait && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = wait;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
