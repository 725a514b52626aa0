using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Baas.Bench;

/// <summary>
/// A realtime subscriber that speaks SignalR's JSON hub protocol over a plain <see cref="ClientWebSocket"/> (no
/// <c>HubConnection</c>): the handshake, <c>Subscribe</c> as an invocation whose completion it waits for, pings every
/// <see cref="PingInterval"/> as SignalR clients do, and every received message parsed with <see cref="Utf8JsonReader"/>.
/// It does on each event only what the measurement needs, so on a machine where the subscribers share the server's cores
/// they take less of them than .NET's SignalR client (its transport pipe, receive loop, JsonElement per argument and
/// handler dispatch). Every <c>change</c> event's write number must be the one after the previous event's: a gap or an
/// event out of order is counted (<see cref="WireCounters.OutOfOrder"/>) as well as reported to the probe.
/// </summary>
internal sealed class WireSubscriber : IAsyncDisposable
{
    /// <summary>SignalR clients ping every 15 s; the server closes a connection it hears nothing from for 30 s.</summary>
    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(10);

    private const byte RecordSeparator = 0x1e;
    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] Ping = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    private readonly ClientWebSocket _socket;
    private readonly Action<long> _seen;
    private readonly WireCounters _counters;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly TaskCompletionSource<string?> _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ArrayBufferWriter<byte> _pending = new(1024);
    private Task _receiving = Task.CompletedTask;
    private long _last = -1;
    private bool _handshaken;

    private WireSubscriber(ClientWebSocket socket, Action<long> seen, WireCounters counters)
    {
        _socket = socket;
        _seen = seen;
        _counters = counters;
    }

    /// <summary>Connects to the hub with the service key, subscribes to <paramref name="collection"/> and waits for the completion.</summary>
    public static async Task<WireSubscriber> ConnectAsync(
        Uri hubUrl, string apiKey, string collection, Action<long> seen, WireCounters counters, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Api-Key", apiKey);
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var url = new UriBuilder(hubUrl) { Scheme = hubUrl.Scheme == "https" ? "wss" : "ws" }.Uri;
        var subscriber = new WireSubscriber(socket, seen, counters);
        try
        {
            await socket.ConnectAsync(url, cancellationToken);
            subscriber._receiving = subscriber.ReceiveAsync();
            await subscriber.SendAsync(Handshake, cancellationToken);
            var subscribe = Encoding.UTF8.GetBytes(
                $"{{\"type\":1,\"invocationId\":\"1\",\"target\":\"Subscribe\",\"arguments\":[{{\"collection\":{JsonSerializer.Serialize(collection)}}}]}}\u001e");
            await subscriber.SendAsync(subscribe, cancellationToken);
            var error = await subscriber._subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (error is not null)
            {
                throw new InvalidOperationException("Subscribe failed: " + error);
            }

            return subscriber;
        }
        catch
        {
            await subscriber.DisposeAsync();
            throw;
        }
    }

    /// <summary>A hub ping, so that the server keeps the connection (its client timeout).</summary>
    public Task PingAsync(CancellationToken cancellationToken) => SendAsync(Ping, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        await _stop.CancelAsync();
        try
        {
            await _receiving;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        _socket.Dispose();
        _stop.Dispose();
        _sending.Dispose();
    }

    private async Task SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task ReceiveAsync()
    {
        await Task.Yield();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveAsync(buffer.AsMemory(), _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                Take(buffer.AsSpan(0, received.Count));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _subscribed.TrySetResult("the connection closed");
        }
    }

    // Splits what arrived into hub messages (each ends with the record separator); a message may span receives.
    private void Take(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var end = data.IndexOf(RecordSeparator);
            if (end < 0)
            {
                _pending.Write(data);
                return;
            }

            if (_pending.WrittenCount > 0)
            {
                _pending.Write(data[..end]);
                Handle(_pending.WrittenSpan);
                _pending.ResetWrittenCount();
            }
            else
            {
                Handle(data[..end]);
            }

            data = data[(end + 1)..];
        }
    }

    private void Handle(ReadOnlySpan<byte> message)
    {
        if (!_handshaken)
        {
            // The handshake response: {} or {"error":"..."}.
            _handshaken = true;
            if (message.IndexOf("\"error\""u8) >= 0)
            {
                _subscribed.TrySetResult(Encoding.UTF8.GetString(message));
            }

            return;
        }

        var reader = new Utf8JsonReader(message);
        int? type = null;
        string? target = null;
        string? error = null;
        long? write = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                target = reader.GetString();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = reader.GetString();
            }
            else if (reader.ValueTextEquals("arguments"u8) && target == "change")
            {
                write = WriteNumber(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        switch (type)
        {
            case 3:
                _subscribed.TrySetResult(error);
                break;
            case 1 when target == "change":
                if (write is not { } number)
                {
                    Interlocked.Increment(ref _counters.OutOfOrder);
                    break;
                }

                // Every subscriber sees every write after it subscribed, in order: w(n) then w(n+1).
                if (_last >= 0 && number != _last + 1)
                {
                    Interlocked.Increment(ref _counters.OutOfOrder);
                }

                _last = number;
                Interlocked.Increment(ref _counters.Events);
                _seen(number);
                break;
            case 7:
                _subscribed.TrySetResult(error ?? "closed by the server");
                break;
        }
    }

    // "arguments": [{ "subscriptionId": ..., "type": ..., "id": "w123", "document": ..., "sequence": ... }] → 123.
    private static long? WriteNumber(ref Utf8JsonReader reader)
    {
        long? number = null;
        reader.Read(); // [
        reader.Read(); // {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                var id = reader.GetString();
                if (id is ['w', .. var digits] && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    number = n;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        reader.Read(); // ]
        return number;
    }
}

/// <summary>What every <see cref="WireSubscriber"/> of a run saw.</summary>
internal sealed class WireCounters
{
    public long Events;

    /// <summary>Change events whose write was not the one after the subscriber's previous event (a gap or a reordering).</summary>
    public long OutOfOrder;
}
