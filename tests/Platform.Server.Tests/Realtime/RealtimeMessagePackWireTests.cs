using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using MessagePack;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Server.Storage.Changes;
using Platform.Server.Tests.Hosting;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// An attacker's MessagePack: SignalR's MessagePack frames (a varint length, then the message) written by hand, with what
/// no MessagePack library writes: text that is not UTF-8 (a lone surrogate as CESU-8 bytes among it), lengths the message
/// does not hold, nesting without end, extension types and binary data where text belongs. Each call is refused with the
/// JSON protocol's code for the same mistake, naming the member, on a connection that goes on serving; nothing is logged
/// at Warning or above or with an exception, and another connection never notices.
/// </summary>
public sealed class RealtimeMessagePackWireTests
{
    private delegate void Write(ref MessagePackWriter writer);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HandWrittenMessagePack_IsRefusedNamingTheMember_WithoutLoudLogs_AndOtherConnectionsCarryOn()
    {
        var capture = new CapturingLoggerProvider();
        await using var server = await RealtimeTestServer.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Debug" },
            fakeFeed: true,
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));
        var collection = await server.NewCollectionAsync();
        await using var bystander = await server.ConnectAsync(protocol: HubProtocol.MessagePack, query: "apikey=" + server.ApiKey);
        var watching = await bystander.SubscribeAsync(collection);
        using var socket = await ConnectAsync(server);
        var frames = new FrameReader(socket);

        byte[] Member(string name, byte[] value) => Subscribe(Request(("collection", Text(collection)), (name, value)));
        byte[] Filter(params (string Name, byte[] Value)[] members) => Member("filter", Map(members));
        var cases = new (string Case, byte[] Frame, string Code, string At)[]
        {
            ("collection not UTF-8", Subscribe(Request(("collection", Raw(0x61, 0xFF, 0x62)))), "invalid_unicode", "(at collection)"),
            ("collection a lone surrogate as CESU-8", Subscribe(Request(("collection", Raw(0xED, 0xA0, 0x80)))), "invalid_unicode", "(at collection)"),
            ("id a truncated sequence", Member("id", Raw(0xC3)), "invalid_unicode", "(at id)"),
            ("resumeAfter a low surrogate as CESU-8", Member("resumeAfter", Raw(0x31, 0xED, 0xB0, 0x80)), "invalid_unicode", "(at resumeAfter)"),
            ("a member name not UTF-8", Subscribe(Value((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.WriteString([0xFF]); w.Write(1); })), "invalid_unicode", "(at request)"),
            ("a filter value not UTF-8", Filter(("title", Raw(0xFE))), "invalid_unicode", "(at filter.title)"),
            ("a filter name a lone surrogate", Member("filter", Value((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.WriteString([0xED, 0xA0, 0x80]); w.Write(1); })), "invalid_unicode", "(at filter)"),
            ("a str where the request map belongs", Subscribe(Text(collection)), "invalid_request", "(at request)"),
            ("bin where collection's text belongs", Subscribe(Request(("collection", Value((ref MessagePackWriter w) => w.Write(new byte[] { 0x61, 0x62 }))))), "invalid_request", "(at collection)"),
            ("bin as a filter value", Filter(("title", Value((ref MessagePackWriter w) => w.Write(new byte[] { 0x61 })))), "invalid_filter", "(at filter.title)"),
            ("an extension type as a filter value", Filter(("due", Value((ref MessagePackWriter w) => { w.WriteExtensionFormatHeader(new ExtensionHeader(5, 2)); w.WriteRaw([1, 2]); }))), "invalid_filter", "(at filter.due)"),
            ("a timestamp as a filter value", Filter(("due", Value((ref MessagePackWriter w) => w.Write(DateTime.UnixEpoch)))), "invalid_filter", "(at filter.due)"),
            ("a filter name that is not text", Member("filter", Value((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write(7); w.Write(1); })), "invalid_filter", "(at filter)"),
            ("a filter name twice", Member("filter", Value((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("n"); w.Write(1); w.Write("n"); w.Write(2); })), "duplicate_key", "(at filter.n)"),
            ("a collection declaring 2 GiB of text", Subscribe(Request(("collection", Value((ref MessagePackWriter w) => { w.WriteRaw(Str32Header); w.WriteRaw("abc"u8); })))), "invalid_request", "(at collection)"),
            ("a request map declaring 2^32-1 members", Subscribe(Value((ref MessagePackWriter w) => { w.WriteMapHeader(uint.MaxValue); w.Write("collection"); })), "invalid_request", "(at request)"),
            ("a filter array declaring 2^32-1 items", Filter(("tags", Map(("$in", Value((ref MessagePackWriter w) => w.WriteArrayHeader(uint.MaxValue)))))), "invalid_request", "(at filter.tags.$in)"),
            ("a filter nested 1,000 deep", Member("filter", Nested(1000)), "invalid_filter", "(at filter"),
            ("Unsubscribe's id not UTF-8", Invocation("Unsubscribe", Raw(0x73, 0xFF)), "invalid_unicode", "(at subscriptionId)"),
            ("Unsubscribe's id a lone surrogate as CESU-8", Invocation("Unsubscribe", Raw(0xED, 0xBF, 0xBF)), "invalid_unicode", "(at subscriptionId)"),
            ("Unsubscribe's id declaring 2 GiB of text", Invocation("Unsubscribe", Value((ref MessagePackWriter w) => { w.WriteRaw(Str32Header); w.WriteRaw("s"u8); })), "invalid_request", "(at subscriptionId)"),
            ("Unsubscribe's id bin", Invocation("Unsubscribe", Value((ref MessagePackWriter w) => w.Write(new byte[] { 0x73 }))), "invalid_request", "(at subscriptionId)"),
            ("Unsubscribe's id an extension type", Invocation("Unsubscribe", Value((ref MessagePackWriter w) => { w.WriteExtensionFormatHeader(new ExtensionHeader(9, 1)); w.WriteRaw([0]); })), "invalid_request", "(at subscriptionId)"),
        };

        var refusals = new List<string>();
        foreach (var (name, frame, code, at) in cases)
        {
            await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, Ct);
            var error = await frames.NextErrorAsync(Ct);
            Assert.True(error is not null, $"{name}: answered without an error.");
            var refusal = error.Contains("HubException: ", StringComparison.Ordinal) ? error[(error.IndexOf("HubException: ", StringComparison.Ordinal) + "HubException: ".Length)..] : error;
            Assert.True(refusal.StartsWith(code + ": ", StringComparison.Ordinal) && refusal.Contains(at, StringComparison.Ordinal), $"{name}: expected {code} {at}, got: {error}");
            refusals.Add(refusal);
        }

        // The connection still serves, and the other one still gets its events.
        await socket.SendAsync(Subscribe(Request(("collection", Text(collection)))), WebSocketMessageType.Binary, endOfMessage: true, Ct);
        Assert.Null(await frames.NextErrorAsync(Ct));
        server.Feed.Publish(collection, "after", ChangeKind.Insert, null, new() { ["_id"] = "after", ["_version"] = 1 });
        await bystander.ExpectAsync(watching.SubscriptionId, "added", "after");

        var loud = capture.Entries.Where(e => e.Level >= LogLevel.Warning || (e.Exception is not null && e.Level >= LogLevel.Information)).ToList();
        Assert.True(loud.Count == 0, "Logged at Warning or above, or with an exception: " + string.Join("\n", loud.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception?.GetType().Name}")));
    }

    [Fact]
    public async Task AFrameDeclaring2GiB_ClosesThatConnectionAtTheMessageSizeLimit_WithoutLoudLogs_AndOthersCarryOn()
    {
        var capture = new CapturingLoggerProvider();
        await using var server = await RealtimeTestServer.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Debug" },
            fakeFeed: true,
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));
        var collection = await server.NewCollectionAsync();
        await using var bystander = await server.ConnectAsync(protocol: HubProtocol.MessagePack, query: "apikey=" + server.ApiKey);
        var watching = await bystander.SubscribeAsync(collection);
        using var socket = await ConnectAsync(server);

        // The varint prefix of SignalR's framing says 2^31-1 bytes follow; 40 KiB do, past the 32 KiB a message may have.
        await socket.SendAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x07 }, WebSocketMessageType.Binary, endOfMessage: false, Ct);
        await socket.SendAsync(new byte[40 * 1024], WebSocketMessageType.Binary, endOfMessage: true, Ct);
        var closed = false;
        var buffer = new byte[4096];
        try
        {
            while (!closed)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), Ct).AsTask().WaitAsync(HubClient.Patience, Ct);
                closed = received.MessageType == WebSocketMessageType.Close;
            }
        }
        catch (WebSocketException)
        {
            closed = true;
        }

        Assert.True(closed);
        server.Feed.Publish(collection, "after", ChangeKind.Insert, null, new() { ["_id"] = "after", ["_version"] = 1 });
        await bystander.ExpectAsync(watching.SubscriptionId, "added", "after");
        var loud = capture.Entries.Where(e => e.Level >= LogLevel.Warning || (e.Exception is not null && e.Level >= LogLevel.Information)).ToList();
        Assert.True(loud.Count == 0, "Logged at Warning or above, or with an exception: " + string.Join("\n", loud.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception?.GetType().Name}")));
    }

    [Fact]
    public void SubscribeFormatter_ALengthBeyondTheMessage_IsRefusedWithoutAllocatingIt()
    {
        // A 2 GiB string, map and array declared in a few bytes: nothing of that size is allocated before the refusal.
        var formatter = new Platform.Server.Realtime.SubscribeRequestMessagePackFormatter();
        var options = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);
        foreach (var bytes in new[]
        {
            Request(("collection", Value((ref MessagePackWriter w) => { w.WriteRaw(Str32Header); w.WriteRaw("abc"u8); }))),
            Value((ref MessagePackWriter w) => { w.WriteMapHeader(uint.MaxValue); w.Write("collection"); }),
            Request(("collection", Text("c")), ("filter", Value((ref MessagePackWriter w) => w.WriteArrayHeader(int.MaxValue)))),
            Request(("collection", Text("c")), ("filter", Value((ref MessagePackWriter w) => w.WriteMapHeader(int.MaxValue)))),
        })
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var refusal = Assert.ThrowsAny<Exception>(() =>
            {
                var reader = new MessagePackReader(bytes);
                formatter.Deserialize(ref reader, options);
            });
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, $"Allocated {GC.GetAllocatedBytesForCurrentThread() - before} bytes.");
            Assert.StartsWith("invalid_request: ", refusal.Message, StringComparison.Ordinal);
        }
    }

    private static async Task<ClientWebSocket> ConnectAsync(RealtimeTestServer server)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(server.HubUrl) { Scheme = "ws", Query = "apikey=" + server.ApiKey }.Uri, Ct);
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"messagepack\",\"version\":1}\u001e"), WebSocketMessageType.Text, endOfMessage: true, Ct);
        var buffer = new byte[64];
        var handshake = await socket.ReceiveAsync(buffer, Ct);
        Assert.Equal("{}\u001e", Encoding.UTF8.GetString(buffer, 0, handshake.Count));
        return socket;
    }

    private static byte[] Subscribe(byte[] argument) => Invocation("Subscribe", argument);

    /// <summary>An invocation message, <c>[1, {}, id, target, [arguments]]</c>, framed with its varint length.</summary>
    private static byte[] Invocation(string target, params byte[][] arguments)
    {
        var message = Value((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(5);
            w.Write(1);
            w.WriteMapHeader(0);
            w.Write(Guid.NewGuid().ToString("N"));
            w.Write(target);
            w.WriteArrayHeader(arguments.Length);
            foreach (var argument in arguments)
            {
                w.WriteRaw(argument);
            }
        });
        var framed = new List<byte>();
        for (var length = (uint)message.Length; ; length >>= 7)
        {
            framed.Add((byte)(length < 0x80 ? length : (length & 0x7F) | 0x80));
            if (length < 0x80)
            {
                break;
            }
        }

        framed.AddRange(message);
        return [.. framed];
    }

    private static byte[] Value(Write write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    // str32 declaring 2^31-1 bytes (the writer itself will not write a header it cannot back with bytes).
    private static readonly byte[] Str32Header = [0xDB, 0x7F, 0xFF, 0xFF, 0xFF];

    private static byte[] Text(string text) => Value((ref MessagePackWriter w) => w.Write(text));

    /// <summary>A <c>str</c> holding these bytes as they are, UTF-8 or not.</summary>
    private static byte[] Raw(params byte[] bytes) => Value((ref MessagePackWriter w) => w.WriteString(bytes));

    private static byte[] Request(params (string Name, byte[] Value)[] members) => Map(members);

    private static byte[] Map(params (string Name, byte[] Value)[] members) => Value((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(members.Length);
        foreach (var (name, value) in members)
        {
            w.Write(name);
            w.WriteRaw(value);
        }
    });

    private static byte[] Nested(int depth) => Value((ref MessagePackWriter w) =>
    {
        for (var i = 0; i < depth; i++)
        {
            w.WriteMapHeader(1);
            w.Write("a");
        }

        w.WriteNil();
    });

    /// <summary>Reads SignalR MessagePack frames until a completion: its error, or null for a result.</summary>
    private sealed class FrameReader(ClientWebSocket socket)
    {
        private readonly List<byte> _pending = [];

        public async Task<string?> NextErrorAsync(CancellationToken cancellationToken)
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                if (TryTakeFrame(out var message))
                {
                    var reader = new MessagePackReader(message);
                    reader.ReadArrayHeader();
                    if (reader.ReadInt32() != 3)
                    {
                        continue;
                    }

                    reader.Skip();
                    reader.Skip();
                    return reader.ReadInt32() == 1 ? reader.ReadString() : null;
                }

                var received = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).AsTask().WaitAsync(HubClient.Patience, cancellationToken);
                Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
                _pending.AddRange(buffer.AsSpan(0, received.Count));
            }
        }

        private bool TryTakeFrame(out byte[] message)
        {
            message = [];
            var length = 0;
            var at = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (at >= _pending.Count)
                {
                    return false;
                }

                var b = _pending[at++];
                length |= (b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            if (_pending.Count - at < length)
            {
                return false;
            }

            message = [.. _pending.GetRange(at, length)];
            _pending.RemoveRange(0, at + length);
            return true;
        }
    }
}
