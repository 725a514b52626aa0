using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Realtime;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// Change events written to a websocket's socket around the hub (<see cref="DirectChangeSender"/>, issue 13 item 1): only
/// where every write of the connection goes to its socket on the writing thread, with the frame the websocket itself would
/// have written.
/// </summary>
public sealed class DirectChangeSenderTests
{
    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task IdleConnection_GetsEveryEventAroundTheHub_InOrder(HubProtocol protocol)
    {
        await using var server = await RealtimeTestServer.StartAsync(fakeFeed: true);
        var counter = server.Server.Services.GetRequiredService<DirectSendCounter>();
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(protocol: protocol, query: "apikey=" + server.ApiKey);
        var subscription = await client.SubscribeAsync(collection);

        // One at a time: the connection has nothing queued when a change is dispatched, so the dispatcher writes it (unless
        // the connection's worker still holds the send turn for the one before: then the hub sends it, in order all the same).
        for (var i = 0; i < 30; i++)
        {
            server.Feed.Publish(collection, $"d{i}", ChangeKind.Insert, null, new JsonObject { ["_id"] = $"d{i}", ["n"] = i });
            var document = await client.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, $"d{i}");
            Assert.Equal(i, (int)document!["n"]!);
        }

        Assert.InRange(counter.ChangeFrames, 1, 30);
    }

    [Theory]
    [InlineData("SocketSends")]
    [InlineData("DirectWebSocketSends")]
    public async Task EitherOptionOff_EventsGoThroughTheHub(string option)
    {
        // Without socket sends a frame written around the hub could overtake one in Kestrel's output pipe; without direct
        // output, one in SignalR's pipe (a Subscribe result ahead of its events).
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Realtime:" + option] = "false" }, fakeFeed: true);
        var counter = server.Server.Services.GetRequiredService<DirectSendCounter>();
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        var subscription = await client.SubscribeAsync(collection);

        for (var i = 0; i < 5; i++)
        {
            server.Feed.Publish(collection, $"d{i}", ChangeKind.Insert, null, new JsonObject { ["_id"] = $"d{i}" });
            await client.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, $"d{i}");
        }

        Assert.Equal(0, counter.ChangeFrames);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(125, false)]
    [InlineData(126, true)]
    [InlineData(127, false)]
    [InlineData(65_535, false)]
    [InlineData(65_536, true)]
    [InlineData(70_000, false)]
    public async Task Header_IsWhatTheWebSocketWrites_InOneWriteWithItsPayload(int length, bool binary)
    {
        var payload = new byte[length];
        Random.Shared.NextBytes(payload);
        var writes = new RecordingStream();
        using var websocket = WebSocket.CreateFromStream(writes, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Timeout.InfiniteTimeSpan });

        await websocket.SendAsync(payload, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken);

        // One write per frame is what lets the socket's stream tell the websocket's close frame by its first byte.
        var written = Assert.Single(writes.Writes);
        var expected = new byte[DirectChangeSender.HeaderLength(length) + length];
        var header = DirectChangeSender.WriteHeader(expected, binary, length);
        payload.CopyTo(expected.AsSpan(header));
        Assert.Equal(expected, written);
    }

    [Fact]
    public async Task CloseFrame_IsOneWriteStartingWith0x88()
    {
        var writes = new RecordingStream();
        using var websocket = WebSocket.CreateFromStream(writes, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Timeout.InfiniteTimeSpan });

        await websocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", TestContext.Current.CancellationToken);

        Assert.Equal(0x88, Assert.Single(writes.Writes)[0]);
    }

    /// <summary>Records each write separately.</summary>
    private sealed class RecordingStream : Stream
    {
        public List<byte[]> Writes { get; } = [];

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);

        public override void Write(byte[] buffer, int offset, int count) => Writes.Add(buffer.AsSpan(offset, count).ToArray());

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
