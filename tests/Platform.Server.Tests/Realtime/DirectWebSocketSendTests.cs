using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Realtime;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// The hub's output written to the websocket by the sending thread (<see cref="DirectWebSocketOutput"/>, issue 13 item 1):
/// what a client receives is unchanged, every other transport keeps SignalR's path, and it is off unless configured.
/// </summary>
public sealed class DirectWebSocketSendTests
{
    private static readonly Dictionary<string, string?> On = new() { ["Baas:Realtime:DirectWebSocketSends"] = "true" };

    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task WebSocketConnection_SendsToItsSocketDirectly_AndReceivesEveryEventInOrder(HubProtocol protocol)
    {
        await using var server = await RealtimeTestServer.StartAsync(On);
        var counter = server.Server.Services.GetRequiredService<DirectSendCounter>();
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(protocol: protocol, query: "apikey=" + server.ApiKey);
        var subscription = await client.SubscribeAsync(collection);

        for (var i = 0; i < 20; i++)
        {
            await server.CreateAsync(collection, $$"""{"_id":"d{{i}}","n":{{i}}}""");
        }

        for (var i = 0; i < 20; i++)
        {
            var document = await client.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, $"d{i}");
            Assert.Equal(i, (int)document!["n"]!);
        }

        Assert.Equal(1, counter.Connections);
        // The handshake, the subscription's result and the 20 events, at least (several may share one message).
        Assert.True(counter.Messages >= 3, $"{counter.Messages} messages went to the socket directly");
    }

    [Theory]
    [InlineData(HttpTransportType.ServerSentEvents)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task OtherTransports_KeepSignalRsPath(HttpTransportType transport)
    {
        await using var server = await RealtimeTestServer.StartAsync(On);
        var counter = server.Server.Services.GetRequiredService<DirectSendCounter>();
        var collection = await server.NewCollectionAsync();
        await using var client = new HubClient(new HubConnectionBuilder()
            .WithUrl(new Uri(server.HubUrl + "?apikey=" + server.ApiKey), transport)
            .Build());
        await client.Connection.StartAsync(TestContext.Current.CancellationToken);
        var subscription = await client.SubscribeAsync(collection);

        await server.CreateAsync(collection, """{"_id":"a","n":1}""");

        await client.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, "a");
        Assert.Equal(0, counter.Connections);
    }

    [Fact]
    public void On_TheDefault() => Assert.True(new RealtimeOptions().DirectWebSocketSends);

    [Fact]
    public async Task Off_WebSocketConnectionsUseSignalRsPath()
    {
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Realtime:DirectWebSocketSends"] = "false" });
        var counter = server.Server.Services.GetRequiredService<DirectSendCounter>();
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        var subscription = await client.SubscribeAsync(collection);

        await server.CreateAsync(collection, """{"_id":"a","n":1}""");

        await client.ExpectAsync(subscription.SubscriptionId, RealtimeEvents.Added, "a");
        Assert.Equal(0, counter.Connections);
        Assert.Equal(0, counter.Messages);
    }

    [Theory]
    [InlineData(TransferFormat.Text, WebSocketMessageType.Text)]
    [InlineData(TransferFormat.Binary, WebSocketMessageType.Binary)]
    public async Task Flush_SendsWhatWasWrittenAsOneMessage_InTheActiveFormat(TransferFormat format, WebSocketMessageType expected)
    {
        var socket = new RecordingWebSocket();
        var (output, inner) = Output(socket, format);

        Write(output, "one\u001e");
        Write(output, "two\u001e");
        var result = await output.FlushAsync(TestContext.Current.CancellationToken);
        Write(output, "three\u001e");
        await output.FlushAsync(TestContext.Current.CancellationToken);

        Assert.False(result.IsCompleted || result.IsCanceled);
        Assert.Equal(["one\u001etwo\u001e", "three\u001e"], socket.Messages);
        Assert.All(socket.Types, type => Assert.Equal(expected, type));
        Assert.True(output.IsDirect);
        var unread = await inner.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromMilliseconds(1), TestContext.Current.CancellationToken)
            .ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        Assert.False(unread, "nothing may go through SignalR's pipe once the output sends directly");
    }

    [Fact]
    public async Task LargeWrite_GrowsTheBuffer_AndIsSentWhole()
    {
        var socket = new RecordingWebSocket();
        var (output, _) = Output(socket, TransferFormat.Text);
        var large = new string('x', 100_000);

        Write(output, "a");
        Write(output, large);
        await output.FlushAsync(TestContext.Current.CancellationToken);

        Assert.Equal("a" + large, Assert.Single(socket.Messages));
    }

    [Fact]
    public async Task Complete_WaitsForAnUnfinishedSend_ThenCompletesSignalRsPipe()
    {
        var socket = new RecordingWebSocket { Hold = new TaskCompletionSource() };
        var (output, inner) = Output(socket, TransferFormat.Text);

        Write(output, "last\u001e");
        var flush = output.FlushAsync(TestContext.Current.CancellationToken);
        Assert.False(flush.IsCompleted);
        output.Complete();
        var early = await inner.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken)
            .ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        Assert.False(early, "the transport would close the websocket before the last message went out");

        socket.Hold.SetResult();
        await flush;
        var end = await inner.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);
        Assert.True(end.IsCompleted);
        Assert.Equal(["last\u001e"], socket.Messages);
    }

    [Fact]
    public async Task UnfinishedSend_CancelledToken_AbortsTheSocketAndThrows()
    {
        // A client that does not read: the dispatcher's send waits until the connection's SendAborted is cancelled.
        var socket = new RecordingWebSocket { Hold = new TaskCompletionSource() };
        var (output, _) = Output(socket, TransferFormat.Text);
        using var aborted = new CancellationTokenSource();

        Write(output, "stuck");
        var flush = output.FlushAsync(aborted.Token);
        Assert.False(flush.IsCompleted);
        await aborted.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await flush);
        Assert.True(socket.Aborted);
    }

    [Fact]
    public async Task ClosedSocket_FlushSaysCompleted_AndLaterWritesAreDropped()
    {
        var socket = new RecordingWebSocket { Fail = new WebSocketException(WebSocketError.InvalidState) };
        var (output, _) = Output(socket, TransferFormat.Text);

        Write(output, "x");
        var first = await output.FlushAsync(TestContext.Current.CancellationToken);
        socket.Fail = null;
        Write(output, "y");
        var second = await output.FlushAsync(TestContext.Current.CancellationToken);

        Assert.True(first.IsCompleted);
        Assert.True(second.IsCompleted);
        Assert.Empty(socket.Messages);
    }

    [Fact]
    public async Task NoSocketAtTheFirstWrite_EverythingGoesThroughSignalRsPipe()
    {
        var accepted = new AcceptedWebSocket();
        var inner = new Pipe();
        var output = new DirectWebSocketOutput(inner.Writer, accepted, new Format(TransferFormat.Text), new DirectSendCounter());

        Write(output, "first");
        accepted.Socket = new RecordingWebSocket();
        await output.FlushAsync(TestContext.Current.CancellationToken);
        Write(output, "second");
        await output.FlushAsync(TestContext.Current.CancellationToken);

        Assert.False(output.IsDirect);
        var read = await inner.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal("firstsecond", Encoding.UTF8.GetString(read.Buffer));
    }

    [Fact]
    public async Task CancelPendingFlush_WithNothingInFlight_CancelsTheNextFlushOnly()
    {
        var socket = new RecordingWebSocket();
        var (output, _) = Output(socket, TransferFormat.Text);
        Write(output, "a");

        output.CancelPendingFlush();
        var canceled = await output.FlushAsync(TestContext.Current.CancellationToken);
        var next = await output.FlushAsync(TestContext.Current.CancellationToken);

        Assert.True(canceled.IsCanceled);
        Assert.False(next.IsCanceled);
    }

    private static (DirectWebSocketOutput Output, Pipe Inner) Output(WebSocket socket, TransferFormat format)
    {
        var inner = new Pipe();
        var output = new DirectWebSocketOutput(inner.Writer, new AcceptedWebSocket { Socket = socket }, new Format(format), new DirectSendCounter());
        return (output, inner);
    }

    private static void Write(PipeWriter output, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var span = output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        output.Advance(bytes.Length);
    }

    private sealed class Format(TransferFormat active) : ITransferFormatFeature
    {
        public TransferFormat SupportedFormats => TransferFormat.Text | TransferFormat.Binary;

        public TransferFormat ActiveFormat { get; set; } = active;
    }

    /// <summary>Records each message sent; can hold a send unfinished or fail it.</summary>
    private sealed class RecordingWebSocket : WebSocket
    {
        public List<string> Messages { get; } = [];

        public List<WebSocketMessageType> Types { get; } = [];

        public TaskCompletionSource? Hold { get; set; }

        public Exception? Fail { get; set; }

        public override WebSocketCloseStatus? CloseStatus => null;

        public override string? CloseStatusDescription => null;

        public override WebSocketState State => WebSocketState.Open;

        public override string? SubProtocol => null;

        public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            Assert.True(endOfMessage);
            Assert.False(cancellationToken.CanBeCanceled);
            if (Fail is { } fail)
            {
                throw fail;
            }

            // Copied at once, as ManagedWebSocket copies into its own send buffer.
            Messages.Add(Encoding.UTF8.GetString(buffer.Span));
            Types.Add(messageType);
            return Hold is { } hold ? new ValueTask(hold.Task) : ValueTask.CompletedTask;
        }

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;

        public bool Aborted { get; private set; }

        public override void Abort()
        {
            Aborted = true;
            Hold?.TrySetException(new WebSocketException(WebSocketError.InvalidState));
        }

        public override void Dispose()
        {
        }
    }
}
