using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Server.Realtime;

/// <summary>
/// How this node's change-feed reader (<see cref="ChangeFeedReader"/>) is doing, for <c>/health/ready</c>. The reader
/// reports each failure with the time of its next attempt, each time the feed is open again (SQLite, MongoDB: the retry
/// worked) and each change it hands on (<see cref="Reading"/>), and its end. For a feed that cannot tell it is open, a
/// failure counts until <see cref="RetryGrace"/> after the attempt that followed it: a reader that keeps failing stays
/// unhealthy, one whose retry worked is healthy again by then (or at its next change).
/// </summary>
public sealed class ChangeFeedLiveness(TimeProvider time)
{
    /// <summary>How long after a retry a failure still counts (the retry itself may take this long to fail: server selection).</summary>
    public static readonly TimeSpan RetryGrace = TimeSpan.FromMinutes(1);

    private readonly Lock gate = new();
    private Exception? lastError;
    private DateTimeOffset failedAt;
    private DateTimeOffset retryAt;
    private bool stopped;

    /// <summary>The feed is open at the reader's position, or the reader handed on a change: it is reading.</summary>
    public void Reading()
    {
        if (Volatile.Read(ref lastError) is null)
        {
            return;
        }

        lock (gate)
        {
            lastError = null;
        }
    }

    /// <summary>Reading failed; the reader tries again after <paramref name="retryIn"/>.</summary>
    public void Failed(Exception error, TimeSpan retryIn)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (lastError is null)
            {
                failedAt = now;
            }

            lastError = error;
            retryAt = now + retryIn;
        }
    }

    /// <summary>The reader ended for good (not at shutdown): no change reaches realtime clients or triggers on this node any more.</summary>
    public void Stopped(Exception? error)
    {
        lock (gate)
        {
            stopped = true;
            lastError = error ?? lastError;
        }
    }

    /// <summary>The result <c>/health/ready</c> reports.</summary>
    public HealthCheckResult Check()
    {
        lock (gate)
        {
            if (stopped)
            {
                return HealthCheckResult.Unhealthy("The change-feed reader has stopped; realtime events are not delivered by this node.", lastError);
            }

            if (lastError is not null && time.GetUtcNow() <= retryAt + RetryGrace)
            {
                return HealthCheckResult.Unhealthy(
                    $"The change feed cannot be read since {failedAt:O}; the reader retries at {retryAt:O}.",
                    lastError,
                    new Dictionary<string, object> { ["failingSince"] = failedAt, ["nextRetry"] = retryAt });
            }

            return HealthCheckResult.Healthy("The change feed is being read.");
        }
    }
}

/// <summary><c>/health/ready</c>: this node's change feed is being read (see <see cref="ChangeFeedLiveness"/>).</summary>
internal sealed class ChangeFeedHealthCheck(ChangeFeedLiveness liveness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(liveness.Check());
}
