using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Platform.Server.Auth;

namespace Platform.Server.Realtime;

/// <summary>
/// One hub connection: its bounded work queue, the worker that drains it (matching each change against this
/// connection's subscriptions, then sending), and its subscriptions. Membership is guarded by the dispatcher's lock;
/// the worker reads <see cref="Active"/>, a copy replaced on every change, without any lock.
/// </summary>
internal sealed class RealtimeConnection : IDisposable
{
    private readonly CancellationTokenSource _sending;
    private volatile string? _dropReason;
    private volatile bool _closed;
    private volatile Subscription[] _active = [];
    private int _sendTurn;

    public RealtimeConnection(HubCallerContext context, int capacity, TimeProvider time, string? clientAddress)
    {
        Context = context;
        ClientAddress = clientAddress;
        Caller = context.User?.GetBaasCaller();
        _sending = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        // The dispatcher never waits on a full queue (TryWrite): a full queue is an overflow, handled at once.
        Queue = Channel.CreateBounded<ConnectionWork>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Id => Context.ConnectionId;

    public HubCallerContext Context { get; }

    /// <summary>The address counted against <see cref="RealtimeOptions.MaxConnectionsPerClient"/>, or null when unknown.</summary>
    public string? ClientAddress { get; }

    /// <summary>The connections of <see cref="ClientAddress"/> and their matching budget; set when the connection is accepted.</summary>
    public ClientMatchBudget? Client { get; set; }

    /// <summary>Who opened the connection (null for a visitor): whose session ending closes it.</summary>
    public BaasCaller? Caller { get; }

    public Channel<ConnectionWork> Queue { get; }

    /// <summary>The subscriptions by id (dispatcher's lock).</summary>
    public Dictionary<string, Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>The summed <see cref="SubscriptionSpec.Cost"/> of <see cref="Subscriptions"/> (dispatcher's lock).</summary>
    public long Cost { get; set; }

    /// <summary>A copy of the subscriptions for the worker; replaced (never changed) under the dispatcher's lock.</summary>
    public Subscription[] Active => _active;

    /// <summary>Cancelled when the connection is gone, or when a dropped connection's grace time is over.</summary>
    public CancellationToken SendAborted => _sending.Token;

    /// <summary>Why the server is dropping this connection (it is told so in <c>resync</c>), or null.</summary>
    public string? DropReason => _dropReason;

    /// <summary>Whether <see cref="Close"/> ran: the connection is gone and takes nothing more.</summary>
    public bool IsClosed => _closed;

    public Task Sender { get; set; } = Task.CompletedTask;

    /// <summary>Where this connection's messages are sent (the hub's proxy for it); set when the connection is accepted.</summary>
    public IClientProxy? Proxy { get; set; }

    /// <summary>Writes this connection's change events to its socket around the hub, or null when it cannot (<see cref="DirectChangeSender"/>).</summary>
    public DirectChangeSender? Direct { get; set; }

    /// <summary>
    /// A send the dispatcher started on its own thread that had not completed when it returned (a client not reading, the
    /// hub writing something else): the worker waits for it before anything else. Read and written only with the send
    /// turn held (<see cref="TryEnterSend"/>).
    /// </summary>
    public Task? PendingSend { get; set; }

    /// <summary>
    /// Takes the connection's send turn without waiting: whoever holds it (the dispatcher delivering a change on its own
    /// thread, or the connection's worker) is the only one matching and sending for this connection, so its messages keep
    /// the order they were decided in. False when the other one holds it.
    /// </summary>
    public bool TryEnterSend() => Interlocked.CompareExchange(ref _sendTurn, 1, 0) == 0;

    /// <summary>Takes the send turn, spinning while the dispatcher holds it (it never waits while holding it).</summary>
    public void EnterSend()
    {
        var spin = default(SpinWait);
        while (!TryEnterSend())
        {
            spin.SpinOnce();
        }
    }

    /// <summary>Gives the send turn back.</summary>
    public void ExitSend() => Volatile.Write(ref _sendTurn, 0);

    /// <summary>Publishes <see cref="Subscriptions"/> to the worker (dispatcher's lock).</summary>
    public void PublishSubscriptions() => _active = [.. Subscriptions.Values];

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
        _closed = true;
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
