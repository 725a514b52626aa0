using System.Collections.Concurrent;

namespace Platform.Server.Functions.Runtime;

/// <summary>
/// The dedicated threads function JavaScript runs on, at most <see cref="FunctionOptions.MaxConcurrentRuns"/>,
/// started as needed. A run stays on one thread from start to end (Jint's memory limit counts the current
/// thread's allocations), and a runaway script only ever occupies one of these threads, never a thread-pool
/// thread that requests need. Each thread has a large stack so the stack guard, not the process, ends deep
/// recursion. Work beyond the cap waits in the queue.
/// </summary>
internal sealed class RunThreads : IDisposable
{
    /// <summary>Stack of each run thread: room for Jint's interpreter frames below the stack guard's threshold.</summary>
    public const int StackSize = 16 * 1024 * 1024;

    private readonly BlockingCollection<Action> _queue = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _maxThreads;
    private readonly Lock _gate = new();
    private int _threads;
    private int _idle;
    private int _disposed;

    public RunThreads(int maxThreads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        _maxThreads = maxThreads;
    }

    public void Enqueue(Action work)
    {
        _queue.Add(work);
        lock (_gate)
        {
            if (Volatile.Read(ref _idle) == 0 && _threads < _maxThreads)
            {
                _threads++;
                var thread = new Thread(Loop, StackSize) { IsBackground = true, Name = $"baas-function-{_threads}" };
                thread.Start();
            }
        }
    }

    private void Loop()
    {
        try
        {
            while (true)
            {
                Interlocked.Increment(ref _idle);
                Action work;
                try
                {
                    work = _queue.Take(_stopping.Token);
                }
                finally
                {
                    Interlocked.Decrement(ref _idle);
                }

                work();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException && _disposed == 1)
        {
            // Shutting down.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping.Cancel();
        _stopping.Dispose();
    }
}
