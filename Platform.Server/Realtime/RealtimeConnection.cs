using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace Platform.Server.Realtime;

/// <summary>
/// One hub connection: its bounded outgoing queue, the task that drains it, and its subscriptions (guarded by
/// the dispatcher's lock).
/// </summary>
internal sealed class RealtimeConnection : IDisposable
{
    private readonly CancellationTokenSource _sending;
    private volatile string? _dropReason;

    public RealtimeConnection(HubCallerContext context, int capacity, TimeProvider time)
    {
        Context = context;
        _sending = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        // The dispatcher never waits on a full queue (TryWrite): a full queue is an overflow, handled at once.
        Queue = Channel.CreateBounded<OutgoingMessage>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Id => Context.ConnectionId;

    public HubCallerContext Context { get; }

    public Channel<OutgoingMessage> Queue { get; }

    public Dictionary<string, Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>Cancelled when the connection is gone, or when a dropped connection's grace time is over.</summary>
    public CancellationToken SendAborted => _sending.Token;

    /// <summary>Why the server is dropping this connection (it is told so in <c>resync</c>), or null.</summary>
    public string? DropReason => _dropReason;

    public Task Sender { get; set; } = Task.CompletedTask;

    /// <summary>Marks the connection dropped; false when it already was.</summary>
    public bool TryDrop(string reason, TimeSpan grace)
    {
        if (_dropReason is not null)
        {
            return false;
        }

        _dropReason = reason;
        Queue.Writer.TryComplete();
        try
        {
            _sending.CancelAfter(grace);
        }
        catch (ObjectDisposedException)
        {
            // Already disconnected and cleaned up.
        }

        return true;
    }

    /// <summary>Stops sending at once (the connection closed).</summary>
    public void Close()
    {
        Queue.Writer.TryComplete();
        try
        {
            _sending.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _sending.Dispose();
}
