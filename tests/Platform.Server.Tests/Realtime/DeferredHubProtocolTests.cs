using System.Buffers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Realtime;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// Issue 13 item 5: SignalR's MessagePack protocol is created at the first client that speaks it, not when the hub is
/// mapped; until then only its name is known, and once created it answers exactly as MessagePack's own protocol.
/// (A MessagePack client's first connection to a fresh server: <c>RealtimeHubTests</c>, the MessagePack cases.)
/// </summary>
public sealed class DeferredHubProtocolTests
{
    [Fact]
    public void Name_IsMessagePacksOwn()
    {
        var name = new MessagePackHubProtocol().Name;

        Assert.Equal(RealtimeServiceCollectionExtensions.MessagePackProtocolName, name);
    }

    [Fact]
    public void RegisteredProtocols_ResolvedWithTheHub_DoNotCreateMessagePack_UntilItsFirstUse()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddBaasRealtime(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        using var provider = services.BuildServiceProvider();

        // What SignalR's protocol resolver does when the hub is mapped: resolve every protocol and index it by name.
        var protocols = provider.GetServices<IHubProtocol>().Cast<SharedFrameHubProtocol>().ToDictionary(p => p.Name, p => p.Inner);
        Assert.Equal(["json", "messagepack"], protocols.Keys.Order(StringComparer.Ordinal));
        var deferred = Assert.IsType<DeferredHubProtocol>(protocols["messagepack"]);
        Assert.False(deferred.IsCreated);

        // A handshake asks for the version: the real protocol is created then, and answers as MessagePack's does.
        var messagePack = new MessagePackHubProtocol();
        Assert.Equal(messagePack.Version, deferred.Version);
        Assert.True(deferred.IsCreated);
        Assert.Equal(messagePack.TransferFormat, deferred.TransferFormat);
        var message = new InvocationMessage("change", ["x", 42]);
        Assert.Equal(messagePack.GetMessageBytes(message).ToArray(), deferred.GetMessageBytes(message).ToArray());

        var buffer = new ArrayBufferWriter<byte>();
        deferred.WriteMessage(message, buffer);
        var input = new ReadOnlySequence<byte>(buffer.WrittenMemory);
        Assert.True(deferred.TryParseMessage(ref input, new Binder(), out var parsed));
        Assert.Equal("change", Assert.IsType<InvocationMessage>(parsed).Target);
    }

    [Fact]
    public void ProtocolOfAnotherName_IsRefused()
    {
        var deferred = new DeferredHubProtocol("messagepack", () => SharedFrameHubProtocolTests.Protocol("json"));

        Assert.Throws<InvalidOperationException>(() => deferred.Version);
    }

    private sealed class Binder : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [typeof(string), typeof(int)];

        public Type GetReturnType(string invocationId) => typeof(object);

        public Type GetStreamItemType(string streamId) => typeof(object);
    }
}
