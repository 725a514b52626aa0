using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace Baas.Bench;

/// <summary>One build the memory suite measures: the published server at hand, or a baseline given with <c>--baseline</c>.</summary>
internal sealed record MemoryBuild(string Name, string ServerDll);

/// <summary>
/// One start of a server: process start to the first 200 on <c>/health/ready</c> (wall time, and the CPU time the process
/// had used by then), and its RSS once set up and idle: 2 s after the set-up, and <see cref="BenchRun.IdleTrimWait"/> after
/// it (after the server's idle trim).
/// </summary>
internal sealed record StartFigures(string Build, double StartupMilliseconds, double StartupCpuMilliseconds, double IdleRssMegabytes, double IdleTrimmedRssMegabytes);

/// <summary>One scenario of the standard load: requests served and what the server allocated for them.</summary>
internal sealed record AllocationFigures(string Build, string Scenario, long Requests, double Throughput, double AllocatedBytes)
{
    public double BytesPerRequest => Requests == 0 ? 0 : AllocatedBytes / Requests;
}

/// <summary>One build's RSS before the standard load and after it: 2 s after, and <see cref="BenchRun.IdleTrimWait"/> after (after the idle trim).</summary>
internal sealed record LoadFigures(string Build, double IdleRssMegabytes, double AfterLoadRssMegabytes, double AfterLoadTrimmedRssMegabytes, double SeedSeconds);

/// <summary>
/// The memory suite (issue 13, items 4 and 5): start-up time and idle RSS over several starts, then a standard
/// load (get-by-id, the indexed query, an operator update, a create) with the bytes the server allocated per
/// request of each, and the RSS after it. With <c>--baseline</c>, a second published build is measured the same
/// way in the same run (starts alternate between the builds), so before and after share the machine's load.
/// </summary>
internal static class MemoryBench
{
    /// <summary>The runtime's allocated-bytes counter as the Prometheus exporter names it (System.Runtime meter, .NET 9+).</summary>
    public const string AllocatedMetric = "dotnet_gc_heap_total_allocated_bytes_total";

    /// <summary>The exporter caches a scrape for 300 ms by default; waiting longer makes each reading fresh.</summary>
    private static readonly TimeSpan ScrapeCache = TimeSpan.FromMilliseconds(400);

    /// <summary>Reads the server's total allocated bytes from <c>/api/admin/metrics</c> (the client carries a service key).</summary>
    public static async Task<double> AllocatedBytesAsync(HttpClient client, CancellationToken cancellationToken) =>
        (await CounterAsync(client, AllocatedMetric, cancellationToken).ConfigureAwait(false))
            ?? throw new InvalidOperationException($"/api/admin/metrics has no {AllocatedMetric} (is the runtime instrumentation on?).");

    /// <summary>The first sample of a counter from <c>/api/admin/metrics</c> (the client carries a service key), or null when it is not there yet.</summary>
    public static async Task<double?> CounterAsync(HttpClient client, string metric, CancellationToken cancellationToken)
    {
        await Task.Delay(ScrapeCache, cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("api/admin/metrics", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET /api/admin/metrics answered {(int)response.StatusCode}: {text[..Math.Min(300, text.Length)]}");
        }

        return ParseCounter(text, metric);
    }

    /// <summary>The value of the first sample of <paramref name="metric"/> in Prometheus text, or null.</summary>
    public static double? ParseCounter(string text, string metric)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[metric.Length..];
            if (rest.Length == 0 || (rest[0] != ' ' && rest[0] != '{'))
            {
                continue;
            }

            var value = rest[(rest.LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
            return double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return null;
    }

    public static string ToMarkdown(
        string header,
        IReadOnlyList<MemoryBuild> builds,
        IReadOnlyList<StartFigures> starts,
        IReadOnlyList<LoadFigures> loads,
        IReadOnlyList<AllocationFigures> allocations)
    {
        var text = new StringBuilder(header).Append("\n\n");
        var wait = BenchRun.IdleTrimWait.TotalSeconds;
        text.Append(Format($"| build | starts | start → first 200 on /health/ready, median (min-max) ms | CPU time used by then, median (min-max) ms | idle RSS 2 s after set-up, median (min-max) MiB | idle RSS {wait:N0} s after set-up, median (min-max) MiB |\n"));
        text.Append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var build in builds)
        {
            var mine = starts.Where(s => s.Build == build.Name).ToList();
            if (mine.Count == 0)
            {
                continue;
            }

            var startup = mine.Select(s => s.StartupMilliseconds).Order().ToList();
            var cpu = mine.Select(s => s.StartupCpuMilliseconds).Order().ToList();
            var idle = mine.Select(s => s.IdleRssMegabytes).Order().ToList();
            var trimmed = mine.Select(s => s.IdleTrimmedRssMegabytes).Order().ToList();
            text.Append(Format($"| {build.Name} | {mine.Count} | {Median(startup):N0} ({startup[0]:N0}-{startup[^1]:N0}) | {Median(cpu):N0} ({cpu[0]:N0}-{cpu[^1]:N0}) | {Median(idle):N1} ({idle[0]:N1}-{idle[^1]:N1}) | {Median(trimmed):N1} ({trimmed[0]:N1}-{trimmed[^1]:N1}) |\n"));
        }

        text.Append(Format($"\n| build | seeded in (s) | RSS before load (MiB) | RSS 2 s after load (MiB) | RSS {wait:N0} s after load (MiB) |\n| --- | ---: | ---: | ---: | ---: |\n"));
        foreach (var load in loads)
        {
            text.Append(Format($"| {load.Build} | {load.SeedSeconds:N1} | {load.IdleRssMegabytes:N1} | {load.AfterLoadRssMegabytes:N1} | {load.AfterLoadTrimmedRssMegabytes:N1} |\n"));
        }

        text.Append(Format($"\nThe second idle and after-load readings come {wait:N0} s after the last request: the server's idle memory trim (`Baas:Memory:TrimWhenIdle`) runs after `Baas:Memory:IdleDelay` (default 5 s) without a request.\n"));

        text.Append("\n| scenario |");
        foreach (var build in builds)
        {
            text.Append(Format($" {build.Name} req/s | {build.Name} bytes/request |"));
        }

        if (builds.Count == 2)
        {
            text.Append(Format($" {builds[0].Name} vs {builds[1].Name} (bytes) |"));
        }

        text.Append("\n| --- |").Append(string.Concat(Enumerable.Repeat(" ---: | ---: |", builds.Count))).Append(builds.Count == 2 ? " ---: |" : "").Append('\n');
        foreach (var scenario in allocations.Select(a => a.Scenario).Distinct())
        {
            text.Append("| ").Append(scenario).Append(" |");
            var perBuild = builds.Select(b => allocations.FirstOrDefault(a => a.Build == b.Name && a.Scenario == scenario)).ToList();
            foreach (var figures in perBuild)
            {
                text.Append(figures is null ? " | |" : Format($" {figures.Throughput:N0} | {figures.BytesPerRequest:N0} |"));
            }

            if (builds.Count == 2 && perBuild[0] is { } first && perBuild[1] is { } second && second.BytesPerRequest > 0)
            {
                text.Append(Format($" {first.BytesPerRequest / second.BytesPerRequest:P0} |"));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
