using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Platform.Server.Realtime;

/// <summary>
/// A hub protocol created at its first use rather than when the hub is mapped: SignalR resolves every registered
/// protocol when <c>MapHub</c> builds the hub's dispatcher, and MessagePack's (its assembly, its resolvers) is then
/// loaded by every server although most clients speak JSON (issue 13, item 5). Only <see cref="Name"/> is known
/// beforehand, which the protocol resolver reads to index the protocols; everything else (the version and transfer
/// format a handshake asks for, parsing, writing) creates the real protocol once and goes to it.
/// </summary>
internal sealed class DeferredHubProtocol(string name, Func<IHubProtocol> create) : IHubProtocol
{
    private readonly Lazy<IHubProtocol> _inner = new(
        () => create() is { } protocol && string.Equals(protocol.Name, name, StringComparison.Ordinal)
            ? protocol
            : throw new InvalidOperationException($"The deferred hub protocol '{name}' created a protocol of another name."),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether the real protocol exists yet (tests).</summary>
    public bool IsCreated => _inner.IsValueCreated;

    public string Name { get; } = name;

    public int Version => _inner.Value.Version;

    public TransferFormat TransferFormat => _inner.Value.TransferFormat;

    public bool IsVersionSupported(int version) => _inner.Value.IsVersionSupported(version);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
        _inner.Value.TryParseMessage(ref input, binder, out message);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => _inner.Value.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => _inner.Value.GetMessageBytes(message);
}
