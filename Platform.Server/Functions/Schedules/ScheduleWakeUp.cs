namespace Platform.Server.Functions.Schedules;

/// <summary>
/// Wakes this node's <see cref="DueTimeScheduler"/> early: the <see cref="ScheduleSynchronizer"/> calls
/// <see cref="Signal"/> after it registered or removed a recurring job, so a schedule saved on this node is waited for
/// from its own next due time rather than from the one read before it existed. Signals while nobody waits collapse into
/// one.
/// </summary>
public sealed class ScheduleWakeUp : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Wakes the waiting scheduler (or the next one to wait).</summary>
    public void Signal()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers every change before it.
        }
        catch (ObjectDisposedException)
        {
            // Shutting down.
        }
    }

    /// <summary>Waits for a signal or <paramref name="timeout"/>; true when signalled.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public bool Wait(TimeSpan timeout, CancellationToken cancellationToken) => _signal.Wait(timeout, cancellationToken);

    public void Dispose() => _signal.Dispose();
}
