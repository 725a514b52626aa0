using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Platform.Server.Realtime;

/// <summary>
/// The node's background matcher: one dedicated thread, at the lowest scheduling priority the OS gives without
/// privileges (nice 19 on Linux), that matches changes for connections whose subscriptions are costly for that
/// change (<see cref="RealtimeOptions.CostlyMatchThreshold"/>). Cheap matching stays on the connections' own workers
/// on the thread pool, so it never waits behind costly matching, and costly matching as a whole takes at most one
/// core, and only the time the rest of the node leaves. Each connection's worker waits for its own match, so a
/// connection has at most one match here at a time and the queue is served round-robin between them; a connection
/// that falls behind overflows its own bounded queue and is told to resync, as a slow reader is.
/// </summary>
internal sealed class CostlyMatcher : IDisposable
{
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private Thread? _thread;

    /// <summary>Runs <paramref name="match"/> on the background thread; the continuation runs on the thread pool.</summary>
    public Task<T> RunAsync<T>(Func<T> match, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(match);
        EnsureStarted();
        var item = new WorkItem<T>(match, cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            return Task.FromException<T>(new ObjectDisposedException(nameof(CostlyMatcher)));
        }

        return item.Completion.Task;
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var item))
        {
            item.Cancel();
        }
    }

    private void EnsureStarted()
    {
        if (Volatile.Read(ref _thread) is not null)
        {
            return;
        }

        lock (_gate)
        {
            if (_thread is not null)
            {
                return;
            }

            var thread = new Thread(Loop) { IsBackground = true, Name = "Baas costly matching" };
            thread.Start();
            Volatile.Write(ref _thread, thread);
        }
    }

    private void Loop()
    {
        LowerPriority();
        var reader = _queue.Reader;
        while (true)
        {
            while (reader.TryRead(out var item))
            {
                item.Run();
            }

            // Blocks this dedicated thread only; false once the matcher is disposed.
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return;
            }
        }
    }

    // Thread priorities are ignored by .NET on Linux; setpriority on the thread's id lowers this thread alone (raising
    // the nice value needs no privilege). Elsewhere the OS thread priority does it. Best effort: a failure leaves the
    // thread at normal priority, still one thread.
    private static void LowerPriority()
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                _ = SetPriority(0, GetThreadId(), 19);
            }
            else
            {
                Thread.CurrentThread.Priority = ThreadPriority.Lowest;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or PlatformNotSupportedException)
        {
        }
    }

    // Blittable signatures: no marshalling, so no generated stubs (and no unsafe code) are needed.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "setpriority")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetThreadId();
#pragma warning restore SYSLIB1054

    private abstract class WorkItem
    {
        public abstract void Run();

        public abstract void Cancel();
    }

    private sealed class WorkItem<T>(Func<T> match, CancellationToken cancellationToken) : WorkItem
    {
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(cancellationToken);
                return;
            }

            try
            {
                Completion.TrySetResult(match());
            }
            catch (Exception ex)
            {
                Completion.TrySetException(ex);
            }
        }

        public override void Cancel() => Completion.TrySetCanceled();
    }
}
