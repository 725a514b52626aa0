using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Platform.Server.Realtime;

/// <summary>
/// Several <c>change</c> events for one connection, sent with one write and one flush; each is its own invocation on
/// the wire, exactly as if it had been sent alone (<see cref="SharedFrameHubProtocol"/>).
/// </summary>
internal sealed class ChangeBatch
{
    // One event (the usual case: the dispatcher's own send to an idle connection) is held without a list.
    private readonly OutgoingMessage? _single;
    private readonly IReadOnlyList<OutgoingMessage>? _many;

    public ChangeBatch(OutgoingMessage single) => _single = single;

    public ChangeBatch(IReadOnlyList<OutgoingMessage> messages) => _many = messages;

    public int Count => _many?.Count ?? 1;

    public OutgoingMessage this[int index] => _many is { } many ? many[index] : index == 0 ? _single! : throw new ArgumentOutOfRangeException(nameof(index));

    public IReadOnlyList<OutgoingMessage> Messages => _many ?? [_single!];
}

/// <summary>
/// Wraps a hub protocol (JSON, MessagePack) of the realtime hub so that a <see cref="ChangeBatch"/> argument is written
/// as one invocation of <c>change</c> per event, each from its change's shared frame (<see cref="ChangeFrames"/>): the
/// client receives exactly the messages it would receive one by one, while the server encodes each change once per
/// protocol and flushes a connection's backlog at once. Every other message goes to the wrapped protocol unchanged.
/// SignalR's stateful reconnect (which numbers messages) is not enabled on this server; it would count a batch as one.
/// </summary>
internal sealed class SharedFrameHubProtocol(IHubProtocol inner) : IHubProtocol
{
    public IHubProtocol Inner { get; } = inner;

    public string Name => Inner.Name;

    public int Version => Inner.Version;

    public TransferFormat TransferFormat => Inner.TransferFormat;

    public bool IsVersionSupported(int version) => Inner.IsVersionSupported(version);

    /// <summary>The wrapped protocol's reading, but for a <c>Subscribe</c> or <c>Unsubscribe</c> call it could not bind (<see cref="HubBindingFailure"/>).</summary>
    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        if (!Inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
        }

        message = HubBindingFailure.Refuse(message);
        return true;
    }

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        if (message is not InvocationMessage { Arguments: [ChangeBatch batch] })
        {
            Inner.WriteMessage(message, output);
            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var outgoing = batch[i];
            if (outgoing is { Payload: ChangeEvent change, Change: { } dispatched })
            {
                dispatched.Frames.Write(Inner, change, output);
            }
            else
            {
                Inner.WriteMessage(new InvocationMessage(outgoing.Method, [outgoing.Payload]), output);
            }
        }
    }

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteMessage(message, buffer);
        return buffer.WrittenMemory;
    }
}
