using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Baas.Bench;

/// <summary>
/// The after-trigger suite (issue 9, item 10). Commit → function start is taken from the run records the server keeps
/// (<c>startedAt</c> of each run against <c>_createdAt</c> of the document in its event, both server clock,
/// milliseconds), so the function does not need to write anything and the figure is the consumer's own latency. Rows:
/// <list type="number">
/// <item>creates at full speed (closed loop) into a collection whose trigger's function does nothing;</item>
/// <item>creates paced at <see cref="PacedShare"/> of the rate the consumer sustained alone (measured while it drained
/// row 1's backlog with no creates arriving), or of row 1's create rate when the consumer kept up;</item>
/// <item>creates at full speed into a second collection whose function writes a marker document per run (a second store
/// write and a second change the consumer reads and skips): what a function that writes costs.</item>
/// </list>
/// Each row waits for its runs (a sentinel document created after the load must have run), then counts runs lost =
/// creates − runs. get-by-id of one document is measured in the same run as the baseline.
/// </summary>
internal sealed class TriggerBench(HttpClient http, BenchOptions options)
{
    public const string Collection = "bench_trig";
    public const string MarkedCollection = "bench_trig_marked";
    public const string Markers = "bench_trig_runs";
    public const string Function = "bench-after";
    public const string MarkerFunction = "bench-after-marker";

    /// <summary>The paced row runs at this share of the consumer's measured capacity.</summary>
    public const double PacedShare = 0.8;

    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(2);

    // Fewer runs than this after the load ended are too few to measure the consumer's rate by.
    private const int MinimumDrainRuns = 200;

    private static readonly string[] OnCreate = ["create"];

    private const string EmptyCode = """
        export default async function (ctx) {
        }
        """;

    private const string MarkerCode = """
        export default async function (ctx) {
          const runs = ctx.db.collection('bench_trig_runs');
          if (await runs.get(ctx.event.id)) return 'duplicate';
          await runs.insert({ _id: ctx.event.id, doc: ctx.event.documentId });
        }
        """;

    public ScenarioResult? Baseline { get; private set; }

    public List<TriggerRow> Rows { get; } = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var name in new[] { Collection, MarkedCollection, Markers })
        {
            using var create = await http.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), new { name }, cancellationToken);
            create.EnsureSuccessStatusCode();
        }

        await SaveFunctionAsync(Function, EmptyCode, Collection, cancellationToken);

        // Baseline first: a plain GET of a document (in a collection no trigger watches).
        using (var seed = await http.PostAsJsonAsync(new Uri($"api/collections/{Markers}/documents", UriKind.Relative), new { _id = "probe", n = 0 }, cancellationToken))
        {
            seed.EnsureSuccessStatusCode();
        }

        var getById = new Scenario("get-by-id (baseline)", http, _ => new HttpRequestMessage(HttpMethod.Get, new Uri($"api/collections/{Markers}/documents/probe", UriKind.Relative)));
        Baseline = await LoadRunner.RunAsync(getById, options, cancellationToken);

        Console.WriteLine("  full speed, function does not write...");
        var full = await MeasureAsync("creates at full speed, function does not write", Function, Collection, "full", rate: null, cancellationToken);
        Rows.Add(full);

        var capacity = full.ConsumerAlone ?? full.CreatesPerSecond;
        var paced = Math.Max(1, capacity * PacedShare);
        Console.WriteLine(Format($"  paced at {paced:N0}/s ({PacedShare:P0} of {capacity:N0}/s), function does not write..."));
        var of = full.ConsumerAlone is null ? "row 1's create rate (the consumer kept up)" : "the consumer-alone rate";
        Rows.Add(await MeasureAsync(Format($"creates paced at {paced:N0}/s ({PacedShare:P0} of {of}), function does not write"), Function, Collection, "paced", paced, cancellationToken));

        // One consumer at a time: every function's consumer reads the whole feed, so the first would read and skip the
        // third row's changes too.
        using (var delete = await http.DeleteAsync(new Uri($"api/admin/functions/{Function}", UriKind.Relative), cancellationToken))
        {
            delete.EnsureSuccessStatusCode();
        }

        await SaveFunctionAsync(MarkerFunction, MarkerCode, MarkedCollection, cancellationToken);
        Console.WriteLine("  full speed, function writes a marker...");
        Rows.Add(await MeasureAsync("creates at full speed, function writes a marker", MarkerFunction, MarkedCollection, "marked", rate: null, cancellationToken));
    }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine(Format($"get-by-id (baseline, same run): {Baseline!.Throughput:N0}/s. Targets (issue 9): commit → function start p50 < 20 ms, p99 < 100 ms, 0 runs lost."));
        md.AppendLine();
        md.AppendLine("| row | creates/s | consumer alone (runs/s) | runs / creates | lost | p50 (ms) | p99 (ms) | max (ms) | drained in | met |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var row in Rows)
        {
            var met = row.P50Milliseconds < 20 && row.P99Milliseconds < 100 && row.Lost == 0;
            md.AppendLine(Format(
                $"| {row.Name} | {row.CreatesPerSecond:N0} ({row.CreatesPerSecond / Baseline.Throughput:P0} of get-by-id) | {(row.ConsumerAlone is { } alone ? alone.ToString("N0", CultureInfo.InvariantCulture) : "kept up")} | {row.Runs:N0} / {row.Created:N0} | {row.Lost:N0} | {row.P50Milliseconds:N1} | {row.P99Milliseconds:N1} | {row.MaxMilliseconds:N1} | {row.DrainSeconds:N1} s | {(met ? "yes" : "**no**")} |"));
        }

        md.AppendLine();
        md.AppendLine("Consumer alone: runs started per second after the load ended (no creates arriving), over the backlog the load left; \"kept up\" when fewer than 200 runs were left.");
        return md.ToString();
    }

    private async Task SaveFunctionAsync(string name, string code, string collection, CancellationToken cancellationToken)
    {
        using var save = await http.PostAsJsonAsync(
            new Uri("api/admin/functions", UriKind.Relative),
            new { name, code, triggers = new[] { new { collection, on = OnCreate, phase = "after" } } },
            cancellationToken);
        if (!save.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Saving the trigger function {name} failed ({(int)save.StatusCode}): {await save.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>One row: creates tagged <paramref name="phase"/> (closed loop, or paced at <paramref name="rate"/>), then waits for their runs.</summary>
    private async Task<TriggerRow> MeasureAsync(string name, string function, string collection, string phase, double? rate, CancellationToken cancellationToken)
    {
        var documents = $"api/collections/{collection}/documents";

        // A new function's consumer starts at the feed's position when it first runs: creates before that are not its
        // changes. A document whose run has started shows that the consumer is reading (one more every 500 ms, in case
        // the first was committed before the consumer began).
        var waited = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            using (var probe = await http.PostAsJsonAsync(new Uri(documents, UriKind.Relative), new { _id = $"ready-{phase}-{attempt}", phase = "ready" }, cancellationToken))
            {
                probe.EnsureSuccessStatusCode();
            }

            await Task.Delay(500, cancellationToken);
            if (await SentinelRanAsync(function, $"ready-{phase}-", cancellationToken))
            {
                break;
            }

            if (waited.Elapsed > DrainLimit)
            {
                throw new InvalidOperationException($"The after trigger of {function} did not start within {DrainLimit.TotalSeconds:N0} s.");
            }
        }

        var creates = new Scenario(name, http, random => new HttpRequestMessage(HttpMethod.Post, new Uri(documents, UriKind.Relative))
        {
            Content = new StringContent(Format($$"""{"phase":"{{phase}}","n":{{random.Next()}}}"""), Encoding.UTF8, "application/json"),
        });
        var load = rate is { } r ? await PacedAsync(creates, r, cancellationToken) : await LoadRunner.RunAsync(creates, options, cancellationToken);
        var loadEnded = DateTimeOffset.UtcNow;

        // A sentinel created after the load: once its run has started, every change before it has been read and dispatched.
        var sentinel = $"end-{phase}";
        using (var end = await http.PostAsJsonAsync(new Uri(documents, UriKind.Relative), new { _id = sentinel, phase = "sentinel" }, cancellationToken))
        {
            end.EnsureSuccessStatusCode();
        }

        var created = await CountAsync(collection, phase, cancellationToken);
        var drain = Stopwatch.StartNew();
        List<RunSample> runs;
        while (true)
        {
            if (await SentinelRanAsync(function, sentinel, cancellationToken))
            {
                runs = await RunsAsync(function, phase, cancellationToken);
                if (runs.Count >= created || drain.Elapsed > DrainLimit)
                {
                    break;
                }
            }
            else if (drain.Elapsed > DrainLimit)
            {
                runs = await RunsAsync(function, phase, cancellationToken);
                break;
            }

            await Task.Delay(250, cancellationToken);
        }

        var latencies = runs.Select(s => s.LatencyMilliseconds).ToList();
        latencies.Sort();
        var lastStart = runs.Count == 0 ? loadEnded : runs.Max(s => s.StartedAt);
        var afterLoad = runs.Count(s => s.StartedAt > loadEnded);
        var drained = Math.Max(0, (lastStart - loadEnded).TotalSeconds);
        return new TriggerRow(
            name,
            load.Throughput,
            afterLoad >= MinimumDrainRuns && drained > 0 ? afterLoad / drained : null,
            created,
            runs.Count,
            Math.Max(0, created - runs.Count),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            latencies.Count == 0 ? double.NaN : latencies[^1],
            drained);
    }

    /// <summary>Open-loop creates: one shared schedule at <paramref name="rate"/> per second for the duration, after a paced warm-up.</summary>
    private async Task<ScenarioResult> PacedAsync(Scenario scenario, double rate, CancellationToken cancellationToken)
    {
        if (options.Warmup > TimeSpan.Zero)
        {
            await PacedPhaseAsync(scenario, rate, options.Warmup, cancellationToken);
        }

        return await PacedPhaseAsync(scenario, rate, options.Duration, cancellationToken);
    }

    private async Task<ScenarioResult> PacedPhaseAsync(Scenario scenario, double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var interval = (long)(Stopwatch.Frequency / rate);
        var started = Stopwatch.GetTimestamp();
        var next = started;
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(duration + TimeSpan.FromSeconds(30));
        long sent = 0;
        long errors = 0;
        string? firstError = null;

        async Task WorkerAsync(int index)
        {
            var random = new Random(2000 + index);
            while (!hardStop.IsCancellationRequested)
            {
                // Each request takes the next slot of one schedule: the load is the rate asked for, as long as the
                // workers keep up (a slot already past is sent at once).
                var slot = Interlocked.Add(ref next, interval);
                if (slot >= deadline)
                {
                    return;
                }

                var wait = slot - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), hardStop.Token);
                }

                using var request = scenario.CreateRequest(random);
                using var response = await http.SendAsync(request, hardStop.Token);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref sent);
                }
                else if (Interlocked.Increment(ref errors) == 1)
                {
                    firstError = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(hardStop.Token)}";
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(i => Task.Run(() => WorkerAsync(i), CancellationToken.None)));
        var seconds = (double)(Stopwatch.GetTimestamp() - started) / Stopwatch.Frequency;
        if (errors > 0)
        {
            Console.WriteLine(Format($"  {errors} paced creates failed; first: {firstError}"));
        }

        return new ScenarioResult(scenario.Name, sent, errors, seconds, sent / seconds, double.NaN, double.NaN, double.NaN, firstError);
    }

    private async Task<long> CountAsync(string collection, string phase, CancellationToken cancellationToken)
    {
        var filter = Uri.EscapeDataString(Format($$"""{"phase":"{{phase}}"}"""));
        var page = await http.GetFromJsonAsync<JsonObject>(new Uri($"api/collections/{collection}/documents?limit=1&count=true&filter={filter}", UriKind.Relative), cancellationToken);
        return page?["count"]?.GetValue<long>() ?? 0;
    }

    /// <summary>
    /// Whether the run of a document whose id starts with <paramref name="prefix"/> has started: it is among the newest
    /// runs (its lane had at most a few runs beside it).
    /// </summary>
    private async Task<bool> SentinelRanAsync(string function, string prefix, CancellationToken cancellationToken)
    {
        var page = await http.GetFromJsonAsync<JsonObject>(new Uri($"api/admin/functions/{function}/runs?limit=100", UriKind.Relative), cancellationToken);
        return (page?["items"]?.AsArray() ?? []).Any(item => item?["event"]?["documentId"]?.GetValue<string>()?.StartsWith(prefix, StringComparison.Ordinal) == true);
    }

    /// <summary>The first successful run of <paramref name="function"/> for each document of <paramref name="phase"/>: its start and its latency from the document's creation.</summary>
    private async Task<List<RunSample>> RunsAsync(string function, string phase, CancellationToken cancellationToken)
    {
        var samples = new Dictionary<string, RunSample>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var uri = $"api/admin/functions/{function}/runs?limit=500" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await http.GetFromJsonAsync<JsonObject>(new Uri(uri, UriKind.Relative), cancellationToken);
            foreach (var item in page?["items"]?.AsArray() ?? [])
            {
                if (item?["event"]?["after"] is JsonObject after && after["phase"]?.GetValue<string>() == phase
                    && item["status"]?.GetValue<string>() == "succeeded" && item["attempt"]?.GetValue<int>() == 1)
                {
                    var startedAt = Parse(item["startedAt"]!.GetValue<string>());
                    var createdAt = Parse(after["_createdAt"]!.GetValue<string>());
                    var document = item["event"]!["documentId"]!.GetValue<string>();

                    // A redelivered change runs again (at-least-once): its first start counts.
                    if (!samples.TryGetValue(document, out var seen) || startedAt < seen.StartedAt)
                    {
                        samples[document] = new RunSample(startedAt, (startedAt - createdAt).TotalMilliseconds);
                    }
                }
            }

            cursor = page?["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return [.. samples.Values];
    }

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record RunSample(DateTimeOffset StartedAt, double LatencyMilliseconds);
}

/// <summary>One row of the after-trigger suite.</summary>
internal sealed record TriggerRow(
    string Name,
    double CreatesPerSecond,
    double? ConsumerAlone,
    long Created,
    long Runs,
    long Lost,
    double P50Milliseconds,
    double P99Milliseconds,
    double MaxMilliseconds,
    double DrainSeconds);
