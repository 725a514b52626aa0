using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Baas.Bench;

/// <summary>
/// The schedule suite (issue 9, item 10): a function scheduled every second (6-field cron, Hangfire recurring job with
/// the server's default settings) runs while get-by-id load goes on; each run record holds its due time (<c>dueAt</c>)
/// and when it started (<c>startedAt</c>, both server clock), so start delay = startedAt − dueAt. Reports p50/p99/max
/// over at least <see cref="MinRuns"/> runs, runs missed or doubled (due times without a run, or with two), and
/// get-by-id throughput without and with the schedule in the same run. Then the server's idle CPU: with no schedule, and
/// with one every-minute schedule defined (issue 9 item 10: no busy polling while idle), over <see cref="IdleWindow"/> each.
/// </summary>
internal sealed class ScheduleBench(HttpClient http, BenchOptions options, ServerProcess server)
{
    public const string Collection = "bench_sched";
    public const string Function = "bench-every-second";
    public const int MinRuns = 40;

    public const string IdleFunction = "bench-every-minute";

    private static readonly TimeSpan RunsLimit = TimeSpan.FromMinutes(3);

    /// <summary>How long the idle CPU is sampled, per state.</summary>
    public static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(30);

    private const string Code = "export default async function (ctx) { return ctx.run.attempt; }";

    public List<ScenarioResult> Load { get; } = [];

    public List<double> Delays { get; } = [];

    public int Missed { get; private set; }

    public int Doubled { get; private set; }

    /// <summary>The server's CPU (user + system) as a share of one core while idle: no schedule, then one every-minute schedule.</summary>
    public (double NoSchedule, double OneSchedule) IdleCpu { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using (var create = await http.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), new { name = Collection }, cancellationToken))
        {
            create.EnsureSuccessStatusCode();
        }

        var documents = $"api/collections/{Collection}/documents";
        using (var seed = await http.PostAsJsonAsync(new Uri(documents, UriKind.Relative), new { _id = "probe", n = 0 }, cancellationToken))
        {
            seed.EnsureSuccessStatusCode();
        }

        var getById = new Scenario("get-by-id (no schedule)", http, _ => new HttpRequestMessage(HttpMethod.Get, new Uri($"{documents}/probe", UriKind.Relative)));
        Load.Add(await LoadRunner.RunAsync(getById, options, cancellationToken));

        using (var save = await http.PostAsJsonAsync(
            new Uri("api/admin/functions", UriKind.Relative),
            new { name = Function, code = Code, schedule = new { cron = "* * * * * *" } },
            cancellationToken))
        {
            if (!save.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Saving the scheduled function failed ({(int)save.StatusCode}): {await save.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }

        var withSchedule = getById with { Name = "get-by-id (every-second schedule running)" };
        Load.Add(await LoadRunner.RunAsync(withSchedule, options, cancellationToken));

        var started = DateTime.UtcNow;
        List<(DateTimeOffset Due, DateTimeOffset Started)> runs;
        while ((runs = await RunsAsync(cancellationToken)).Count < MinRuns && DateTime.UtcNow - started < RunsLimit)
        {
            await Task.Delay(500, cancellationToken);
        }

        // Stop it, so the due times counted below are a closed range.
        using (var delete = await http.DeleteAsync(new Uri($"api/admin/functions/{Function}", UriKind.Relative), cancellationToken))
        {
            delete.EnsureSuccessStatusCode();
        }

        var byDue = runs.GroupBy(r => r.Due).OrderBy(g => g.Key).ToList();
        Doubled = byDue.Count(g => g.Count() > 1);
        if (byDue.Count > 1)
        {
            var span = (int)(byDue[^1].Key - byDue[0].Key).TotalSeconds + 1;
            Missed = span - byDue.Count;
        }

        Delays.AddRange(runs.Select(r => (r.Started - r.Due).TotalMilliseconds));
        Delays.Sort();

        // Idle: nothing scheduled (the every-second function is deleted), then one every-minute schedule.
        var none = await IdleCpuAsync(cancellationToken);
        using (var save = await http.PostAsJsonAsync(
            new Uri("api/admin/functions", UriKind.Relative),
            new { name = IdleFunction, code = Code, schedule = new { cron = "* * * * *" } },
            cancellationToken))
        {
            save.EnsureSuccessStatusCode();
        }

        IdleCpu = (none, await IdleCpuAsync(cancellationToken));
    }

    private async Task<double> IdleCpuAsync(CancellationToken cancellationToken)
    {
        // A moment for the previous phase's work (record writes, GC) to end, then CPU time over wall time.
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var cpu = server.CpuTime();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(IdleWindow, cancellationToken);
        return (server.CpuTime() - cpu) / clock.Elapsed;
    }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("| measurement | value | target | met |");
        md.AppendLine("| --- | ---: | --- | --- |");
        var baseline = Load[0];
        var load = Load[1];
        md.AppendLine(Format($"| get-by-id throughput, no schedule (baseline, same run) | {baseline.Throughput:N0}/s | | |"));
        md.AppendLine(Format($"| get-by-id throughput, every-second schedule running | {load.Throughput:N0}/s ({load.Throughput / baseline.Throughput:P0} of the baseline) | | |"));
        md.AppendLine(Format($"| scheduled runs measured | {Delays.Count:N0} | ≥ 30 | {(Delays.Count >= 30 ? "yes" : "**no**")} |"));
        md.AppendLine(Format($"| due time → start p50 | {Percentile(0.50):N0} ms | | |"));
        md.AppendLine(Format($"| due time → start p99 | {Percentile(0.99):N0} ms | < 2,000 ms | {(Percentile(0.99) < 2000 ? "yes" : "**no**")} |"));
        md.AppendLine(Format($"| due time → start max | {(Delays.Count == 0 ? double.NaN : Delays[^1]):N0} ms | | |"));
        md.AppendLine(Format($"| due times missed / run twice (between the first and last run) | {Missed} / {Doubled} | 0 / 0 | {(Missed == 0 && Doubled == 0 ? "yes" : "**no**")} |"));
        md.AppendLine(Format($"| server CPU while idle, no schedule ({IdleWindow.TotalSeconds:N0} s) | {IdleCpu.NoSchedule:P2} of a core | | |"));
        md.AppendLine(Format($"| server CPU while idle, one every-minute schedule ({IdleWindow.TotalSeconds:N0} s) | {IdleCpu.OneSchedule:P2} of a core | | |"));
        return md.ToString();
    }

    private async Task<List<(DateTimeOffset Due, DateTimeOffset Started)>> RunsAsync(CancellationToken cancellationToken)
    {
        var runs = new List<(DateTimeOffset, DateTimeOffset)>();
        string? cursor = null;
        do
        {
            var uri = $"api/admin/functions/{Function}/runs?limit=100" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await http.GetFromJsonAsync<JsonObject>(new Uri(uri, UriKind.Relative), cancellationToken);
            foreach (var item in page?["items"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                if (item["attempt"]?.GetValue<int>() == 1 && item["dueAt"] is JsonValue due && item["startedAt"] is JsonValue start)
                {
                    runs.Add((Parse(due), Parse(start)));
                }
            }

            cursor = page?["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return runs;
    }

    private static DateTimeOffset Parse(JsonValue value) => DateTimeOffset.Parse(value.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private double Percentile(double p) =>
        Delays.Count == 0 ? double.NaN : Delays[Math.Min(Delays.Count - 1, (int)Math.Ceiling(p * Delays.Count) - 1)];

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
