using System.Diagnostics;

namespace Baas.Bench;

/// <summary>One kind of request, built fresh for each call (bodies and ids vary per call).</summary>
internal sealed record Scenario(string Name, HttpClient Client, Func<Random, HttpRequestMessage> CreateRequest)
{
    /// <summary>
    /// When set, each worker is one of these virtual users across every phase (worker <c>i</c> is user
    /// <c>i</c>), builds its requests from them and hands them each successful answer.
    /// </summary>
    public IVirtualUsers? VirtualUsers { get; init; }
}

/// <summary>Virtual users that carry state from one answer to their next request (e.g. a refresh-token chain).</summary>
internal interface IVirtualUsers
{
    HttpRequestMessage CreateRequest(int user);

    /// <summary>Reads a successful answer of <paramref name="user"/>; returns an error to count, or null.</summary>
    Task<string?> AcceptAsync(int user, HttpResponseMessage response, CancellationToken cancellationToken);
}

/// <summary>What one scenario did in its measured window.</summary>
internal sealed record ScenarioResult(
    string Name,
    long Requests,
    long Errors,
    double Seconds,
    double Throughput,
    double P50Milliseconds,
    double P99Milliseconds,
    double MaxMilliseconds,
    string? FirstError)
{
    /// <summary>The 99.9th percentile (issue 13, item 6: tails are reported beside p99).</summary>
    public double P999Milliseconds { get; init; }

    /// <summary>
    /// The server's CPU time (user + kernel) per request while this scenario ran, in µs, when the run measured it
    /// (<see cref="LoadRunner.RunInterleavedAsync"/> with a CPU reader); on a saturated machine the ratio of two
    /// scenarios' CPU per request is the ratio their throughputs tend to, and it is far less noisy than throughput.
    /// </summary>
    public double? ServerCpuMicroseconds { get; init; }

    /// <summary>
    /// The bytes the server allocated per request while this scenario ran (the runtime's allocated-bytes counter read
    /// around each slice), when the run measured it; it includes the few bytes of the counter's own read.
    /// </summary>
    public double? ServerAllocatedBytes { get; init; }
}

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers each send one request, wait for the whole answer and send
/// the next, until the deadline. A warm-up phase runs first and is not recorded.
/// </summary>
internal static class LoadRunner
{
    public static async Task<ScenarioResult> RunAsync(Scenario scenario, BenchOptions options, CancellationToken cancellationToken, Func<TimeSpan>? serverCpu = null)
    {
        if (options.Warmup > TimeSpan.Zero)
        {
            await RunPhaseAsync(scenario, options.Concurrency, options.Warmup, cancellationToken).ConfigureAwait(false);
        }

        var stopwatch = Stopwatch.StartNew();
        var cpuBefore = serverCpu?.Invoke() ?? TimeSpan.Zero;
        var workers = await RunPhaseAsync(scenario, options.Concurrency, options.Duration, cancellationToken).ConfigureAwait(false);
        var cpu = (serverCpu?.Invoke() ?? TimeSpan.Zero) - cpuBefore;
        var result = Summarize(scenario.Name, workers, stopwatch.Elapsed.TotalSeconds);
        return serverCpu is not null && result.Requests > 0 ? result with { ServerCpuMicroseconds = cpu.TotalMicroseconds / result.Requests } : result;
    }

    /// <summary>
    /// Runs scenarios that are to be compared in alternating one-second slices (after one unrecorded slice
    /// each), each for <c>duration</c> in total, so that load from elsewhere on the machine falls on all of
    /// them alike and their ratio means something even when absolute figures drift.
    /// </summary>
    public static async Task<IReadOnlyList<ScenarioResult>> RunInterleavedAsync(
        IReadOnlyList<Scenario> scenarios,
        BenchOptions options,
        CancellationToken cancellationToken,
        Func<TimeSpan>? serverCpu = null,
        Func<CancellationToken, Task<double>>? serverAllocated = null)
    {
        var slice = TimeSpan.FromSeconds(1);
        foreach (var scenario in scenarios)
        {
            await RunPhaseAsync(scenario, options.Concurrency, slice, cancellationToken).ConfigureAwait(false);
        }

        var workers = scenarios.Select(_ => new List<Worker>()).ToArray();
        var seconds = new double[scenarios.Count];
        var cpu = new TimeSpan[scenarios.Count];
        var allocated = new double[scenarios.Count];
        var rounds = Math.Max(1, (int)Math.Round(options.Duration.TotalSeconds / slice.TotalSeconds));
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < scenarios.Count; i++)
            {
                // Read outside the timed slice: the counter's read is an HTTP request of its own.
                var allocatedBefore = serverAllocated is null ? 0 : await serverAllocated(cancellationToken).ConfigureAwait(false);
                var stopwatch = Stopwatch.StartNew();
                var cpuBefore = serverCpu?.Invoke() ?? TimeSpan.Zero;
                workers[i].AddRange(await RunPhaseAsync(scenarios[i], options.Concurrency, slice, cancellationToken).ConfigureAwait(false));
                cpu[i] += (serverCpu?.Invoke() ?? TimeSpan.Zero) - cpuBefore;
                seconds[i] += stopwatch.Elapsed.TotalSeconds;
                allocated[i] += serverAllocated is null ? 0 : await serverAllocated(cancellationToken).ConfigureAwait(false) - allocatedBefore;
            }
        }

        return [.. scenarios.Select((scenario, i) => Summarize(scenario.Name, workers[i], seconds[i]) is var result && result.Requests > 0
            ? result with
            {
                ServerCpuMicroseconds = serverCpu is null ? null : cpu[i].TotalMicroseconds / result.Requests,
                ServerAllocatedBytes = serverAllocated is null ? null : allocated[i] / result.Requests,
            }
            : result)];
    }

    private static ScenarioResult Summarize(string name, IReadOnlyCollection<Worker> workers, double seconds)
    {
        var latencies = workers.SelectMany(w => w.Latencies).ToArray();
        Array.Sort(latencies);
        var errors = workers.Sum(w => w.Errors);
        return new ScenarioResult(
            name,
            latencies.Length,
            errors,
            seconds,
            latencies.Length / seconds,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            latencies.Length == 0 ? 0 : ToMilliseconds(latencies[^1]),
            workers.Select(w => w.FirstError).FirstOrDefault(e => e is not null))
        {
            P999Milliseconds = Percentile(latencies, 0.999),
        };
    }

    private static async Task<Worker[]> RunPhaseAsync(Scenario scenario, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        // Stragglers are cut off so one hung request cannot stretch the run without bound.
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(duration + TimeSpan.FromSeconds(30));
        var workers = Enumerable.Range(0, concurrency).Select(i => new Worker(scenario, deadline, index: i)).ToArray();
        await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunAsync(hardStop.Token), CancellationToken.None))).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return workers;
    }

    private static double Percentile(long[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : ToMilliseconds(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)]);

    private static double ToMilliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private sealed class Worker(Scenario scenario, long deadline, int index)
    {
        private readonly Random _random = new(index + 1);

        public List<long> Latencies { get; } = new(capacity: 65_536);

        public long Errors { get; private set; }

        public string? FirstError { get; private set; }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            while (Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
            {
                using var request = scenario.VirtualUsers is { } users ? users.CreateRequest(index) : scenario.CreateRequest(_random);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await scenario.Client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                    var elapsed = Stopwatch.GetTimestamp() - started;
                    if (response.IsSuccessStatusCode)
                    {
                        if (scenario.VirtualUsers is { } virtualUsers
                            && await virtualUsers.AcceptAsync(index, response, cancellationToken).ConfigureAwait(false) is { } error)
                        {
                            Fail(error);
                            continue;
                        }

                        Latencies.Add(elapsed);
                    }
                    else
                    {
                        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                        Fail($"{(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    Fail(ex.Message);
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    Fail("request timed out");
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        private void Fail(string message)
        {
            Errors++;
            FirstError ??= message;
        }
    }
}
