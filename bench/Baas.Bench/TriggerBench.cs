using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Baas.Bench;

/// <summary>
/// The after-trigger suite (issue 9, item 10): creates run at full speed into a collection watched by an <c>after</c>
/// trigger whose function, as its first act, records when it started (<c>Date.now()</c>) against the document's
/// <c>_createdAt</c> (both server clock, milliseconds) in a marker document keyed by <c>event.id</c>. Then: commit →
/// function start p50/p99 over every marker, runs lost = creates − markers once the feed is drained, and get-by-id
/// throughput measured in the same run as the baseline.
/// </summary>
internal sealed class TriggerBench(HttpClient http, BenchOptions options)
{
    public const string Collection = "bench_trig";
    public const string Runs = "bench_trig_runs";
    public const string Function = "bench-after";

    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(2);

    private static readonly string[] OnCreate = ["create"];

    // The function's first statement takes the time, so the figure is commit → function start (not its end).
    private const string Code = """
        export default async function (ctx) {
          const started = Date.now();
          const runs = ctx.db.collection('bench_trig_runs');
          if (await runs.get(ctx.event.id)) return 'duplicate';
          await runs.insert({ _id: ctx.event.id, doc: ctx.event.documentId, latencyMs: started - Date.parse(ctx.event.after._createdAt) });
        }
        """;

    public List<ScenarioResult> Load { get; } = [];

    public long Created { get; private set; }

    public long Ran { get; private set; }

    public double P50Milliseconds { get; private set; }

    public double P99Milliseconds { get; private set; }

    public double MaxMilliseconds { get; private set; }

    public double DrainSeconds { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var name in new[] { Collection, Runs })
        {
            using var create = await http.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), new { name }, cancellationToken);
            create.EnsureSuccessStatusCode();
        }

        using (var save = await http.PostAsJsonAsync(
            new Uri("api/admin/functions", UriKind.Relative),
            new { name = Function, code = Code, triggers = new[] { new { collection = Collection, on = OnCreate, phase = "after" } } },
            cancellationToken))
        {
            if (!save.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Saving the trigger function failed ({(int)save.StatusCode}): {await save.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }

        // Baseline first: a plain GET of a document, then creates with the trigger consuming behind them.
        var documents = $"api/collections/{Collection}/documents";
        using (var seed = await http.PostAsJsonAsync(new Uri(documents, UriKind.Relative), new { _id = "probe", n = 0 }, cancellationToken))
        {
            seed.EnsureSuccessStatusCode();
        }

        var getById = new Scenario("get-by-id (baseline)", http, _ => new HttpRequestMessage(HttpMethod.Get, new Uri($"{documents}/probe", UriKind.Relative)));
        var creates = new Scenario("create (after trigger on)", http, random => new HttpRequestMessage(HttpMethod.Post, new Uri(documents, UriKind.Relative))
        {
            Content = new StringContent(Format($$"""{"n":{{random.Next()}}}"""), Encoding.UTF8, "application/json"),
        });
        Load.Add(await LoadRunner.RunAsync(getById, options, cancellationToken));
        Load.Add(await LoadRunner.RunAsync(creates, options, cancellationToken));

        // Every create (warm-up included) must produce exactly one marker: wait until the feed is drained.
        Created = await CountAsync(Collection, cancellationToken) - 1;
        var drain = Stopwatch.StartNew();
        while ((Ran = await CountAsync(Runs, cancellationToken)) < Created + 1 && drain.Elapsed < DrainLimit)
        {
            await Task.Delay(250, cancellationToken);
        }

        DrainSeconds = drain.Elapsed.TotalSeconds;
        var latencies = await LatenciesAsync(cancellationToken);
        Ran = latencies.Count;
        latencies.Sort();
        P50Milliseconds = Percentile(latencies, 0.50);
        P99Milliseconds = Percentile(latencies, 0.99);
        MaxMilliseconds = latencies.Count == 0 ? 0 : latencies[^1];
    }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("| measurement | value | target | met |");
        md.AppendLine("| --- | ---: | --- | --- |");
        var baseline = Load[0];
        var load = Load[1];
        md.AppendLine(Format($"| get-by-id throughput (baseline, same run) | {baseline.Throughput:N0}/s | | |"));
        md.AppendLine(Format($"| create throughput with the trigger consuming | {load.Throughput:N0}/s ({load.Throughput / baseline.Throughput:P0} of get-by-id) | | |"));
        md.AppendLine(Format($"| commit → function start p50 | {P50Milliseconds:N1} ms | < 20 ms | {(P50Milliseconds < 20 ? "yes" : "**no**")} |"));
        md.AppendLine(Format($"| commit → function start p99 | {P99Milliseconds:N1} ms | < 100 ms | {(P99Milliseconds < 100 ? "yes" : "**no**")} |"));
        md.AppendLine(Format($"| commit → function start max | {MaxMilliseconds:N1} ms | | |"));
        md.AppendLine(Format($"| runs lost (creates {Created:N0}, runs {Ran:N0}; drained in {DrainSeconds:N1} s) | {Math.Max(0, Created - Ran):N0} | 0 | {(Created - Ran <= 0 ? "yes" : "**no**")} |"));
        return md.ToString();
    }

    private async Task<long> CountAsync(string collection, CancellationToken cancellationToken)
    {
        var page = await http.GetFromJsonAsync<JsonObject>(new Uri($"api/collections/{collection}/documents?limit=1&count=true", UriKind.Relative), cancellationToken);
        return page?["count"]?.GetValue<long>() ?? 0;
    }

    private async Task<List<double>> LatenciesAsync(CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        string? cursor = null;
        do
        {
            var uri = $"api/collections/{Runs}/documents?limit=1000&fields=latencyMs" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await http.GetFromJsonAsync<JsonObject>(new Uri(uri, UriKind.Relative), cancellationToken);
            foreach (var item in page?["items"]?.AsArray() ?? [])
            {
                if (item?["latencyMs"] is JsonValue value)
                {
                    latencies.Add(value.GetValue<double>());
                }
            }

            cursor = page?["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return latencies;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
