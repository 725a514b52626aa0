using System.Buffers;
using System.Buffers.Binary;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Platform.Server.Realtime;

/// <summary>What <see cref="DirectChangeSender.TrySend"/> did with an event.</summary>
internal enum DirectSend
{
    /// <summary>Not written: send it through the hub (the connection does not send directly now, or the frame is not shared).</summary>
    NotTaken,

    /// <summary>Written to the socket, or queued there behind what waits already.</summary>
    Sent,

    /// <summary>Dropped: the connection's socket failed or closed, or its websocket sent its close frame.</summary>
    Gone,
}

/// <summary>
/// Writes a websocket connection's <c>change</c> events as whole websocket frames to its socket, around the hub (issue 13
/// item 1): the change's frame in the connection's protocol, shared by every recipient (<see cref="ChangeFrames"/>), behind a
/// websocket frame header, with the recipient's subscription id written in, one non-blocking <c>send</c>. The client receives
/// byte for byte what the hub would have sent (one websocket message holding one invocation), without the hub's write lock,
/// <see cref="InvocationMessage"/>, <see cref="DirectWebSocketOutput"/>'s buffer and the websocket's own send lock, buffer
/// and copy for each recipient.
/// <para>
/// Only for a connection whose every write already goes to its socket on the writing thread (<see cref="DirectWebSocketOutput"/>
/// sending directly, over a <see cref="SocketOutputStream"/> in socket mode): a hub write that has completed is then in the
/// socket's stream, so an event written here never overtakes a message the hub wrote before it (a <c>Subscribe</c> result is
/// written before its subscription's events are released). Frames never interleave: the stream takes each whole frame, the
/// websocket's as well as these, under its lock. Nothing follows the websocket's close frame (<see cref="SocketOutputStream.TrySendFrame"/>).
/// Whoever calls holds the connection's send turn (<see cref="RealtimeConnection.TryEnterSend"/>).
/// </para>
/// </summary>
internal sealed class DirectChangeSender(SocketOutputStream socket, DirectWebSocketOutput output, IHubProtocol protocol, DirectSendCounter counter)
{
    // A frame up to this size is built on the stack; a larger one in a rented buffer. The stream copies what the socket
    // does not take at once, so the buffer is free again when TrySendFrame returns.
    private const int StackFrame = 1024;

    // FIN and the opcode (RFC 6455, 5.2).
    private const byte FinalText = 0x81;
    private const byte FinalBinary = 0x82;

    /// <summary>
    /// The sender for a hub connection whose websocket writes go to its socket, in the protocol whose frames the
    /// dispatcher shares (<see cref="SharedFrameHubProtocol"/>); null for any other connection (server-sent events, long
    /// polling, TLS, either option off).
    /// </summary>
    public static DirectChangeSender? For(HubConnectionContext connection, DirectSendCounter counter)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.Protocol is not SharedFrameHubProtocol shared
            || connection.Features.Get<DirectWebSocketOutput>() is not { } output
            || (connection.GetHttpContext()?.Features.Get<IHttpUpgradeFeature>() as SocketUpgradeFeature)?.Stream is not { } socket)
        {
            return null;
        }

        return new DirectChangeSender(socket, output, shared.Inner, counter);
    }

    /// <summary>
    /// Writes <paramref name="change"/> of <paramref name="dispatched"/> to the socket. <paramref name="room"/>, when not
    /// null, completes once the socket's queue is back under its limit: nothing more is to be written to this connection
    /// before (the slow-consumer policy of <see cref="SocketOutputStream"/>); it never fails.
    /// </summary>
    public DirectSend TrySend(DispatchedChange dispatched, ChangeEvent change, out Task? room)
    {
        room = null;
        if (!socket.IsDirect || !output.TakesMessages || !dispatched.Frames.TryGetShared(protocol, change, out var frame))
        {
            return DirectSend.NotTaken;
        }

        var length = HeaderLength(frame.Length) + frame.Length;
        byte[]? rented = null;
        Span<byte> buffer = length <= StackFrame ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var header = WriteHeader(buffer, output.Binary, frame.Length);
            frame.CopyTo(buffer[header..], change);
            if (!socket.TrySendFrame(buffer[..length], out var full))
            {
                return DirectSend.Gone;
            }

            counter.ChangeFrameSent();
            room = full is null ? null : QuietAsync(full);
            return DirectSend.Sent;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The length of the header <see cref="WriteHeader"/> writes for a payload of <paramref name="payload"/> bytes.</summary>
    internal static int HeaderLength(int payload) => payload <= 125 ? 2 : payload <= ushort.MaxValue ? 4 : 10;

    /// <summary>
    /// Writes the header of a server's final, unmasked, uncompressed text or binary frame of <paramref name="payload"/> bytes
    /// (RFC 6455, 5.2: the length in 7 bits, or 126 and 16 bits, or 127 and 64 bits) and returns its length.
    /// </summary>
    internal static int WriteHeader(Span<byte> destination, bool binary, int payload)
    {
        destination[0] = binary ? FinalBinary : FinalText;
        if (payload <= 125)
        {
            destination[1] = (byte)payload;
            return 2;
        }

        if (payload <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload);
        return 10;
    }

    // The socket failing while the queue is full ends the connection, as the websocket's own write would: not an error of
    // the dispatcher's.
    private static async Task QuietAsync(Task room)
    {
        try
        {
            await room.ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
    }
}
