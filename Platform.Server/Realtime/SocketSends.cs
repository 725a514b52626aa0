using System.Buffers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Platform.Server.Realtime;

/// <summary>
/// A plain-HTTP realtime websocket's handshake (<see cref="IHttpUpgradeFeature"/>), unchanged, except that the upgraded
/// stream it hands the websocket is a <see cref="SocketOutputStream"/>: what the websocket writes goes to the
/// connection's socket (<see cref="RealtimeOptions.SocketSends"/>).
/// </summary>
internal sealed class SocketUpgradeFeature(IHttpUpgradeFeature inner, Socket socket, int queueLimit, SocketSendCounter counter) : IHttpUpgradeFeature
{
    /// <summary>The upgraded stream, once <see cref="UpgradeAsync"/> ran.</summary>
    public SocketOutputStream? Stream { get; private set; }

    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync()
    {
        var upgraded = await inner.UpgradeAsync().ConfigureAwait(false);
        Stream = new SocketOutputStream(upgraded, socket, queueLimit, counter);
        return Stream;
    }
}

/// <summary>
/// An upgraded connection's stream whose writes go to the connection's socket itself, one non-blocking <c>send</c> on the
/// writing thread (the dispatcher's, during a fan-out), instead of into Kestrel's output pipe, whose bytes Kestrel's socket
/// queue (<c>IOQueue</c>) sends on another thread: one wake-up per flush and connection, which ate the gain of sending on
/// the dispatcher's thread (bench/README.md, h/rt-cpu3). Reads stay Kestrel's.
/// <para>
/// Every write after the switch takes this path, in order (the websocket writes one frame at a time: hub messages, pings,
/// close frames), and nothing more goes to Kestrel's output, so bytes never interleave. What the socket does not take at
/// once (a client not reading, its socket buffer full) is kept in this connection's own queue and sent asynchronously;
/// while more than <c>queueLimit</c> bytes wait, a write does not complete, exactly as a write to Kestrel's full output
/// pipe would not (its limit is the same, <c>MaxResponseBufferSize</c>), so a slow reader's messages back up into its
/// connection queue and the existing slow-consumer policy (<c>resync</c>, then closed) applies unchanged. A socket error
/// (the client left, Kestrel aborted the connection and disposed the socket) fails this write and every later one with an
/// <see cref="IOException"/>, which ends the websocket as any broken connection would.
/// </para>
/// <para>
/// The switch happens at the first write after the client sent its first bytes: a websocket client sends only once it has
/// read the <c>101</c> response, so by then Kestrel's socket queue has sent that response and holds nothing. A connection
/// whose server writes before that (none does with SignalR, whose client speaks first) keeps Kestrel's path throughout.
/// </para>
/// </summary>
internal sealed class SocketOutputStream : Stream
{
    private const int ChunkSize = 16 * 1024;

    // FIN and the close opcode (RFC 6455, 5.2): the first byte of every close frame a websocket sends.
    private const byte CloseFrameStart = 0x88;

    private readonly Stream _inner;
    private readonly Socket _socket;
    private readonly int _queueLimit;
    private readonly SocketSendCounter _counter;
    private readonly Lock _gate = new();
    private readonly Queue<Chunk> _queued = new();
    private readonly CancellationTokenSource _stop = new();
    private Mode _mode;
    private int _received;
    private long _queuedBytes;
    private bool _sending;
    private bool _closeSent;
    private Task _sender = Task.CompletedTask;
    private TaskCompletionSource? _room;
    private Exception? _failure;

    public SocketOutputStream(Stream inner, Socket socket, int queueLimit, SocketSendCounter counter)
    {
        _inner = inner;
        _socket = socket;
        _queueLimit = queueLimit;
        _counter = counter;
    }

    private enum Mode
    {
        Undecided,
        Socket,
        Kestrel,
    }

    /// <summary>Whether this connection's writes go to its socket (known at the first write).</summary>
    public bool IsDirect => _mode == Mode.Socket;

    /// <summary>Bytes waiting for the socket (tests).</summary>
    public long QueuedBytes
    {
        get
        {
            lock (_gate)
            {
                return _queuedBytes;
            }
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = _inner.ReadAsync(buffer, cancellationToken);
        return Volatile.Read(ref _received) != 0 ? read : NoteFirstReadAsync(read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = _inner.Read(buffer, offset, count);
        NoteReceived(read);
        return read;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Decide() == Mode.Kestrel)
        {
            return _inner.WriteAsync(buffer, cancellationToken);
        }

        Task? room;
        try
        {
            room = Send(buffer.Span);
        }
        catch (IOException ex)
        {
            return ValueTask.FromException(ex);
        }

        return room is null ? default : new ValueTask(room.WaitAsync(cancellationToken));
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (Decide() == Mode.Kestrel)
        {
            _inner.Write(buffer, offset, count);
            return;
        }

        Send(buffer.AsSpan(offset, count))?.GetAwaiter().GetResult();
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        Decide() == Mode.Kestrel ? _inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override void Flush()
    {
        if (Decide() == Mode.Kestrel)
        {
            _inner.Flush();
        }
    }

    /// <summary>
    /// Writes one whole websocket frame that the caller built (<see cref="DirectChangeSender"/>), as the websocket's own
    /// writes go: sent at once or queued, in order with them. False when the connection takes no more data frames: its
    /// socket failed or closed, or the websocket already sent its close frame (RFC 6455: no data after it); the frame is
    /// dropped then. <paramref name="room"/> is what the websocket's own write would wait for: a task while the queue is
    /// over its limit, else null.
    /// </summary>
    public bool TrySendFrame(ReadOnlySpan<byte> frame, out Task? room)
    {
        room = null;
        if (_mode != Mode.Socket)
        {
            return false;
        }

        try
        {
            room = Send(frame, dataFrame: true);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Called when the request is over, before Kestrel may dispose the socket: waits up to <paramref name="grace"/> for
    /// what is queued (a close frame behind a slow reader) to be sent, then stops, so that the socket is never used after.
    /// </summary>
    public async Task CloseAsync(TimeSpan grace)
    {
        Task sender;
        lock (_gate)
        {
            sender = _sender;
        }

        try
        {
            await sender.WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The client did not take the rest in time: the asynchronous send is cancelled and the bytes dropped.
        }

        lock (_gate)
        {
            Fail(new IOException("The connection is closed."));
            sender = _sender;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await sender.ConfigureAwait(false);
        lock (_gate)
        {
            ReleaseQueued();
        }

        _stop.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        // The queue is not dropped here: the websocket disposes its stream right after writing its close frame, which may
        // still be queued; CloseAsync, when the request ends, waits for it.
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask<int> NoteFirstReadAsync(ValueTask<int> read)
    {
        var count = await read.ConfigureAwait(false);
        NoteReceived(count);
        return count;
    }

    private void NoteReceived(int count)
    {
        if (count > 0)
        {
            Volatile.Write(ref _received, 1);
        }
    }

    private Mode Decide()
    {
        if (_mode != Mode.Undecided)
        {
            return _mode;
        }

        lock (_gate)
        {
            if (_mode == Mode.Undecided)
            {
                _mode = Volatile.Read(ref _received) != 0 && TryNonBlocking() ? Mode.Socket : Mode.Kestrel;
                if (_mode == Mode.Socket)
                {
                    _counter.Opened();
                }
            }

            return _mode;
        }
    }

    // A blocking send on a full socket would stall the dispatcher; non-blocking, it answers "would block" instead. Kestrel's
    // own socket operations are all asynchronous and unaffected.
    private bool TryNonBlocking()
    {
        try
        {
            _socket.Blocking = false;
            return true;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            return false;
        }
    }

    // Sends what it can at once; queues the rest. Returns a task to wait for when the queue is over its limit, else null.
    // The websocket writes each frame with one write (header and payload from one buffer), so a write of its that starts
    // with a close frame's first byte is its close frame; a data frame of TrySendFrame is refused from then on.
    private Task? Send(ReadOnlySpan<byte> data, bool dataFrame = false)
    {
        var startSender = false;
        Task? room = null;
        lock (_gate)
        {
            if (_failure is not null)
            {
                throw new IOException("The connection's socket is closed.", _failure);
            }

            if (dataFrame && _closeSent)
            {
                throw new IOException("The websocket sent its close frame.");
            }

            if (!dataFrame && !data.IsEmpty && data[0] == CloseFrameStart)
            {
                _closeSent = true;
            }

            if (!_sending)
            {
                var sent = SendNow(data);
                if (sent == data.Length)
                {
                    _counter.Sent();
                    return null;
                }

                data = data[sent..];
                _sending = true;
                startSender = true;
            }

            Enqueue(data);
            _counter.Sent();
            if (_queuedBytes > _queueLimit)
            {
                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                room = _room.Task;
            }

            if (startSender)
            {
                _counter.Deferred();
                // The rest goes out on the thread pool once the socket has room: the writer (the dispatcher) goes on.
                _sender = Task.Run(DrainAsync);
            }
        }

        return room;
    }

    private int SendNow(ReadOnlySpan<byte> data)
    {
        var total = 0;
        while (total < data.Length)
        {
            int sent;
            SocketError error;
            try
            {
                sent = _socket.Send(data[total..], SocketFlags.None, out error);
            }
            catch (ObjectDisposedException ex)
            {
                Fail(ex);
                throw new IOException("The connection's socket is closed.", ex);
            }

            if (error == SocketError.Success)
            {
                total += sent;
            }
            else if (error == SocketError.WouldBlock)
            {
                break;
            }
            else
            {
                var failure = new SocketException((int)error);
                Fail(failure);
                throw new IOException("The connection's socket is closed.", failure);
            }
        }

        return total;
    }

    private void Enqueue(ReadOnlySpan<byte> data)
    {
        _queuedBytes += data.Length;
        if (_queued.Count > 0)
        {
            // The tail's free space only: the part already in it may be in an asynchronous send right now.
            var tail = _queued.Last();
            var take = Math.Min(tail.Buffer.Length - tail.End, data.Length);
            data[..take].CopyTo(tail.Buffer.AsSpan(tail.End));
            tail.End += take;
            data = data[take..];
        }

        if (data.Length > 0)
        {
            var chunk = new Chunk(ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize, data.Length)));
            data.CopyTo(chunk.Buffer);
            chunk.End = data.Length;
            _queued.Enqueue(chunk);
        }
    }

    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> next;
                lock (_gate)
                {
                    if (_failure is not null || _queued.Count == 0)
                    {
                        Stopped();
                        return;
                    }

                    var head = _queued.Peek();
                    next = head.Buffer.AsMemory(head.Start, head.End - head.Start);
                }

                var sent = await _socket.SendAsync(next, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                lock (_gate)
                {
                    var head = _queued.Peek();
                    head.Start += sent;
                    _queuedBytes -= sent;
                    if (head.Start == head.End && (_queued.Count > 1 || head.End == head.Buffer.Length))
                    {
                        _queued.Dequeue();
                        ArrayPool<byte>.Shared.Return(head.Buffer);
                    }
                    else if (head.Start == head.End)
                    {
                        // The only chunk, emptied: reused from its start.
                        head.Start = head.End = 0;
                    }

                    if (_queuedBytes <= _queueLimit / 2)
                    {
                        WakeWriter();
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // The client left or the connection was aborted: this connection ends; the dispatcher never sees it.
            lock (_gate)
            {
                Fail(ex);
                Stopped();
            }
        }
    }

    // The asynchronous send is over: with the queue sent, a waiting writer goes on; after a failure the queue is dropped.
    private void Stopped()
    {
        _sending = false;
        if (_failure is null)
        {
            WakeWriter();
        }
        else
        {
            ReleaseQueued();
        }
    }

    private void WakeWriter()
    {
        _room?.TrySetResult();
        _room = null;
    }

    private void Fail(Exception reason)
    {
        _failure ??= reason;
        _room?.TrySetException(new IOException("The connection's socket is closed.", reason));
        _room = null;
        if (!_sending)
        {
            ReleaseQueued();
        }
    }

    private void ReleaseQueued()
    {
        while (_queued.TryDequeue(out var chunk))
        {
            ArrayPool<byte>.Shared.Return(chunk.Buffer);
        }

        _queuedBytes = 0;
    }

    private sealed class Chunk(byte[] buffer)
    {
        public byte[] Buffer { get; } = buffer;

        public int Start { get; set; }

        public int End { get; set; }
    }
}

/// <summary>How many realtime connections have written to their socket directly since start, writes, and writes the socket did not take at once (tests).</summary>
internal sealed class SocketSendCounter
{
    private long _connections;
    private long _writes;
    private long _deferred;

    public long Connections => Interlocked.Read(ref _connections);

    public long Writes => Interlocked.Read(ref _writes);

    public long DeferredWrites => Interlocked.Read(ref _deferred);

    public void Opened() => Interlocked.Increment(ref _connections);

    public void Sent() => Interlocked.Increment(ref _writes);

    public void Deferred() => Interlocked.Increment(ref _deferred);
}

/// <summary>
/// Wires <see cref="SocketOutputStream"/> into the realtime hub's endpoints (<see cref="RealtimeOptions.SocketSends"/>).
/// </summary>
internal static class SocketSends
{
    /// <summary>
    /// Wraps the endpoint's request delegate, ahead of every websocket handshake in it: a plain-HTTP/1.1 upgrade request on a
    /// socket Kestrel exposes gets a <see cref="SocketUpgradeFeature"/>. TLS connections (Kestrel's TLS stream sits between
    /// the upgraded stream and the socket), HTTP/2 websockets (one socket, many streams) and anything else keep Kestrel's path.
    /// When the request is over, what is still queued gets <see cref="RealtimeOptions.ResyncTimeout"/> to go out before
    /// Kestrel closes the socket.
    /// </summary>
    public static Action<EndpointBuilder> WrapEndpoint(IServiceProvider services) => endpoint =>
    {
        if (endpoint.RequestDelegate is not { } inner)
        {
            return;
        }

        var counter = services.GetRequiredService<SocketSendCounter>();
        var grace = services.GetRequiredService<IOptions<RealtimeOptions>>().Value.ResyncTimeout;
        var limit = QueueLimit(services.GetService<IOptions<KestrelServerOptions>>()?.Value);
        endpoint.RequestDelegate = context =>
        {
            if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade
                && context.Features.Get<ITlsConnectionFeature>() is null
                && context.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
            {
                var direct = new SocketUpgradeFeature(upgrade, socket, limit, counter);
                context.Features.Set<IHttpUpgradeFeature>(direct);
                return RunAsync(inner, context, direct, grace);
            }

            return inner(context);
        };
    };

    // The queue is bounded as Kestrel's output pipe is (MaxResponseBufferSize); where Kestrel has no limit (null) or waits
    // for every write (0), Kestrel's default of 64 KiB is used, so that this queue is always bounded and never empty.
    private static int QueueLimit(KestrelServerOptions? kestrel) =>
        kestrel?.Limits.MaxResponseBufferSize is > 0 and var limit ? (int)Math.Min(limit, int.MaxValue) : 64 * 1024;

    private static async Task RunAsync(RequestDelegate inner, HttpContext context, SocketUpgradeFeature upgrade, TimeSpan grace)
    {
        try
        {
            await inner(context).ConfigureAwait(false);
        }
        finally
        {
            if (upgrade.Stream is { } stream)
            {
                await stream.CloseAsync(grace).ConfigureAwait(false);
            }
        }
    }
}
