using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Baas.Bench;

/// <summary>One latency distribution of the realtime suite.</summary>
internal sealed record RealtimeResult(string Name, int Samples, double P50Milliseconds, double P99Milliseconds, double P999Milliseconds, double MaxMilliseconds, long Lost, string Note);

/// <summary>
/// The realtime suite: change latency to one subscriber, fan-out of one write to many websocket subscribers, and the
/// server's memory per idle subscribed connection. All subscribers are in this process: <see cref="WireSubscriber"/>s
/// (SignalR's JSON hub protocol over a plain websocket, every event checked to arrive in order), or, with
/// <c>hubClients</c> (<c>--subscriber-client hub</c>), .NET SignalR <c>HubConnection</c>s as before 2026-12-06 16:00 UTC.
/// Writes go through the REST API one at a time, each waiting for its event(s) before the next.
/// </summary>
internal sealed class RealtimeBench(ServerProcess server, HttpClient http, string apiKey, bool hubClients = false)
{
    public const string Collection = "bench_rt";
    public const string AttackCollection = "bench_rt_attack";

    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);

    private readonly Probe _probe = new();
    private readonly WireCounters _wire = new();
    private readonly List<WireSubscriber> _wireOpen = [];
    private int _writes;

    public List<RealtimeResult> Results { get; } = [];

    public List<string> Notes { get; } = [];

    public double IdleKilobytesPerConnection { get; private set; }

    /// <summary>Server CPU (user + kernel) per write divided by its recipients, per fan-out size (issue 13: at most 15 µs).</summary>
    public SortedDictionary<int, double> ServerMicrosecondsPerRecipient { get; } = [];

    /// <summary>Bytes the server allocated per write divided by its recipients, per fan-out size (the runtime's counter, read before and after).</summary>
    public SortedDictionary<int, double> ServerBytesPerRecipient { get; } = [];

    public async Task RunAsync(int latencyWrites, int fanOutWrites, int fanOutWarmup, IReadOnlyList<int> fanOutSubscribers, CancellationToken cancellationToken)
    {
        using (var create = await http.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), new { name = Collection }, cancellationToken))
        {
            create.EnsureSuccessStatusCode();
        }

        using var stopPings = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pings = hubClients ? Task.CompletedTask : PingWireSubscribersAsync(stopPings.Token);
        try
        {
            await RunSubscribersAsync(latencyWrites, fanOutWrites, fanOutWarmup, fanOutSubscribers, cancellationToken);
        }
        finally
        {
            await stopPings.CancelAsync();
            await pings;
        }

        Notes.Add(hubClients
            ? "Subscribers: .NET SignalR HubConnections (websockets, JSON protocol)."
            : Format($"Subscribers: SignalR's JSON hub protocol over plain websockets (bench WireSubscriber), every event parsed; {_wire.Events:N0} change events received, {_wire.OutOfOrder:N0} out of order or after a gap (must be 0)."));
    }

    private async Task RunSubscribersAsync(int latencyWrites, int fanOutWrites, int fanOutWarmup, IReadOnlyList<int> fanOutSubscribers, CancellationToken cancellationToken)
    {
        Console.WriteLine(Format($"Latency, one subscriber: {latencyWrites:N0} writes after {latencyWrites / 10:N0} warm-up..."));
        await using (var single = await ConnectSubscriberAsync(cancellationToken))
        {
            await WriteAndWaitAsync(1, latencyWrites / 10, cancellationToken);
            var ackToEvent = new List<double>();
            var sendToEvent = new List<double>();
            var beforeAck = 0;
            long lost = 0;
            for (var i = 0; i < latencyWrites; i++)
            {
                var (sent, acked, lastEvent, missing) = await WriteOnceAsync(1, cancellationToken);
                lost += missing;
                if (missing > 0)
                {
                    continue;
                }

                var afterAck = Milliseconds(lastEvent - acked);
                beforeAck += afterAck < 0 ? 1 : 0;
                ackToEvent.Add(Math.Max(0, afterAck));
                sendToEvent.Add(Milliseconds(lastEvent - sent));
            }

            Results.Add(Summarize("ack → event, 1 subscriber", ackToEvent, lost, Format($"{beforeAck:N0} of {ackToEvent.Count:N0} events arrived before the HTTP answer (counted as 0)")));
            Results.Add(Summarize("send → event, 1 subscriber", sendToEvent, lost, ""));
        }

        // For each fan-out size, smallest first: open the connections it adds, measure the memory they hold idle, then
        // fan out to all of them.
        var connections = new List<IAsyncDisposable>();
        try
        {
            foreach (var size in fanOutSubscribers)
            {
                var adding = size - connections.Count;
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                var before = server.ResidentMegabytes();
                var cpuBefore = server.CpuTime();
                Console.WriteLine(Format($"Opening {adding:N0} more subscribed websocket connections ({size:N0} in all)..."));
                var opening = Stopwatch.StartNew();
                await Parallel.ForEachAsync(
                    Enumerable.Range(0, adding),
                    new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
                    async (_, token) =>
                    {
                        var connection = await ConnectSubscriberAsync(token);
                        lock (connections)
                        {
                            connections.Add(connection);
                        }
                    });
                Notes.Add(Format($"Opening and subscribing {adding:N0} connections took {opening.Elapsed.TotalSeconds:N1} s ({(server.CpuTime() - cpuBefore).TotalMilliseconds / adding:N2} ms of server CPU each)."));
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
                var after = server.ResidentMegabytes();
                var perConnection = (after - before) * 1024 / adding;
                IdleKilobytesPerConnection = Math.Max(IdleKilobytesPerConnection, perConnection);
                Notes.Add(Format($"Server RSS {before:N1} MB before, {after:N1} MB with {adding:N0} more idle subscribed connections ({size:N0} in all): {perConnection:N1} KB each. Bench process RSS {Environment.WorkingSet / 1048576.0:N0} MB."));
                await FanOutAsync(connections.Count, fanOutWrites, fanOutWarmup, cancellationToken);
            }
        }
        finally
        {
            await Parallel.ForEachAsync(connections, new ParallelOptions { MaxDegreeOfParallelism = 16 }, (connection, _) => connection.DisposeAsync());
        }
    }

    private async Task<IAsyncDisposable> ConnectSubscriberAsync(CancellationToken cancellationToken)
    {
        if (hubClients)
        {
            return await ConnectAsync(cancellationToken);
        }

        var subscriber = await WireSubscriber.ConnectAsync(new Uri(server.BaseAddress, "realtime"), apiKey, Collection, _probe.Seen, _wire, cancellationToken);
        lock (_wireOpen)
        {
            _wireOpen.Add(subscriber);
        }

        return new Removing(subscriber, this);
    }

    // SignalR clients ping the server (which closes a connection it hears nothing from for 30 s); so do these.
    private async Task PingWireSubscribersAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(WireSubscriber.PingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                WireSubscriber[] open;
                lock (_wireOpen)
                {
                    open = [.. _wireOpen];
                }

                foreach (var subscriber in open)
                {
                    try
                    {
                        await subscriber.PingAsync(cancellationToken);
                    }
                    catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or ObjectDisposedException)
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class Removing(WireSubscriber subscriber, RealtimeBench bench) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            lock (bench._wireOpen)
            {
                bench._wireOpen.Remove(subscriber);
            }

            return subscriber.DisposeAsync();
        }
    }

    private async Task FanOutAsync(int subscribers, int writes, int warmup, CancellationToken cancellationToken)
    {
        Console.WriteLine(Format($"Fan-out to {subscribers:N0}: {writes:N0} writes after {warmup:N0} warm-up..."));
        await WriteAndWaitAsync(subscribers, warmup, cancellationToken);
        var sendToLast = new List<double>();
        var ackToLast = new List<double>();
        long lost = 0;
        var allocatedBefore = await MemoryBench.AllocatedBytesAsync(http, cancellationToken);
        var (serverUser, serverSystem) = (server.UserTime(), server.SystemTime());
        var (clientUser, clientSystem) = ClientTimes();
        for (var i = 0; i < writes; i++)
        {
            var (sent, acked, lastEvent, missing) = await WriteOnceAsync(subscribers, cancellationToken);
            lost += missing;
            if (missing == 0)
            {
                sendToLast.Add(Milliseconds(lastEvent - sent));
                ackToLast.Add(Math.Max(0, Milliseconds(lastEvent - acked)));
            }
        }

        var (clientUserAfter, clientSystemAfter) = ClientTimes();
        var (serverUserTime, serverSystemTime) = (server.UserTime() - serverUser, server.SystemTime() - serverSystem);

        // Read after the CPU times: the scrape itself costs the server CPU, and allocates less than a write's fan-out.
        var allocated = await MemoryBench.AllocatedBytesAsync(http, cancellationToken) - allocatedBefore;
        ServerBytesPerRecipient[subscribers] = allocated / writes / subscribers;
        double PerWrite(TimeSpan time) => time.TotalMilliseconds / writes;
        var perRecipient = (serverUserTime + serverSystemTime).TotalMicroseconds / writes / subscribers;
        ServerMicrosecondsPerRecipient[subscribers] = perRecipient;
        var cpu = Format($"CPU per write (user + kernel): server {PerWrite(serverUserTime):N1} + {PerWrite(serverSystemTime):N1} ms = {perRecipient:N1} µs per recipient; server allocated {allocated / writes / subscribers:N0} bytes per recipient; subscribers (this process) {PerWrite(clientUserAfter - clientUser):N1} + {PerWrite(clientSystemAfter - clientSystem):N1} ms");
        Results.Add(Summarize(Format($"ack → last of {subscribers:N0} subscribers"), ackToLast, lost, cpu));
        Results.Add(Summarize(Format($"send → last of {subscribers:N0} subscribers"), sendToLast, lost, ""));
    }

    private static (TimeSpan User, TimeSpan System) ClientTimes()
    {
        using var self = Process.GetCurrentProcess();
        return (self.UserProcessorTime, self.PrivilegedProcessorTime);
    }

    private async Task WriteAndWaitAsync(int subscribers, int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            await WriteOnceAsync(subscribers, cancellationToken);
        }
    }

    /// <summary>
    /// Issue 11's attack: <paramref name="attackers"/> anonymous connections each try the reported filter (199
    /// <c>$containsi</c> conditions), then fill themselves with the costliest filters the node accepts; one service-key
    /// subscriber's send → event latency is measured before and under the attack, in the same run.
    /// </summary>
    public async Task RunAttackAsync(int writes, int attackers, CancellationToken cancellationToken)
    {
        using (var create = await http.PostAsJsonAsync(
            new Uri("api/admin/collections", UriKind.Relative), new { name = AttackCollection, rules = new { list = "true" } }, cancellationToken))
        {
            create.EnsureSuccessStatusCode();
        }

        var text = string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 200));
        var body = (string id) => $"{{\"_id\":\"{id}\",\"kind\":\"order\",\"text\":\"{text}\"}}";
        await using var ordinary = await ConnectAsync(cancellationToken, AttackCollection, new { kind = "order" });
        Console.WriteLine(Format($"Ordinary subscriber without attack: {writes:N0} writes after {writes / 10:N0} warm-up..."));
        Results.Add(await MeasureAsync("ordinary subscriber, no attack", writes, body, cancellationToken));

        Console.WriteLine(Format($"Opening {attackers} anonymous attacker connections..."));
        await using var attack = new Attack(new Uri(server.BaseAddress, "realtime"));
        for (var i = 0; i < attackers; i++)
        {
            await attack.OpenAsync(cancellationToken);
        }

        var (connections, accepted) = (attack.Connections, attack.Accepted);
        Notes.Add(Format($"Attack: {connections} anonymous connections; the reported 199-condition $containsi filter was refused {attack.ReportedRefused} of {connections} times; {accepted} subscriptions with 50 $containsi conditions each were accepted (of {connections * 100} tried); refusals: {attack.Refusals}."));

        // A persistent attacker: every attacker connection the server closes opens again and subscribes again.
        attack.Persistent = true;
        Console.WriteLine(Format($"Ordinary subscriber under attack: {writes:N0} writes after {writes / 10:N0} warm-up..."));
        Results.Add(await MeasureAsync(Format($"ordinary subscriber, under attack ({connections} connections, {accepted} costly subscriptions)"), writes, body, cancellationToken));
        attack.Persistent = false;
        Notes.Add(Format($"During the measurement under attack the server sent attackers resync {attack.Resyncs}; they reconnected {attack.Reconnects:N0} times (refusals since: {attack.Refusals})."));

        var (before, under) = (Results[^2], Results[^1]);
        Notes.Add(Format($"Under attack / without: p50 × {under.P50Milliseconds / Math.Max(0.001, before.P50Milliseconds):N1}, p99 × {under.P99Milliseconds / Math.Max(0.001, before.P99Milliseconds):N1} (issue 11 target: p99 under attack < 50 ms)."));
    }

    private async Task<RealtimeResult> MeasureAsync(string name, int writes, Func<string, string> body, CancellationToken cancellationToken)
    {
        for (var i = 0; i < writes / 10; i++)
        {
            await WriteOnceAsync(1, cancellationToken, AttackCollection, body);
        }

        var samples = new List<double>();
        long lost = 0;
        for (var i = 0; i < writes; i++)
        {
            var (sent, _, lastEvent, missing) = await WriteOnceAsync(1, cancellationToken, AttackCollection, body);
            lost += missing;
            if (missing == 0)
            {
                samples.Add(Milliseconds(lastEvent - sent));
            }
        }

        return Summarize(name, samples, lost, "send → event");
    }

    /// <summary>
    /// Issue 11's attackers: anonymous connections that each try the reported filter, then subscribe with the
    /// costliest filter the node accepts until it refuses. While <see cref="Persistent"/>, a connection the server
    /// closes (resync, or refused at connect) is opened again.
    /// </summary>
    private sealed class Attack(Uri hubUrl) : IAsyncDisposable
    {
        private readonly Lock _gate = new();
        private readonly List<HubConnection> _open = [];
        private readonly Dictionary<string, int> _refusals = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _resyncs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, object> _reported = ContainsAny(199);
        private readonly Dictionary<string, object> _maximal = ContainsAny(50);
        private readonly CancellationTokenSource _stopped = new();
        private volatile bool _persistent;
        private int _reconnects;

        public bool Persistent
        {
            get => _persistent;
            set => _persistent = value;
        }

        public int Connections { get; private set; }

        public int Accepted { get; private set; }

        public int ReportedRefused { get; private set; }

        public int Reconnects => Volatile.Read(ref _reconnects);

        public string Refusals => Describe(_refusals);

        public string Resyncs => Describe(_resyncs);

        public async Task OpenAsync(CancellationToken cancellationToken)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(hubUrl, options =>
                {
                    options.Transports = HttpTransportType.WebSockets;
                    options.SkipNegotiation = true;
                })
                .Build();
            connection.On<JsonElement>("resync", resync => Count(_resyncs, resync.GetProperty("reason").GetString() ?? "?"));
            connection.Closed += _ => ReopenAsync(connection);
            try
            {
                await connection.StartAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Count(_refusals, "connect: " + Code(ex.Message));
                await connection.DisposeAsync();
                return;
            }

            lock (_gate)
            {
                _open.Add(connection);
            }

            var counting = !Persistent;
            if (counting)
            {
                Connections++;
            }

            try
            {
                await connection.InvokeAsync<JsonElement>("Subscribe", new { collection = AttackCollection, filter = _reported }, cancellationToken);
            }
            catch (Exception ex) when (ex is HubException or InvalidOperationException)
            {
                // InvalidOperationException: the server closed the connection (too_many_client_connections).
                ReportedRefused += counting && ex is HubException ? 1 : 0;
                Count(_refusals, Code(ex.Message));
            }

            for (var s = 0; s < 100; s++)
            {
                try
                {
                    await connection.InvokeAsync<JsonElement>("Subscribe", new { collection = AttackCollection, filter = _maximal }, cancellationToken);
                    Accepted += counting ? 1 : 0;
                }
                catch (Exception ex) when (ex is HubException or InvalidOperationException)
                {
                    Count(_refusals, Code(ex.Message));
                    break;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            Persistent = false;
            await _stopped.CancelAsync();
            List<HubConnection> open;
            lock (_gate)
            {
                open = [.. _open];
                _open.Clear();
            }

            foreach (var connection in open)
            {
                await connection.DisposeAsync();
            }

            _stopped.Dispose();
        }

        private async Task ReopenAsync(HubConnection closed)
        {
            lock (_gate)
            {
                _open.Remove(closed);
            }

            if (!Persistent)
            {
                return;
            }

            Interlocked.Increment(ref _reconnects);
            try
            {
                await OpenAsync(_stopped.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        private void Count(Dictionary<string, int> counts, string key)
        {
            lock (_gate)
            {
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }

        private string Describe(Dictionary<string, int> counts)
        {
            lock (_gate)
            {
                return counts.Count == 0 ? "none" : string.Join(", ", counts.Select(r => $"{r.Key} × {r.Value}"));
            }
        }
    }

    private static Dictionary<string, object> ContainsAny(int conditions) => new()
    {
        ["$or"] = Enumerable.Range(0, conditions).Select(i => new Dictionary<string, object>
        {
            ["text"] = new Dictionary<string, object> { ["$containsi"] = "needle" + i.ToString(CultureInfo.InvariantCulture) },
        }).ToArray(),
    };

    // "...HubException: <code>: <detail>" → code.
    private static string Code(string message)
    {
        const string marker = "HubException: ";
        var at = message.IndexOf(marker, StringComparison.Ordinal);
        var rest = at >= 0 ? message[(at + marker.Length)..] : message;
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? rest[..colon] : rest;
    }

    /// <summary>Creates one document and waits until <paramref name="subscribers"/> have its event (or the timeout).</summary>
    private async Task<(long Sent, long Acked, long LastEvent, long Missing)> WriteOnceAsync(
        int subscribers, CancellationToken cancellationToken, string collection = Collection, Func<string, string>? body = null)
    {
        var write = ++_writes;
        var id = "w" + write.ToString(CultureInfo.InvariantCulture);
        var done = _probe.Arm(write, subscribers);
        using var content = new StringContent(body?.Invoke(id) ?? $"{{\"_id\":\"{id}\",\"title\":\"write {id}\",\"n\":1}}", Encoding.UTF8, "application/json");
        var sent = Stopwatch.GetTimestamp();
        using (var response = await http.PostAsync(new Uri($"api/collections/{collection}/documents", UriKind.Relative), content, cancellationToken))
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            response.EnsureSuccessStatusCode();
        }

        var acked = Stopwatch.GetTimestamp();
        try
        {
            var last = await done.WaitAsync(EventTimeout, cancellationToken);
            return (sent, acked, last, 0);
        }
        catch (TimeoutException)
        {
            return (sent, acked, 0, subscribers - _probe.Received);
        }
    }

    private async Task<HubConnection> ConnectAsync(CancellationToken cancellationToken, string collection = Collection, object? filter = null)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "realtime"), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.Headers["X-Api-Key"] = apiKey;
            })
            .Build();
        connection.On<JsonElement>("change", change => _probe.Seen(long.Parse(change.GetProperty("id").GetString()![1..], CultureInfo.InvariantCulture)));
        await connection.StartAsync(cancellationToken);
        await connection.InvokeAsync<JsonElement>("Subscribe", new { collection, filter }, cancellationToken);
        return connection;
    }

    private static RealtimeResult Summarize(string name, List<double> samples, long lost, string note)
    {
        samples.Sort();
        double At(double q) => samples.Count == 0 ? 0 : samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        return new RealtimeResult(name, samples.Count, At(0.50), At(0.99), At(0.999), samples.Count == 0 ? 0 : samples[^1], lost, note);
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The write being waited for: counts its events and completes with the last one's timestamp.</summary>
    private sealed class Probe
    {
        private volatile State? _current;

        public int Received => _current?.Count ?? 0;

        public Task<long> Arm(long write, int expected)
        {
            var state = new State(write, expected);
            _current = state;
            return state.Done.Task;
        }

        public void Seen(long write)
        {
            var now = Stopwatch.GetTimestamp();
            var state = _current;
            if (state is not null && write == state.Write && Interlocked.Increment(ref state.Count) == state.Expected)
            {
                state.Done.TrySetResult(now);
            }
        }

        private sealed class State(long write, int expected)
        {
            public readonly long Write = write;
            public readonly int Expected = expected;
            public readonly TaskCompletionSource<long> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public int Count;
        }
    }
}
