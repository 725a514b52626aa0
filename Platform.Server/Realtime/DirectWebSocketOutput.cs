using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Platform.Server.Realtime;

/// <summary>
/// Where a realtime websocket request's <see cref="WebSocket"/> is kept once accepted (set by
/// <see cref="DirectWebSocketFeature"/>), so that the hub connection on it can send to it directly
/// (<see cref="DirectWebSocketOutput"/>).
/// </summary>
internal sealed class AcceptedWebSocket
{
    private WebSocket? _socket;

    /// <summary>The accepted websocket, or null while it is not (yet) accepted.</summary>
    public WebSocket? Socket
    {
        get => Volatile.Read(ref _socket);
        set => Volatile.Write(ref _socket, value);
    }
}

/// <summary>
/// The realtime hub's websocket handshake (<see cref="IHttpWebSocketFeature"/>), unchanged, except that it remembers the
/// websocket it accepted in the request's <see cref="AcceptedWebSocket"/> feature.
/// </summary>
internal sealed class DirectWebSocketFeature(IHttpWebSocketFeature inner, AcceptedWebSocket accepted) : IHttpWebSocketFeature
{
    public bool IsWebSocketRequest => inner.IsWebSocketRequest;

    public async Task<WebSocket> AcceptAsync(Microsoft.AspNetCore.Http.WebSocketAcceptContext context)
    {
        var socket = await inner.AcceptAsync(context).ConfigureAwait(false);
        accepted.Socket = socket;
        return socket;
    }
}

/// <summary>
/// The hub's output on a websocket connection, sent to the websocket by whoever flushes it (issue 13 item 1). SignalR's
/// own output is a pipe that its websocket transport reads on another thread-pool thread, one wake-up per flush and per
/// connection, before the frame is written to Kestrel; here the flush itself writes the frame (one websocket message
/// holding what was written since the last flush, as the transport would have sent it), on the flushing thread, without
/// a cancellable send (which takes <see cref="WebSocket"/>'s slower path). The hub serializes its writes (one write and
/// flush at a time per connection), so messages keep their order; the transport still receives, closes the websocket
/// once this output is completed, and stays the path of every other transport (server-sent events, long polling).
/// What the client receives is unchanged.
/// </summary>
internal sealed class DirectWebSocketOutput : PipeWriter
{
    private const int MinimumBuffer = 4096;

    private readonly PipeWriter _inner;
    private readonly AcceptedWebSocket _accepted;
    private readonly ITransferFormatFeature? _format;
    private readonly DirectSendCounter _counter;
    private readonly Lock _gate = new();

    // Decided at the first write and kept: every byte of the connection goes the same way, so order is kept.
    private Mode _mode;
    private WebSocket? _socket;
    private byte[]? _buffer;
    private int _written;
    private Task? _pendingSend;
    private bool _readerGone;
    private bool _cancelNextFlush;
    private bool _completed;

    public DirectWebSocketOutput(PipeWriter inner, AcceptedWebSocket accepted, ITransferFormatFeature? format, DirectSendCounter counter)
    {
        _inner = inner;
        _accepted = accepted;
        _format = format;
        _counter = counter;
    }

    private enum Mode
    {
        Undecided,
        Direct,
        Pipe,
    }

    /// <summary>Whether this connection's output goes to its websocket directly (known once it wrote something).</summary>
    public bool IsDirect => _mode == Mode.Direct;

    /// <summary>
    /// Whether messages written around this output may go to the websocket now (<see cref="DirectChangeSender"/>): it sends
    /// directly, and neither was it completed nor did it find the websocket closed.
    /// </summary>
    public bool TakesMessages => _mode == Mode.Direct && !Volatile.Read(ref _readerGone) && !Volatile.Read(ref _completed);

    /// <summary>Whether the connection's messages are binary (MessagePack) rather than text (JSON) websocket messages.</summary>
    public bool Binary => _format?.ActiveFormat == TransferFormat.Binary;

    public override void Advance(int bytes)
    {
        if (Decide() == Mode.Pipe)
        {
            _inner.Advance(bytes);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (_buffer is null || _written + bytes > _buffer.Length)
        {
            throw new InvalidOperationException("Advanced past the buffer handed out.");
        }

        _written += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (Decide() == Mode.Pipe)
        {
            return _inner.GetMemory(sizeHint);
        }

        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        if (Decide() == Mode.Pipe)
        {
            return _inner.GetSpan(sizeHint);
        }

        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (Decide() == Mode.Pipe)
        {
            return _inner.FlushAsync(cancellationToken);
        }

        if (_cancelNextFlush)
        {
            _cancelNextFlush = false;
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: _readerGone));
        }

        if (_written == 0 || _readerGone)
        {
            Discard();
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: _readerGone));
        }

        var type = Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        ValueTask send;
        try
        {
            // No cancellation token: a token that can be cancelled makes every send take the websocket's asynchronous
            // path. A send that cannot complete (a client not reading) ends when the connection is aborted.
            send = _socket!.SendAsync(_buffer.AsMemory(0, _written), type, endOfMessage: true, CancellationToken.None);
        }
        catch (Exception ex) when (IsClosed(ex))
        {
            return new ValueTask<FlushResult>(Gone());
        }

        _counter.Sent();
        if (send.IsCompletedSuccessfully)
        {
            Discard();
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        }

        return AwaitSendAsync(send, cancellationToken);
    }

    public override void CancelPendingFlush()
    {
        if (_mode == Mode.Pipe)
        {
            _inner.CancelPendingFlush();
            return;
        }

        lock (_gate)
        {
            if (_pendingSend is { IsCompleted: false })
            {
                // The hub cancels a flush only when it aborts the connection: the send that waits for a client not reading
                // ends with the websocket.
                _socket?.Abort();
            }
            else
            {
                _cancelNextFlush = true;
            }
        }
    }

    public override void Complete(Exception? exception = null)
    {
        Task? pending;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            pending = _pendingSend;
        }

        if (_mode != Mode.Direct || pending is null || pending.IsCompleted)
        {
            ReturnBuffer();
            _inner.Complete(exception);
            return;
        }

        // The transport closes the websocket once the inner output completes: only after the last message went out.
        _ = pending.ContinueWith(
            (_, state) =>
            {
                var (self, error) = ((DirectWebSocketOutput, Exception?))state!;
                self.ReturnBuffer();
                self._inner.Complete(error);
            },
            (this, exception),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private Mode Decide()
    {
        if (_mode != Mode.Undecided)
        {
            return _mode;
        }

        _socket = _accepted.Socket;
        _mode = _socket is null ? Mode.Pipe : Mode.Direct;
        if (_mode == Mode.Direct)
        {
            _counter.Opened();
        }

        return _mode;
    }

    private void Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(needed, MinimumBuffer));
        }
        else if (needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
            _buffer.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }

    // A send that did not complete at once (a client not reading, a control frame being sent). The caller's token is honoured
    // as a pipe's flush honours it: cancelling it (the connection closing, a dropped client's grace time over) aborts the
    // websocket, since a message cannot be taken back halfway, and the flush throws.
    private async ValueTask<FlushResult> AwaitSendAsync(ValueTask send, CancellationToken cancellationToken)
    {
        var task = send.AsTask();
        lock (_gate)
        {
            _pendingSend = task;
        }

        try
        {
            using (cancellationToken.UnsafeRegister(static socket => ((WebSocket)socket!).Abort(), _socket))
            {
                await task.ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsClosed(ex))
        {
            var gone = Gone();
            cancellationToken.ThrowIfCancellationRequested();
            return gone;
        }
        finally
        {
            lock (_gate)
            {
                _pendingSend = null;
            }
        }

        Discard();
        return new FlushResult(isCanceled: false, isCompleted: false);
    }

    // The websocket is closed or aborted: as with a pipe whose reader completed, what is written from now on is dropped.
    private FlushResult Gone()
    {
        _readerGone = true;
        Discard();
        return new FlushResult(isCanceled: false, isCompleted: true);
    }

    // What was sent is forgotten; the buffer goes back to the pool, so an idle connection holds none.
    private void Discard()
    {
        _written = 0;
        ReturnBuffer();
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsClosed(Exception ex) =>
        ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException or ConnectionAbortedException;
}

/// <summary>
/// How many realtime connections have sent to their websocket directly since start, how many messages, and how many of
/// those were change events written around the hub by <see cref="DirectChangeSender"/> (tests).
/// </summary>
internal sealed class DirectSendCounter
{
    private long _connections;
    private long _messages;
    private long _changeFrames;

    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Every message sent directly, change events written around the hub included.</summary>
    public long Messages => Interlocked.Read(ref _messages) + ChangeFrames;

    public long ChangeFrames => Interlocked.Read(ref _changeFrames);

    public void Opened() => Interlocked.Increment(ref _connections);

    public void Sent() => Interlocked.Increment(ref _messages);

    public void ChangeFrameSent() => Interlocked.Increment(ref _changeFrames);
}

/// <summary>
/// Wires <see cref="DirectWebSocketOutput"/> into the realtime hub's endpoints (<see cref="RealtimeOptions.DirectWebSocketSends"/>):
/// the websocket handshake remembers the websocket it accepts, and the hub connection's output is replaced before the hub
/// sees the connection.
/// </summary>
internal static class DirectWebSocketSends
{
    /// <summary>
    /// Wraps the endpoint's request delegate: a websocket request gets ASP.NET Core's own handshake feature
    /// (<see cref="Microsoft.AspNetCore.WebSockets.WebSocketMiddleware"/>, configured as SignalR's would be), wrapped in a
    /// <see cref="DirectWebSocketFeature"/>; SignalR's endpoint then uses that feature instead of installing its own.
    /// </summary>
    public static void WrapEndpoint(EndpointBuilder endpoint)
    {
        if (endpoint.RequestDelegate is not { } inner)
        {
            return;
        }

        var remembering = new RequestDelegate(context =>
        {
            if (context.Features.Get<IHttpWebSocketFeature>() is { IsWebSocketRequest: true } handshake)
            {
                var accepted = new AcceptedWebSocket();
                context.Features.Set(accepted);
                context.Features.Set<IHttpWebSocketFeature>(new DirectWebSocketFeature(handshake, accepted));
            }

            return inner(context);
        });
        var handshakes = ActivatorUtilities.CreateInstance<Microsoft.AspNetCore.WebSockets.WebSocketMiddleware>(endpoint.ApplicationServices, remembering);
        endpoint.RequestDelegate = handshakes.Invoke;
    }

    /// <summary>
    /// Connection middleware ahead of the hub: a connection whose request accepted a websocket through
    /// <see cref="WrapEndpoint"/> gets a <see cref="DirectWebSocketOutput"/> as its output; any other keeps SignalR's.
    /// </summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware(DirectSendCounter counter) => next => connection =>
    {
        if (connection.Features.Get<IHttpContextFeature>()?.HttpContext?.Features.Get<AcceptedWebSocket>() is { } accepted)
        {
            var transport = connection.Transport;
            var output = new DirectWebSocketOutput(transport.Output, accepted, connection.Features.Get<ITransferFormatFeature>(), counter);
            connection.Transport = new DuplexPipe(transport.Input, output);

            // For the change events the dispatcher writes around the hub (DirectChangeSender).
            connection.Features.Set(output);
        }

        return next(connection);
    };

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
