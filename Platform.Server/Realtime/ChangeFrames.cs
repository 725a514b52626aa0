using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Platform.Server.Realtime;

/// <summary>
/// The wire frames of one change's events, encoded once per hub protocol and event type and shared by every recipient
/// (issue 13 item 1). Every recipient's <c>change</c> event carries the same type, id, document and sequence; only the
/// <c>subscriptionId</c> differs, and subscription ids all have the same length
/// (<see cref="RealtimeDispatcher.SubscriptionIdLength"/> lowercase hex characters). So the protocol itself writes the
/// frame once with a placeholder id, and each recipient's frame is that frame copied with its own id written over the
/// placeholder: byte for byte what the protocol would have written for it, without serializing the document again.
/// </summary>
internal sealed class ChangeFrames
{
    // Random per process, so that no document can hold it on purpose; a frame holding it twice is not shared anyway.
    private static readonly string Placeholder = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RealtimeDispatcher.SubscriptionIdLength / 2));
    private static readonly byte[] PlaceholderUtf8 = Encoding.UTF8.GetBytes(Placeholder);

    private Frame[] _frames = [];

    /// <summary>How many frames were encoded: one per protocol and event type that reached a recipient.</summary>
    public int Count => Volatile.Read(ref _frames).Length;

    /// <summary>
    /// Writes <paramref name="change"/> as an invocation of <c>change</c> in <paramref name="protocol"/>'s format:
    /// from the shared frame when it can be used, else (an id of another length, a frame without exactly one
    /// placeholder) by the protocol itself.
    /// </summary>
    public void Write(IHubProtocol protocol, ChangeEvent change, IBufferWriter<byte> output)
    {
        if (!TryGetShared(protocol, change, out var frame))
        {
            protocol.WriteMessage(new InvocationMessage(RealtimeEvents.Change, [change]), output);
            return;
        }

        var span = output.GetSpan(frame.Length);
        frame.CopyTo(span, change);
        output.Advance(frame.Length);
    }

    /// <summary>
    /// The shared frame <paramref name="change"/> is written from in <paramref name="protocol"/>'s format; false when it
    /// cannot be shared (an id of another length, a frame without exactly one placeholder) and the protocol must write it.
    /// </summary>
    public bool TryGetShared(IHubProtocol protocol, ChangeEvent change, out SharedFrame frame)
    {
        var encoded = FrameFor(protocol, change);
        if (encoded.Offset < 0 || change.SubscriptionId.Length != Placeholder.Length || !Ascii.IsValid(change.SubscriptionId))
        {
            frame = default;
            return false;
        }

        frame = new SharedFrame(encoded.Bytes, encoded.Offset);
        return true;
    }

    private Frame FrameFor(IHubProtocol protocol, ChangeEvent change)
    {
        var frames = Volatile.Read(ref _frames);
        foreach (var existing in frames)
        {
            if (ReferenceEquals(existing.Protocol, protocol) && string.Equals(existing.Type, change.Type, StringComparison.Ordinal))
            {
                return existing;
            }
        }

        var template = new ChangeEvent { SubscriptionId = Placeholder, Type = change.Type, Id = change.Id, Document = change.Document, Sequence = change.Sequence };
        var bytes = protocol.GetMessageBytes(new InvocationMessage(RealtimeEvents.Change, [template])).ToArray();
        var frame = new Frame(protocol, change.Type, bytes, SingleOffset(bytes));

        // Two workers may encode the same frame at once; either copy is right, and the array only grows.
        while (true)
        {
            var current = Volatile.Read(ref _frames);
            if (Interlocked.CompareExchange(ref _frames, [.. current, frame], current) == current)
            {
                return frame;
            }
        }
    }

    // Where the placeholder is, when it occurs exactly once; else -1.
    private static int SingleOffset(ReadOnlySpan<byte> bytes)
    {
        var first = bytes.IndexOf(PlaceholderUtf8);
        if (first < 0)
        {
            return -1;
        }

        var next = bytes[(first + PlaceholderUtf8.Length)..].IndexOf(PlaceholderUtf8);
        return next < 0 ? first : -1;
    }

    private sealed record Frame(IHubProtocol Protocol, string Type, byte[] Bytes, int Offset);
}

/// <summary>
/// One change's frame in one protocol, shared by every recipient: <see cref="CopyTo"/> writes a recipient's copy, with its
/// subscription id where the placeholder is.
/// </summary>
internal readonly struct SharedFrame(byte[] bytes, int idOffset)
{
    /// <summary>The frame's length in bytes.</summary>
    public int Length => bytes.Length;

    /// <summary>Writes the frame for <paramref name="change"/>'s subscription to the start of <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination, ChangeEvent change)
    {
        bytes.CopyTo(destination);
        Encoding.ASCII.GetBytes(change.SubscriptionId, destination.Slice(idOffset, RealtimeDispatcher.SubscriptionIdLength));
    }
}
