using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Realtime;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// A plain-HTTP websocket's frames written to its socket by the writing thread (<see cref="SocketOutputStream"/>,
/// <c>Baas:Realtime:SocketSends</c>, issue 13 item 1): over real Kestrel and websockets, order under a burst in both
/// protocols, a stalled reader that fills its socket neither delays others nor loses order, a client leaving mid-burst
/// ends only its own connection; and the stream itself over a real socket pair.
/// </summary>
public sealed class SocketSendTests
{
    private const char RecordSeparator = '\u001e';

    public static TheoryData<HubProtocol, bool> Protocols => new()
    {
        { HubProtocol.Json, false },
        { HubProtocol.Json, true },
        { HubProtocol.MessagePack, false },
        { HubProtocol.MessagePack, true },
    };

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Burst_GoesToTheSocketDirectly_EveryEventInOrder(HubProtocol protocol, bool directOutput)
    {
        await using var server = await RealtimeTestServer.StartAsync(Settings(directOutput: directOutput), fakeFeed: true);
        var counter = server.Server.Services.GetRequiredService<SocketSendCounter>();
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(protocol: protocol, query: "apikey=" + server.ApiKey);
        var subscription = await client.SubscribeAsync(collection);

        // Published without waiting: the dispatcher writes them as fast as it can.
        for (var i = 0; i < 300; i++)
        {
            server.Feed.Publish(collection, $"d{i}", ChangeKind.Insert, null, new JsonObject { ["_id"] = $"d{i}", ["n"] = i });
        }

        for (var i = 0; i < 300; i++)
        {
            var document = await client.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, $"d{i}");
            Assert.Equal(i, (int)document!["n"]!);
        }

        // One connection, whose writes went to its socket directly.
        Assert.True(
            counter.Connections == 1 && counter.Writes > 0,
            $"{counter.Connections} connections and {counter.Writes} writes (of which {counter.DeferredWrites} deferred) went to the socket directly");
    }

    [Fact]
    public void On_TheDefault() => Assert.True(new RealtimeOptions().SocketSends);

    [Fact]
    public async Task Off_KestrelsPath()
    {
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Realtime:SocketSends"] = "false" }, fakeFeed: true);
        var counter = server.Server.Services.GetRequiredService<SocketSendCounter>();
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        var subscription = await client.SubscribeAsync(collection);

        server.Feed.Publish(collection, "a", ChangeKind.Insert, null, new JsonObject { ["_id"] = "a" });

        await client.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, "a");
        Assert.Equal(0, counter.Connections);
        Assert.Equal(0, counter.Writes);
    }

    [Theory]
    [InlineData(HttpTransportType.ServerSentEvents)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task OtherTransports_KeepTheirPath(HttpTransportType transport)
    {
        await using var server = await RealtimeTestServer.StartAsync(Settings(directOutput: true), fakeFeed: true);
        var counter = server.Server.Services.GetRequiredService<SocketSendCounter>();
        var collection = await server.NewCollectionAsync();
        await using var client = new HubClient(new HubConnectionBuilder()
            .WithUrl(new Uri(server.HubUrl + "?apikey=" + server.ApiKey), transport)
            .Build());
        await client.Connection.StartAsync(TestContext.Current.CancellationToken);
        var subscription = await client.SubscribeAsync(collection);

        server.Feed.Publish(collection, "a", ChangeKind.Insert, null, new JsonObject { ["_id"] = "a" });

        await client.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, "a");
        Assert.Equal(0, counter.Connections);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StalledReader_FillsItsSocket_OthersGoOn_ThenItGetsItsEventsInOrderAndIsDropped(bool directOutput)
    {
        await using var server = await RealtimeTestServer.StartAsync(Settings(directOutput, new()
        {
            ["Baas:Realtime:SendQueueCapacity"] = "8",
        }), fakeFeed: true);
        using var metrics = new MetricWaiter(server);
        var counter = server.Server.Services.GetRequiredService<SocketSendCounter>();
        var collection = await server.NewCollectionAsync();
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var fast = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        var fastSubscription = await fast.SubscribeAsync(collection);

        // The stalled client reads nothing from here on: its receive buffer fills, then the server's send buffer, then the
        // connection's own queue, until the dispatcher's queue for it overflows. On a loaded machine the dispatcher's queue
        // can overflow first (the writer fell SendQueueCapacity behind before the socket was full): that run did not test
        // a full socket, so it is done again with a new stalled client, at most three times.
        WireClient? stalled = null;
        var prefix = "";
        var published = 0;
        var socketRefused = false;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            stalled?.Dispose();
            stalled = await WireClient.ConnectAsync(server, collection, cancellationToken);
            var deferredBefore = counter.DeferredWrites;
            var overflowed = metrics.WaitAsync("baas.realtime.overflows", 1);
            var big = new string('x', 256 * 1024);
            prefix = $"a{attempt}-";
            published = 0;
            while (!overflowed.IsCompleted && published < 500)
            {
                var id = prefix + published;
                server.Feed.Publish(collection, id, ChangeKind.Insert, null, new JsonObject { ["_id"] = id, ["payload"] = big });
                published++;
                // Every change reaches the client that reads, while the other one's socket is full.
                await fast.ExpectAsync(fastSubscription.SubscriptionId, RealtimeEvents.Added, id);
            }

            await overflowed.WaitAsync(HubClient.Patience, cancellationToken);
            socketRefused = counter.DeferredWrites > deferredBefore;
            if (socketRefused)
            {
                break;
            }
        }

        using var _ = stalled;
        Assert.True(socketRefused, "the stalled client's socket never refused a write");
        server.Feed.Publish(collection, "after", ChangeKind.Insert, null, new JsonObject { ["_id"] = "after" });
        await fast.ExpectAsync(fastSubscription.SubscriptionId, RealtimeEvents.Added, "after");

        // Reading again, the stalled client gets what was sent to it, in order and without a gap, then the resync (the
        // documented policy for a reader that fell SendQueueCapacity behind), then the connection ends.
        var ids = new List<string>();
        string? resync = null;
        await foreach (var frame in stalled!.FramesAsync(cancellationToken))
        {
            using var parsed = JsonDocument.Parse(frame);
            var target = parsed.RootElement.TryGetProperty("target", out var t) ? t.GetString() : null;
            if (target == RealtimeEvents.Change)
            {
                Assert.Null(resync);
                ids.Add(parsed.RootElement.GetProperty("arguments")[0].GetProperty("id").GetString()!);
            }
            else if (target == RealtimeEvents.Resync)
            {
                resync = parsed.RootElement.GetProperty("arguments")[0].GetProperty("reason").GetString();
            }
        }

        Assert.Equal(RealtimeDispatcher.OverflowReason, resync);
        Assert.NotEmpty(ids);
        Assert.Equal(Enumerable.Range(0, ids.Count).Select(i => prefix + i), ids);
        Assert.True(ids.Count < published, $"received {ids.Count} of {published}");
    }

    [Fact]
    public async Task ClientLeavingMidBurst_EndsOnlyItsConnection()
    {
        await using var server = await RealtimeTestServer.StartAsync(Settings(directOutput: true), fakeFeed: true);
        using var metrics = new MetricWaiter(server);
        var collection = await server.NewCollectionAsync();
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var stays = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        var subscription = await stays.SubscribeAsync(collection);
        var leaving = await WireClient.ConnectAsync(server, collection, cancellationToken);
        var left = metrics.WaitAsync("baas.realtime.connections", -1);

        var big = new string('x', 16 * 1024);
        for (var i = 0; i < 200; i++)
        {
            if (i == 20)
            {
                // Gone without a close frame while the server is writing to it.
                leaving.Dispose();
            }

            server.Feed.Publish(collection, $"d{i}", ChangeKind.Insert, null, new JsonObject { ["_id"] = $"d{i}", ["payload"] = big });
        }

        for (var i = 0; i < 200; i++)
        {
            await stays.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, $"d{i}");
        }

        await left.WaitAsync(HubClient.Patience, cancellationToken);
        server.Feed.Publish(collection, "after", ChangeKind.Insert, null, new JsonObject { ["_id"] = "after" });
        await stays.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, "after");
    }

    [Fact]
    public async Task Stream_BeforeTheClientSpoke_WritesGoThroughKestrel_Throughout()
    {
        using var pair = await SocketPair.OpenAsync();
        var inner = new FakeUpgradedStream();
        await using var stream = new SocketOutputStream(inner, pair.Server, 64 * 1024, new SocketSendCounter());

        await stream.WriteAsync("early"u8.ToArray(), TestContext.Current.CancellationToken);
        inner.Incoming.Writer.Write("x"u8);
        await inner.Incoming.Writer.FlushAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, await stream.ReadAsync(new byte[8], TestContext.Current.CancellationToken));
        await stream.WriteAsync("late"u8.ToArray(), TestContext.Current.CancellationToken);

        Assert.False(stream.IsDirect);
        Assert.Equal("earlylate", Encoding.ASCII.GetString(inner.Written.ToArray()));
        Assert.Equal(0, pair.Client.Available);
    }

    [Fact]
    public async Task Stream_PeerNotReading_QueuesBeyondTheSocket_WaitsPastTheLimit_ThenDeliversAllInOrder()
    {
        using var pair = await SocketPair.OpenAsync();
        var counter = new SocketSendCounter();
        var (stream, _) = await DirectStreamAsync(pair, limit: 64 * 1024, counter);
        var cancellationToken = TestContext.Current.CancellationToken;
        var chunk = new byte[8 * 1024];
        var sent = new MemoryStream();
        var written = 0;

        // Writes complete at once until the socket is full and the queue holds more than its limit.
        ValueTask write;
        while (true)
        {
            chunk.AsSpan().Fill((byte)(written % 251));
            write = stream.WriteAsync(chunk, cancellationToken);
            sent.Write(chunk);
            written++;
            if (!write.IsCompleted)
            {
                break;
            }

            await write;
            Assert.True(written < 100_000, "the socket never filled");
        }

        Assert.True(counter.DeferredWrites > 0);
        Assert.True(stream.QueuedBytes > 64 * 1024);

        // The peer reads: the queue drains, the waiting write completes, and every byte arrives in order.
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var reading = Task.Run(async () =>
        {
            while (received.Length < sent.Length)
            {
                var count = await pair.Client.ReceiveAsync(buffer, cancellationToken);
                Assert.NotEqual(0, count);
                received.Write(buffer, 0, count);
            }
        }, cancellationToken);
        await write.AsTask().WaitAsync(HubClient.Patience, cancellationToken);
        await reading.WaitAsync(HubClient.Patience, cancellationToken);
        Assert.Equal(sent.ToArray(), received.ToArray());
        await stream.CloseAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Stream_PeerGoneOrSocketDisposed_WritesFailAsIOException_CloseDoesNotThrow()
    {
        using var pair = await SocketPair.OpenAsync();
        var (stream, _) = await DirectStreamAsync(pair, limit: 1024, new SocketSendCounter());
        var cancellationToken = TestContext.Current.CancellationToken;

        // Fill the socket, so a send is in flight asynchronously when the socket goes (as Kestrel aborting the connection).
        var chunk = new byte[8 * 1024];
        ValueTask pending;
        do
        {
            pending = stream.WriteAsync(chunk, cancellationToken);
        }
        while (pending.IsCompleted);

        pair.Server.Dispose();

        await Assert.ThrowsAsync<IOException>(async () => await pending.AsTask().WaitAsync(HubClient.Patience, cancellationToken));
        await Assert.ThrowsAsync<IOException>(async () => await stream.WriteAsync(chunk, cancellationToken));
        await stream.CloseAsync(TimeSpan.FromSeconds(1)).WaitAsync(HubClient.Patience, cancellationToken);
    }

    [Fact]
    public async Task Stream_Close_WaitsForTheQueue_ThenGivesUpAfterTheGrace()
    {
        using var pair = await SocketPair.OpenAsync();
        var (stream, _) = await DirectStreamAsync(pair, limit: 1 << 30, new SocketSendCounter());
        var cancellationToken = TestContext.Current.CancellationToken;
        var chunk = new byte[64 * 1024];
        while (stream.QueuedBytes == 0)
        {
            await stream.WriteAsync(chunk, cancellationToken);
        }

        // Nobody reads: the grace passes, the queued bytes are dropped, and the stream takes no more.
        await stream.CloseAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(HubClient.Patience, cancellationToken);

        Assert.Equal(0, stream.QueuedBytes);
        await Assert.ThrowsAsync<IOException>(async () => await stream.WriteAsync(chunk, cancellationToken));
    }

    [Fact]
    public async Task Stream_TakesWholeDataFramesInOrderWithTheWebSocketsOwn_NoneAfterItsCloseFrame()
    {
        using var pair = await SocketPair.OpenAsync();
        var (stream, _) = await DirectStreamAsync(pair, limit: 64 * 1024, new SocketSendCounter());
        var cancellationToken = TestContext.Current.CancellationToken;
        using var websocket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Timeout.InfiniteTimeSpan });
        byte[] around = [0x81, 0x01, (byte)'b'];

        await websocket.SendAsync("a"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        Assert.True(stream.TrySendFrame(around, out var room));
        Assert.Null(room);
        await websocket.SendAsync("c"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        await websocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);

        // RFC 6455: nothing after the close frame.
        Assert.False(stream.TrySendFrame(around, out _));
        byte[] expected = [0x81, 0x01, (byte)'a', 0x81, 0x01, (byte)'b', 0x81, 0x01, (byte)'c', 0x88, 0x02, 0x03, 0xE8];
        var received = new byte[expected.Length + 16];
        var read = 0;
        while (read < expected.Length)
        {
            read += await pair.Client.ReceiveAsync(received.AsMemory(read), cancellationToken).AsTask().WaitAsync(HubClient.Patience, cancellationToken);
        }

        Assert.Equal(expected, received[..read]);
        await stream.CloseAsync(TimeSpan.FromSeconds(1));
    }

    private static Dictionary<string, string?> Settings(bool directOutput, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Baas:Realtime:SocketSends"] = "true",
            ["Baas:Realtime:DirectWebSocketSends"] = directOutput ? "true" : "false",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    // A stream that writes to the socket: the peer has spoken (one byte read through Kestrel's side).
    private static async Task<(SocketOutputStream Stream, FakeUpgradedStream Inner)> DirectStreamAsync(SocketPair pair, int limit, SocketSendCounter counter)
    {
        var inner = new FakeUpgradedStream();
        var stream = new SocketOutputStream(inner, pair.Server, limit, counter);
        inner.Incoming.Writer.Write("x"u8);
        await inner.Incoming.Writer.FlushAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, await stream.ReadAsync(new byte[1], TestContext.Current.CancellationToken));
        await stream.WriteAsync("hello"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.True(stream.IsDirect);
        var hello = new byte[5];
        var read = 0;
        while (read < hello.Length)
        {
            read += await pair.Client.ReceiveAsync(hello.AsMemory(read), TestContext.Current.CancellationToken);
        }

        Assert.Equal("hello", Encoding.ASCII.GetString(hello));
        return (stream, inner);
    }

    /// <summary>A connected loopback socket pair; the client's receive buffer is small, so it fills quickly.</summary>
    private sealed class SocketPair : IDisposable
    {
        private SocketPair(Socket server, Socket client)
        {
            Server = server;
            Client = client;
        }

        public Socket Server { get; }

        public Socket Client { get; }

        public static async Task<SocketPair> OpenAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken);
            var server = await listener.AcceptAsync(TestContext.Current.CancellationToken);
            server.SendBufferSize = 4096;
            return new SocketPair(server, client);
        }

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }

    /// <summary>Kestrel's side of an upgraded connection: reads what the test feeds it, records what is written to it.</summary>
    private sealed class FakeUpgradedStream : Stream
    {
        private readonly Stream _reads;

        public FakeUpgradedStream() => _reads = Incoming.Reader.AsStream();

        public Pipe Incoming { get; } = new();

        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _reads.ReadAsync(buffer, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => _reads.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written.Write(buffer.Span);
            return default;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>A client speaking SignalR's JSON protocol over a websocket whose socket has a small receive buffer.</summary>
    private sealed class WireClient : IDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly HttpMessageInvoker _invoker;

        private WireClient(ClientWebSocket socket, HttpMessageInvoker invoker)
        {
            _socket = socket;
            _invoker = invoker;
        }

        public static async Task<WireClient> ConnectAsync(RealtimeTestServer server, string collection, CancellationToken cancellationToken)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, token) =>
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            var invoker = new HttpMessageInvoker(handler);
            var socket = new ClientWebSocket();
            var url = new UriBuilder(server.HubUrl) { Scheme = "ws", Query = "apikey=" + server.ApiKey }.Uri;
            await socket.ConnectAsync(url, invoker, cancellationToken);
            var client = new WireClient(socket, invoker);
            await client.SendAsync("""{"protocol":"json","version":1}""", cancellationToken);
            await client.SendAsync($$"""{"type":1,"invocationId":"1","target":"Subscribe","arguments":[{"collection":"{{collection}}"}]}""", cancellationToken);
            await foreach (var frame in client.FramesAsync(cancellationToken))
            {
                if (frame.Contains("\"invocationId\":\"1\"", StringComparison.Ordinal))
                {
                    Assert.Contains("subscriptionId", frame, StringComparison.Ordinal);
                    return client;
                }
            }

            throw new InvalidOperationException("The connection ended before the subscription was answered.");
        }

        /// <summary>The JSON frames the server sends, until it closes the connection (or the connection breaks).</summary>
        public async IAsyncEnumerable<string> FramesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var buffer = new byte[16 * 1024];
            var pending = new List<byte>();
            while (true)
            {
                ValueWebSocketReceiveResult received;
                try
                {
                    received = await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).AsTask().WaitAsync(HubClient.Patience, cancellationToken);
                }
                catch (WebSocketException)
                {
                    yield break;
                }

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    yield break;
                }

                pending.AddRange(buffer.AsSpan(0, received.Count));
                int end;
                while ((end = pending.IndexOf((byte)RecordSeparator)) >= 0)
                {
                    var frame = Encoding.UTF8.GetString([.. pending.Take(end)]);
                    pending.RemoveRange(0, end + 1);
                    if (frame != "{}" && !frame.StartsWith("{\"type\":6", StringComparison.Ordinal))
                    {
                        yield return frame;
                    }
                }
            }
        }

        public void Dispose()
        {
            _socket.Abort();
            _socket.Dispose();
            _invoker.Dispose();
        }

        private Task SendAsync(string frame, CancellationToken cancellationToken) =>
            _socket.SendAsync(Encoding.UTF8.GetBytes(frame + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
    }
}
