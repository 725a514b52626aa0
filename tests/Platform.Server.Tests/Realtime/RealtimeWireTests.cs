using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// The <c>change</c> event on the wire, read as raw websocket text by a client that speaks SignalR's JSON protocol by
/// hand: byte for byte what the server sent before events were encoded once per change (issue 13 item 1), field order,
/// number forms and string escapes included.
/// </summary>
public sealed class RealtimeWireTests
{
    private const char RecordSeparator = '\u001e';

    [Fact]
    public async Task Change_OnTheWire_IsByteForByteTheJsonFrameAsBefore()
    {
        await using var server = await RealtimeTestServer.StartAsync(fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        var cancellationToken = TestContext.Current.CancellationToken;
        using var socket = new ClientWebSocket();
        var url = new UriBuilder(server.HubUrl) { Scheme = "ws", Query = "apikey=" + server.ApiKey }.Uri;
        await socket.ConnectAsync(url, cancellationToken);
        var frames = new FrameReader(socket);

        await SendAsync(socket, """{"protocol":"json","version":1}""");
        Assert.Equal("{}", await frames.NextAsync(cancellationToken));
        await SendAsync(socket, $$"""{"type":1,"invocationId":"1","target":"Subscribe","arguments":[{"collection":"{{collection}}"}]}""");
        var completion = JsonNode.Parse(await frames.NextAsync(cancellationToken))!;
        var subscriptionId = completion["result"]!["subscriptionId"]!.GetValue<string>();

        var document = JsonNode.Parse("""
            {"_id":"w1","title":"Ünï <b>&</b> \"q\" 'single' \\ /s\n\ttab","emoji":"😀","n":42,"pi":3.5,"big":1e300,"neg":-0.25,
             "ok":true,"none":null,"tags":["x",1,{"k":[]},[2.5,null]],"deep":{"z":1,"a":{"b":"c"}},"_version":1}
            """)!.AsObject();
        var change = server.Feed.Publish(collection, "w1", ChangeKind.Insert, null, document);

        var expected = "{\"type\":1,\"target\":\"change\",\"arguments\":[{\"subscriptionId\":\"" + subscriptionId
            + "\",\"type\":\"added\",\"id\":\"w1\",\"document\":{\"_id\":\"w1\",\"title\":\"Ünï <b>&</b> \\\"q\\\" 'single' \\\\ /s\\n\\ttab\","
            + "\"emoji\":\"\\uD83D\\uDE00\",\"n\":42,\"pi\":3.5,\"big\":1E+300,\"neg\":-0.25,\"ok\":true,\"none\":null,"
            + "\"tags\":[\"x\",1,{\"k\":[]},[2.5,null]],\"deep\":{\"z\":1,\"a\":{\"b\":\"c\"}},\"_version\":1},"
            + "\"sequence\":\"" + change.Sequence + "\"}]}";
        Assert.Equal(expected, await frames.NextChangeAsync(cancellationToken));
    }

    [Fact]
    public async Task LoneSurrogateInARequest_IsInvalidUnicodeNamingTheMember_AndTheConnectionStays()
    {
        // Sent by hand: the .NET client will not write an escaped lone surrogate. Before, Subscribe answered that its
        // arguments "could not be bound" and Unsubscribe "An unexpected error occurred" (an InvalidOperationException logged
        // at Error level).
        await using var server = await RealtimeTestServer.StartAsync(fakeFeed: true);
        var collection = await server.NewCollectionAsync();
        var cancellationToken = TestContext.Current.CancellationToken;
        using var socket = new ClientWebSocket();
        var url = new UriBuilder(server.HubUrl) { Scheme = "ws", Query = "apikey=" + server.ApiKey }.Uri;
        await socket.ConnectAsync(url, cancellationToken);
        var frames = new FrameReader(socket);
        await SendAsync(socket, """{"protocol":"json","version":1}""");
        Assert.Equal("{}", await frames.NextAsync(cancellationToken));

        var cases = new (string Request, string At)[]
        {
            ("""{"collection":"\ud800"}""", "(at collection)"),
            ("""{"collection":"c","id":"a\udc00"}""", "(at id)"),
            ("""{"collection":"c","resumeAfter":"\ud800"}""", "(at resumeAfter)"),
            ("""{"collection":"c","\ud800":1}""", "(at request)"),
        };
        var invocation = 0;
        foreach (var (request, at) in cases)
        {
            var arguments = request.Replace("\"c\"", $"\"{collection}\"", StringComparison.Ordinal);
            await SendAsync(socket, $$"""{"type":1,"invocationId":"{{++invocation}}","target":"Subscribe","arguments":[{{arguments}}]}""");
            AssertRefused(JsonNode.Parse(await frames.NextAsync(cancellationToken))!, at);
        }

        await SendAsync(socket, $$"""{"type":1,"invocationId":"{{++invocation}}","target":"Unsubscribe","arguments":["\ud800"]}""");
        AssertRefused(JsonNode.Parse(await frames.NextAsync(cancellationToken))!, "(at subscriptionId)");

        await SendAsync(socket, $$"""{"type":1,"invocationId":"{{++invocation}}","target":"Subscribe","arguments":[{"collection":"{{collection}}"}]}""");
        Assert.NotNull(JsonNode.Parse(await frames.NextAsync(cancellationToken))!["result"]!["subscriptionId"]);

        static void AssertRefused(JsonNode completion, string at)
        {
            var error = completion["error"]!.GetValue<string>();
            Assert.Contains("HubException: invalid_unicode: ", error, StringComparison.Ordinal);
            Assert.EndsWith(at, error, StringComparison.Ordinal);
        }
    }

    private static Task SendAsync(ClientWebSocket socket, string frame) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(frame + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken);

    /// <summary>Splits what the server sends into SignalR JSON frames (one websocket message may hold several).</summary>
    private sealed class FrameReader(ClientWebSocket socket)
    {
        private readonly Queue<string> _frames = new();
        private readonly List<byte> _pending = [];

        public async Task<string> NextChangeAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var frame = await NextAsync(cancellationToken);
                using var parsed = JsonDocument.Parse(frame);
                if (parsed.RootElement.TryGetProperty("target", out var target) && target.GetString() == "change")
                {
                    return frame;
                }
            }
        }

        public async Task<string> NextAsync(CancellationToken cancellationToken)
        {
            var buffer = new byte[16 * 1024];
            while (_frames.Count == 0)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).AsTask().WaitAsync(HubClient.Patience, cancellationToken);
                Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
                _pending.AddRange(buffer.AsSpan(0, received.Count));
                int end;
                while ((end = _pending.IndexOf((byte)RecordSeparator)) >= 0)
                {
                    _frames.Enqueue(Encoding.UTF8.GetString([.. _pending.Take(end)]));
                    _pending.RemoveRange(0, end + 1);
                }
            }

            return _frames.Dequeue();
        }
    }
}
