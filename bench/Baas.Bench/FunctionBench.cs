using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace Baas.Bench;

/// <summary>
/// The functions suite (issue 9, item 10), two comparisons, each pair measured in alternating one-second slices in the
/// same run so that the machine's load falls on both alike:
/// (a) creates into a collection with a <c>before</c> trigger that sets one field against creates into the same kind of
/// collection without one (target: at least 75% of the throughput);
/// (b) the callable round trip of a trivial function against get-by-id of one document (target: at least 50%).
/// </summary>
internal sealed class FunctionBench(HttpClient http, BenchOptions options, Func<TimeSpan> serverCpu)
{
    public const string Plain = "bench_fn_plain";
    public const string Triggered = "bench_fn_before";
    public const string BeforeFunction = "bench-before";
    public const string CallableFunction = "bench-callable";

    private static readonly string[] OnCreate = ["create"];

    // Sets one field: what the issue's "a before trigger that sets one field" measures.
    private const string BeforeCode = """
        export default async function (ctx) {
          return { data: { ...ctx.event.data, checked: true } };
        }
        """;

    private const string CallableCode = """
        export default async function (ctx) {
          return { echo: ctx.args.n };
        }
        """;

    public IReadOnlyList<ScenarioResult> Creates { get; private set; } = [];

    public IReadOnlyList<ScenarioResult> Calls { get; private set; } = [];

    /// <summary>Engines created (cold starts) and warm pool hits during each comparison: a warm pool should create almost none.</summary>
    public (double Created, double Warm) CreateEngines { get; private set; }

    /// <inheritdoc cref="CreateEngines"/>
    public (double Created, double Warm) CallEngines { get; private set; }

    // Prometheus names of FunctionRuntimeMetrics' counters.
    private const string EnginesCreatedMetric = "baas_functions_engines_created_total";
    private const string PoolHitsMetric = "baas_functions_engine_pool_hits_total";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var name in new[] { Plain, Triggered })
        {
            using var create = await http.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), new { name }, cancellationToken);
            await EnsureAsync(create, $"Creating {name}", cancellationToken);
        }

        await SaveAsync(new { name = BeforeFunction, code = BeforeCode, triggers = new[] { new { collection = Triggered, on = OnCreate, phase = "before" } } }, cancellationToken);
        await SaveAsync(new { name = CallableFunction, code = CallableCode, callable = new { } }, cancellationToken);

        // Checks that the trigger is live before anything is measured: a create answers with its field.
        using (var probe = await http.PostAsJsonAsync(new Uri($"api/collections/{Triggered}/documents", UriKind.Relative), new { _id = "probe", n = 0 }, cancellationToken))
        {
            var body = await probe.Content.ReadAsStringAsync(cancellationToken);
            if (!probe.IsSuccessStatusCode || !body.Contains("\"checked\":true", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The before trigger did not set its field ({(int)probe.StatusCode}): {body}");
            }
        }

        using (var seed = await http.PostAsJsonAsync(new Uri($"api/collections/{Plain}/documents", UriKind.Relative), new { _id = "probe", n = 0 }, cancellationToken))
        {
            await EnsureAsync(seed, "Seeding the get-by-id document", cancellationToken);
        }

        var engines = await EnginesAsync(cancellationToken);
        Creates = await RunAsync(
            [
                new Scenario("create (no trigger)", http, random => Create(Plain, random)),
                new Scenario("create (before trigger sets one field)", http, random => Create(Triggered, random)),
            ],
            cancellationToken);
        var afterCreates = await EnginesAsync(cancellationToken);
        CreateEngines = (afterCreates.Created - engines.Created, afterCreates.Warm - engines.Warm);
        Calls = await RunAsync(
            [
                new Scenario("get-by-id", http, _ => new HttpRequestMessage(HttpMethod.Get, new Uri($"api/collections/{Plain}/documents/probe", UriKind.Relative))),
                new Scenario("callable round trip (trivial function)", http, random => new HttpRequestMessage(HttpMethod.Post, new Uri($"api/functions/{CallableFunction}", UriKind.Relative))
                {
                    Content = new StringContent("{\"args\":{\"n\":" + random.Next().ToString(CultureInfo.InvariantCulture) + "}}", Encoding.UTF8, "application/json"),
                }),
            ],
            cancellationToken);
        var afterCalls = await EnginesAsync(cancellationToken);
        CallEngines = (afterCalls.Created - afterCreates.Created, afterCalls.Warm - afterCreates.Warm);
    }

    /// <summary>
    /// The scenarios <c>--only</c> keeps (all without it), interleaved. One scenario alone is for a profile of it
    /// (e.g. <c>--only "create (before"</c> while perf records the server); a comparison needs both of its pair.
    /// </summary>
    private async Task<IReadOnlyList<ScenarioResult>> RunAsync(Scenario[] scenarios, CancellationToken cancellationToken)
    {
        Scenario[] kept = options.Only is { } only ? [.. scenarios.Where(s => only.Any(name => s.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase)))] : scenarios;
        return kept.Length == 0 ? [] : await LoadRunner.RunInterleavedAsync(kept, options, cancellationToken, serverCpu, ct => MemoryBench.AllocatedBytesAsync(http, ct));
    }

    private async Task<(double Created, double Warm)> EnginesAsync(CancellationToken cancellationToken) => (
        await MemoryBench.CounterAsync(http, EnginesCreatedMetric, cancellationToken) ?? 0,
        await MemoryBench.CounterAsync(http, PoolHitsMetric, cancellationToken) ?? 0);

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("| scenario | requests | errors | throughput (req/s) | p50 (ms) | p99 (ms) | max (ms) | server CPU per request (µs) | server allocated per request (KB) |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in Creates.Concat(Calls))
        {
            md.AppendLine(Format($"| {r.Name} | {r.Requests:N0} | {r.Errors:N0} | {r.Throughput:N0} | {r.P50Milliseconds:N2} | {r.P99Milliseconds:N2} | {r.MaxMilliseconds:N1} | {r.ServerCpuMicroseconds:N0} | {r.ServerAllocatedBytes / 1024:N1} |"));
        }

        // With --only, a pair may be incomplete: its comparison is then left out.
        var creates = Creates.Count == 2;
        var calls = Calls.Count == 2;
        if (creates || calls)
        {
            md.AppendLine();
            md.AppendLine("| comparison (same run, interleaved) | ratio | target | met |");
            md.AppendLine("| --- | ---: | --- | --- |");
        }

        if (creates)
        {
            var createRatio = Creates[1].Throughput / Creates[0].Throughput;
            md.AppendLine(Format($"| creates with a before trigger setting one field vs without | {createRatio:P0} | ≥ 75 % | {(createRatio >= 0.75 ? "yes" : "**no**")} |"));
        }

        if (calls)
        {
            var callRatio = Calls[1].Throughput / Calls[0].Throughput;
            md.AppendLine(Format($"| callable round trip of a trivial function vs get-by-id | {callRatio:P0} | ≥ 50 % | {(callRatio >= 0.50 ? "yes" : "**no**")} |"));
        }

        md.AppendLine();
        if (creates && calls)
        {
            md.AppendLine(Format($"Server CPU per request, with the trigger against without: {Creates[1].ServerCpuMicroseconds / Creates[0].ServerCpuMicroseconds:N2}×; callable against get-by-id: {Calls[1].ServerCpuMicroseconds / Calls[0].ServerCpuMicroseconds:N2}× (user + kernel time of the server process from /proc while each scenario ran; steadier than throughput on a shared machine)."));
        }

        md.AppendLine(Format($"Engines created (cold) / taken warm from the pool: {CreateEngines.Created:N0} / {CreateEngines.Warm:N0} during the creates, {CallEngines.Created:N0} / {CallEngines.Warm:N0} during the calls."));
        foreach (var r in Creates.Concat(Calls).Where(r => r.FirstError is not null))
        {
            md.AppendLine();
            md.AppendLine(Format($"First error of {r.Name}: `{r.FirstError}`"));
        }

        return md.ToString();
    }

    private static HttpRequestMessage Create(string collection, Random random) =>
        new(HttpMethod.Post, new Uri($"api/collections/{collection}/documents", UriKind.Relative))
        {
            Content = new StringContent(BaasSetup.DocumentJson(random, id: null), Encoding.UTF8, "application/json"),
        };

    private async Task SaveAsync(object definition, CancellationToken cancellationToken)
    {
        using var save = await http.PostAsJsonAsync(new Uri("api/admin/functions", UriKind.Relative), definition, cancellationToken);
        await EnsureAsync(save, "Saving a function", cancellationToken);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what} failed ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
