using System.Collections.Concurrent;

namespace Platform.Server.Common;

/// <summary>
/// At most a fixed number of dedicated threads, started as needed, for work that may hold a thread for long: function
/// runs. Such work never occupies a thread-pool thread, which requests need: on a
/// small machine a few blocked pool threads starve every other request until the pool grows (about one thread per
/// half second), which is the multi-second stall issue 11 measured. Work beyond the cap waits in the queue.
/// </summary>
internal sealed class DedicatedThreads : IDisposable
{
    private readonly BlockingCollection<Action> _queue = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _maxThreads;
    private readonly int _stackSize;
    private readonly string _name;
    private readonly Lock _gate = new();
    private int _threads;
    private int _idle;
    private int _disposed;

    /// <param name="maxThreads">Most threads ever started.</param>
    /// <param name="name">Thread name prefix (shows in dumps and profilers).</param>
    /// <param name="stackSize">Stack of each thread in bytes; 0 for the platform's default.</param>
    public DedicatedThreads(int maxThreads, string name, int stackSize = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(stackSize);
        _maxThreads = maxThreads;
        _name = name;
        _stackSize = stackSize;
    }

    public void Enqueue(Action work)
    {
        _queue.Add(work);
        lock (_gate)
        {
            if (Volatile.Read(ref _idle) == 0 && _threads < _maxThreads)
            {
                _threads++;
                var thread = new Thread(Loop, _stackSize) { IsBackground = true, Name = $"{_name}-{_threads}" };
                thread.Start();
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="work"/> on one of the threads. Everything it does synchronously (for SQLite, the whole
    /// query) runs there; continuations after a real await run wherever they complete.
    /// </summary>
    public Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(() => _ = CompleteAsync(work, done));
        return done.Task;
    }

    private static async Task CompleteAsync<T>(Func<Task<T>> work, TaskCompletionSource<T> done)
    {
        try
        {
            done.TrySetResult(await work().ConfigureAwait(false));
        }
        catch (OperationCanceledException ex)
        {
            done.TrySetCanceled(ex.CancellationToken);
        }
        catch (Exception ex)
        {
            done.TrySetException(ex);
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
