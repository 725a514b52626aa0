using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Baas.Bench;

/// <summary>
/// Issue 11, item 1: the query attack of the report (an anonymous <c>$or</c> of 199 <c>$containsi</c>, <c>count</c>,
/// an unindexed sort, <c>limit</c> 1000, over 50,000 documents, 32 at once without pause) against what must stay
/// responsive: <c>/health/ready</c> and a get-by-id, measured one after another without the attack and then under
/// it, in the same run. Target: both answer within 100 ms.
/// </summary>
internal sealed partial class BenchRun
{
    private const string AttackCollection = "bench_query_attack";
    private const int AttackDocuments = 50_000;
    private const int Attackers = 32;
    private const int ProbeRequests = 300;

    // Under the attack each probe runs for at least this long (and at least ProbeRequests requests), so the figures
    // span many of the attackers' query budgets, not one moment of the attack.
    private static readonly TimeSpan AttackedProbeTime = TimeSpan.FromSeconds(15);

    private async Task<int> RunQueryAttackAsync(string repo, string outputDirectory, DateTimeOffset startedAt, string loadBefore, CancellationToken cancellationToken)
    {
        Console.WriteLine(_options.Server is null ? "Publishing the server (Release)..." : $"Using the published server {_options.Server}.");
        var serverDll = _options.Server ?? await PublishAsync(repo, Path.Combine("Platform.Server", "Platform.Server.csproj"), "server", "Platform.Server.dll", cancellationToken);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Baas__DataDir"] = Path.Combine(_workDirectory, "data"),
            ["Baas__Admin__Email"] = AdminEmail,
            ["Baas__Admin__Password"] = AdminPassword,
        };

        Console.WriteLine("Starting the Baas server (embedded SQLite store)...");
        var server = await StartAsync("baas", serverDll, environment, cancellationToken);
        using var handler = new System.Net.Http.SocketsHttpHandler { UseCookies = false, UseProxy = false, MaxConnectionsPerServer = 8 };
        using var client = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var key = await BaasSetup.CreateServiceKeyAsync(client, AdminEmail, AdminPassword, cancellationToken);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        var definition = new JsonObject
        {
            ["name"] = AttackCollection,
            ["rules"] = new JsonObject { ["list"] = "true", ["get"] = "true" },
        };
        using (var created = await client.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), definition, cancellationToken))
        {
            created.EnsureSuccessStatusCode();
        }

        Console.WriteLine(Format($"Seeding {AttackDocuments:N0} documents..."));
        await SeedAttackCollectionAsync(client, cancellationToken);

        Console.WriteLine(Format($"Probes without the attack: {ProbeRequests} get-by-id and {ProbeRequests} /health/ready, one at a time..."));
        var quietGet = await ProbeAsync(client, new Uri($"api/collections/{AttackCollection}/documents/probe", UriKind.Relative), cancellationToken);
        var quietReady = await ProbeAsync(client, new Uri("health/ready", UriKind.Relative), cancellationToken);

        Console.WriteLine(Format($"Attack: {Attackers} anonymous clients sending the 199-condition query without pause..."));
        using var attackHandler = new System.Net.Http.SocketsHttpHandler { UseCookies = false, UseProxy = false, MaxConnectionsPerServer = Attackers };
        using var attacker = new HttpClient(attackHandler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var attack = Enumerable.Range(0, Attackers).Select(_ => AttackAsync(attacker, outcomes, stop.Token)).ToArray();

        // Let every attacker's first query reach the store before measuring.
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        Console.WriteLine("Probes under the attack...");
        var attackedGet = await ProbeAsync(client, new Uri($"api/collections/{AttackCollection}/documents/probe", UriKind.Relative), cancellationToken, AttackedProbeTime);
        var attackedReady = await ProbeAsync(client, new Uri("health/ready", UriKind.Relative), cancellationToken, AttackedProbeTime);
        await stop.CancelAsync();
        await Task.WhenAll(attack);

        var markdown = new StringBuilder()
            .AppendLine(Format($"Query attack run {startedAt:yyyy-MM-dd HH:mm} UTC on {Machine()}. Load average before/after: {loadBefore} / {LoadAverage()}."))
            .AppendLine()
            .AppendLine(Format($"{AttackDocuments:N0} documents in `{AttackCollection}` (`list: \"true\"`, no index); {Attackers} anonymous clients each sending, without pause, `$or` of 199 `$containsi` on `name`, `count: true`, `sort: \"-name\"`, `limit: 1000`. Probes: one request at a time, {ProbeRequests} each without the attack and for {AttackedProbeTime.TotalSeconds:N0} s each under it ({attackedGet.Count:N0} get-by-id, {attackedReady.Count:N0} `/health/ready`), with a service key (get-by-id) and without (`/health/ready`). Target (issue 11, item 1): both answer within 100 ms under the attack."))
            .AppendLine()
            .AppendLine("| probe | phase | p50 (ms) | p99 (ms) | max (ms) | errors | target | met |")
            .AppendLine("| --- | --- | ---: | ---: | ---: | ---: | --- | --- |")
            .AppendLine(Row("get-by-id", "no attack", quietGet, target: false))
            .AppendLine(Row("get-by-id", "under attack", attackedGet, target: true))
            .AppendLine(Row("/health/ready", "no attack", quietReady, target: false))
            .AppendLine(Row("/health/ready", "under attack", attackedReady, target: true))
            .AppendLine()
            .AppendLine(Format($"The attackers' answers: {string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => Format($"{o.Key} × {o.Value:N0}")))}."))
            .ToString();
        var stamp = startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"query-attack-{stamp}.md"), markdown, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "latest-query-attack.md"), markdown, cancellationToken);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {outputDirectory} (query-attack-{stamp}.md, latest-query-attack.md).");
        return attackedGet.Max < 100 && attackedReady.Max < 100 && attackedGet.Errors == 0 && attackedReady.Errors == 0 ? 0 : 1;
    }

    private static string Row(string probe, string phase, ProbeFigures figures, bool target)
    {
        var met = figures.Max < 100 && figures.Errors == 0 ? "yes" : "**no**";
        return Format($"| {probe} | {phase} | {figures.P50:N2} | {figures.P99:N2} | {figures.Max:N1} | {figures.Errors} | {(target ? "every answer < 100 ms" : "")} | {(target ? met : "")} |");
    }

    private sealed record ProbeFigures(double P50, double P99, double Max, int Errors, int Count);

    private static async Task<ProbeFigures> ProbeAsync(HttpClient client, Uri uri, CancellationToken cancellationToken, TimeSpan atLeast = default)
    {
        var latencies = new List<double>(ProbeRequests);
        var errors = 0;
        var begun = Stopwatch.GetTimestamp();
        for (var i = 0; i < ProbeRequests || Stopwatch.GetElapsedTime(begun) < atLeast; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseContentRead, cancellationToken);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            errors += response.IsSuccessStatusCode ? 0 : 1;
        }

        latencies.Sort();
        double At(double quantile) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(quantile * latencies.Count) - 1)];
        return new ProbeFigures(At(0.50), At(0.99), latencies[^1], errors, latencies.Count);
    }

    private static async Task AttackAsync(HttpClient attacker, ConcurrentDictionary<string, int> outcomes, CancellationToken stop)
    {
        var conditions = new JsonArray();
        for (var i = 0; i < 199; i++)
        {
            conditions.Add(new JsonObject { ["name"] = new JsonObject { ["$containsi"] = "zq" + i.ToString(CultureInfo.InvariantCulture) } });
        }

        var body = new JsonObject
        {
            ["filter"] = new JsonObject { ["$or"] = conditions },
            ["count"] = true,
            ["sort"] = "-name",
            ["limit"] = 1000,
        }.ToJsonString();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await attacker.PostAsync(new Uri($"api/collections/{AttackCollection}/query", UriKind.Relative), content, stop);
                var text = await response.Content.ReadAsStringAsync(stop);
                var code = response.IsSuccessStatusCode ? "" : JsonNode.Parse(text)?["code"]?.GetValue<string>() ?? "";
                outcomes.AddOrUpdate(Format($"{(int)response.StatusCode} {code}").Trim(), 1, (_, n) => n + 1);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException ex)
            {
                outcomes.AddOrUpdate("transport: " + ex.Message, 1, (_, n) => n + 1);
            }
        }
    }

    private static async Task SeedAttackCollectionAsync(HttpClient client, CancellationToken cancellationToken)
    {
        const int batchSize = 500;
        var random = new Random(11);
        for (var start = 0; start < AttackDocuments; start += batchSize)
        {
            var ops = new JsonArray();
            for (var i = start; i < Math.Min(AttackDocuments, start + batchSize); i++)
            {
                var name = new StringBuilder();
                for (var w = 0; w < 6; w++)
                {
                    name.Append(w == 0 ? "" : " ").Append(BaasSetup.Statuses[random.Next(BaasSetup.Statuses.Length)]).Append(random.Next(1000).ToString(CultureInfo.InvariantCulture));
                }

                var data = new JsonObject { ["_id"] = i == 0 ? "probe" : "d" + i.ToString(CultureInfo.InvariantCulture), ["name"] = name.ToString() };
                ops.Add(new JsonObject { ["op"] = "create", ["collection"] = AttackCollection, ["data"] = data });
            }

            using var response = await client.PostAsJsonAsync(new Uri("api/batch", UriKind.Relative), new JsonObject { ["ops"] = ops }, cancellationToken);
            response.EnsureSuccessStatusCode();
        }
    }
}
