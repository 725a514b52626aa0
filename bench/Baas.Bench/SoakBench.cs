using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Baas.Bench;

/// <summary>One row of the soak report: what the last interval did and what the server and its files looked like at its end.</summary>
internal sealed record SoakSample(
    TimeSpan At,
    long Requests,
    long Errors,
    double P99Milliseconds,
    long Events,
    double RssMegabytes,
    double DatabaseMegabytes,
    double WalMegabytes);

/// <summary>The verdict of a soak run against its bounds.</summary>
internal sealed record SoakVerdict(double SlopeMegabytesPerMinute, double MaxWalMegabytes, long Errors, bool SlopeOk, bool WalOk, bool ErrorsOk)
{
    public bool Passed => SlopeOk && WalOk && ErrorsOk;
}

/// <summary>
/// Issue 11, item 13: measures the capacity of a mixed load (indexed queries, reads by id, creates, updates) closed-loop,
/// then runs it paced at <see cref="BenchOptions.SoakLoad"/> of that capacity for the duration while realtime subscribers
/// receive the changes, reporting every interval requests, errors, p99, events delivered, RSS and the database and
/// write-ahead-log sizes; at the end the RSS slope over the second half and pass/fail against the bounds.
/// </summary>
internal sealed class SoakBench(ServerProcess server, HttpClient client, string apiKey, string database, BenchOptions options)
{
    /// <summary>The log bound of issue 11, item 5.</summary>
    public const double MaxWalMegabytes = 256;

    private static readonly Uri IndexedQuery = new(
        $"api/collections/{BaasSetup.Collection}/documents?filter=" + Uri.EscapeDataString("""{"status":"open","priority":{"$gte":3}}""") + "&sort=-priority&limit=20",
        UriKind.Relative);

    private static readonly byte[] Increment = Encoding.UTF8.GetBytes("""{"$inc":{"n":1}}""");

    private long _events;
    private long _subscriberErrors;
    private volatile bool _finished;
    private Window _window = new();

    public double Capacity { get; private set; }

    public double TargetRate { get; private set; }

    public List<SoakSample> Samples { get; } = [];

    public string? FirstError { get; private set; }

    /// <summary>
    /// The request mix: 50% the indexed query, 20% a read by id, 20% a create, 10% an operator update of a seeded
    /// document, all with the service key.
    /// </summary>
    public HttpRequestMessage CreateRequest(Random random)
    {
        var documents = $"api/collections/{BaasSetup.Collection}/documents";
        var roll = random.Next(10);
        return roll switch
        {
            < 5 => new HttpRequestMessage(HttpMethod.Get, IndexedQuery),
            < 7 => new HttpRequestMessage(HttpMethod.Get, new Uri($"{documents}/{BaasSetup.DocumentId(random.Next(options.Documents))}", UriKind.Relative)),
            < 9 => new HttpRequestMessage(HttpMethod.Post, new Uri(documents, UriKind.Relative)) { Content = Json(Encoding.UTF8.GetBytes(BaasSetup.DocumentJson(random, id: null))) },
            _ => new HttpRequestMessage(HttpMethod.Patch, new Uri($"{documents}/{BaasSetup.DocumentId(random.Next(options.Documents))}", UriKind.Relative)) { Content = Json(Increment) },
        };
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Console.WriteLine(Format($"Measuring capacity: the mix closed-loop at concurrency {options.Concurrency} for {options.SoakCapacityProbe.TotalSeconds:N0} s..."));
        var probe = await LoadRunner.RunAsync(
            new Scenario("capacity", client, CreateRequest),
            options with { Duration = options.SoakCapacityProbe, Warmup = TimeSpan.FromSeconds(2) },
            cancellationToken);
        Capacity = probe.Throughput;
        TargetRate = Math.Max(1, Capacity * options.SoakLoad);
        Console.WriteLine(Format($"  capacity {Capacity:N0} requests/s ({probe.Errors} errors, p99 {probe.P99Milliseconds:N1} ms); soak load {TargetRate:N0}/s"));

        Console.WriteLine(Format($"Connecting {options.SoakSubscribers} realtime subscribers..."));
        var subscribers = new List<HubConnection>();
        try
        {
            for (var i = 0; i < options.SoakSubscribers; i++)
            {
                subscribers.Add(await ConnectAsync(i, cancellationToken));
            }

            await PacedLoadAsync(cancellationToken);
        }
        finally
        {
            // From here on a closed subscriber is this run closing it, not an error.
            _finished = true;
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }
        }
    }

    /// <summary>Least squares slope of RSS (MiB per minute) over the samples of the second half, and the bounds.</summary>
    public SoakVerdict Verdict()
    {
        var half = Samples[^1].At / 2;
        var tail = Samples.Where(s => s.At >= half).ToList();
        var slope = Slope(tail.Select(s => (s.At.TotalMinutes, s.RssMegabytes)).ToList());
        var maxWal = Samples.Max(s => s.WalMegabytes);
        var errors = Samples.Sum(s => s.Errors) + Interlocked.Read(ref _subscriberErrors);
        return new SoakVerdict(slope, maxWal, errors, Math.Abs(slope) <= options.SoakMaxSlope, maxWal < MaxWalMegabytes, errors == 0);
    }

    /// <summary>The least squares slope of y over x; 0 with fewer than two points.</summary>
    public static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 2)
        {
            return 0;
        }

        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - meanX) * (p.X - meanX));
        return sxx == 0 ? 0 : points.Sum(p => (p.X - meanX) * (p.Y - meanY)) / sxx;
    }

    public string ToMarkdown()
    {
        var builder = new StringBuilder()
            .AppendLine("| minute | requests | req/s | errors | p99 (ms) | events delivered | RSS (MiB) | baas.db (MiB) | baas.db-wal (MiB) |")
            .AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var previous = TimeSpan.Zero;
        foreach (var s in Samples)
        {
            var seconds = Math.Max(0.001, (s.At - previous).TotalSeconds);
            builder.AppendLine(Format($"| {s.At.TotalMinutes:N1} | {s.Requests:N0} | {s.Requests / seconds:N0} | {s.Errors} | {s.P99Milliseconds:N1} | {s.Events:N0} | {s.RssMegabytes:N0} | {s.DatabaseMegabytes:N1} | {s.WalMegabytes:N1} |"));
            previous = s.At;
        }

        return builder.ToString();
    }

    private async Task PacedLoadAsync(CancellationToken cancellationToken)
    {
        var interval = (long)(Stopwatch.Frequency / TargetRate);
        var started = Stopwatch.GetTimestamp();
        var next = started;
        var deadline = started + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(options.Duration + TimeSpan.FromSeconds(30));

        async Task WorkerAsync(int index)
        {
            var random = new Random(1000 + index);
            while (!hardStop.IsCancellationRequested)
            {
                // Each request takes the next slot of one shared schedule: the load is the target rate, not what
                // the server can take, as long as the workers keep up (a slot already past is sent at once).
                var slot = Interlocked.Add(ref next, interval);
                if (slot >= deadline)
                {
                    return;
                }

                var wait = slot - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), hardStop.Token).ConfigureAwait(false);
                }

                await SendAsync(random, hardStop.Token).ConfigureAwait(false);
            }
        }

        Console.WriteLine(Format($"Soak: {TargetRate:N0} requests/s for {options.Duration.TotalMinutes:N1} min, {options.SoakSubscribers} subscribers, a row every {options.ReportEvery.TotalSeconds:N0} s:"));
        Console.WriteLine("  minute | requests | errors | p99 (ms) | events | RSS (MiB) | baas.db (MiB) | baas.db-wal (MiB)");
        Samples.Add(Sample(TimeSpan.Zero, new Window()));
        var workers = Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(i => Task.Run(() => WorkerAsync(i), CancellationToken.None)));
        using (var timer = new PeriodicTimer(options.ReportEvery))
        {
            while (await Task.WhenAny(workers, timer.WaitForNextTickAsync(cancellationToken).AsTask()) != workers)
            {
                Samples.Add(Sample(TimeSpan.FromSeconds((double)(Stopwatch.GetTimestamp() - started) / Stopwatch.Frequency), Interlocked.Exchange(ref _window, new Window())));
            }
        }

        try
        {
            await workers;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Stragglers cut off by the hard stop.
        }

        cancellationToken.ThrowIfCancellationRequested();
        var last = Interlocked.Exchange(ref _window, new Window());
        if (last.Count > 0)
        {
            Samples.Add(Sample(TimeSpan.FromSeconds((double)(Stopwatch.GetTimestamp() - started) / Stopwatch.Frequency), last));
        }
    }

    private SoakSample Sample(TimeSpan at, Window window)
    {
        var (requests, errors, p99) = window.Summarize();
        var sample = new SoakSample(at, requests, errors, p99, Interlocked.Exchange(ref _events, 0), server.ResidentMegabytes(), FileMegabytes(database), FileMegabytes(database + "-wal"));
        Console.WriteLine(Format($"  {sample.At.TotalMinutes,6:N1} | {sample.Requests,8:N0} | {sample.Errors,6} | {sample.P99Milliseconds,8:N1} | {sample.Events,6:N0} | {sample.RssMegabytes,9:N0} | {sample.DatabaseMegabytes,13:N1} | {sample.WalMegabytes,17:N1}"));
        return sample;
    }

    private async Task SendAsync(Random random, CancellationToken cancellationToken)
    {
        using var request = CreateRequest(random);
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                error = Format($"{(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
            }
        }
        catch (HttpRequestException ex)
        {
            error = ex.Message;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = "request timed out";
        }

        var elapsed = Stopwatch.GetTimestamp() - started;
        Volatile.Read(ref _window).Record(elapsed, error is not null);
        if (error is not null && FirstError is null)
        {
            FirstError = error;
        }
    }

    private async Task<HubConnection> ConnectAsync(int index, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "realtime"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.Headers["X-Api-Key"] = apiKey;
            })
            .Build();
        connection.On<JsonElement>("change", _ => Interlocked.Increment(ref _events));
        connection.On<JsonElement>("resync", _ => Interlocked.Increment(ref _subscriberErrors));
        connection.Closed += error =>
        {
            // A subscriber that loses its connection during the soak is an error of the run.
            if (_finished)
            {
                return Task.CompletedTask;
            }

            Interlocked.Increment(ref _subscriberErrors);
            FirstError ??= "a realtime subscriber was disconnected: " + (error?.Message ?? "closed by the server");
            return Task.CompletedTask;
        };
        await connection.StartAsync(cancellationToken);

        // Half watch every open task (most creates and updates), half the tasks of one priority.
        object filter = index % 2 == 0 ? new { status = "open" } : new { priority = index % 10 };
        await connection.InvokeAsync<JsonElement>("Subscribe", new { collection = BaasSetup.Collection, filter }, cancellationToken);
        return connection;
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    private static double FileMegabytes(string path) => File.Exists(path) ? new FileInfo(path).Length / (1024.0 * 1024.0) : 0;

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The latencies and errors of one report interval.</summary>
    private sealed class Window
    {
        private readonly List<long> _latencies = new(capacity: 65_536);
        private long _errors;

        public int Count
        {
            get
            {
                lock (_latencies)
                {
                    return _latencies.Count + (int)_errors;
                }
            }
        }

        public void Record(long ticks, bool failed)
        {
            lock (_latencies)
            {
                if (failed)
                {
                    _errors++;
                }
                else
                {
                    _latencies.Add(ticks);
                }
            }
        }

        public (long Requests, long Errors, double P99) Summarize()
        {
            lock (_latencies)
            {
                _latencies.Sort();
                var p99 = _latencies.Count == 0 ? 0 : _latencies[Math.Min(_latencies.Count - 1, (int)Math.Ceiling(0.99 * _latencies.Count) - 1)] * 1000.0 / Stopwatch.Frequency;
                return (_latencies.Count + _errors, _errors, p99);
            }
        }
    }
}
