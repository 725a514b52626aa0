using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;

namespace Baas.Bench;

/// <summary>
/// One benchmark run: publish both apps, start them, seed, load each scenario, report, and stop
/// everything it started, whatever happens.
/// </summary>
internal sealed partial class BenchRun : IAsyncDisposable
{
    private const string AdminEmail = "bench@baas.local";
    private const string AdminPassword = "bench-password-123";
    private const string UserEmail = "owner@bench.local";
    private const string UserPassword = "bench-user-password-123";

    /// <summary>
    /// The second RSS reading, this long after the last request: the server's idle memory trim runs once no request has
    /// started or finished for <c>Baas:Memory:IdleDelay</c> (default 5 s), so this is that delay plus a second, and
    /// never longer. The first reading is still taken where it always was, so both are reported.
    /// </summary>
    internal static readonly TimeSpan IdleTrimWait = TimeSpan.FromSeconds(6);

    /// <summary>The indexed query scenario; the rules scenario runs the very same request as the app user.</summary>
    private static readonly Uri IndexedQuery = new(
        $"api/collections/{BaasSetup.Collection}/documents?filter=" + Uri.EscapeDataString("""{"status":"open","priority":{"$gte":3}}""") + "&sort=-priority&limit=20",
        UriKind.Relative);

    /// <summary>Issue 13, item 3: equality on the index's first field, a range on its second, sorted by it.</summary>
    private static readonly Uri RangeQuery = new(
        $"api/collections/{BaasSetup.QueryCollection}/documents?filter=" + Uri.EscapeDataString("""{"owner":"o7","n":{"$gte":500}}""") + "&sort=-n&limit=20",
        UriKind.Relative);

    private readonly BenchOptions _options;
    private readonly string _command;
    private readonly string _workDirectory = Path.Combine(Path.GetTempPath(), "baas-bench-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<ServerProcess> _servers = [];

    public BenchRun(BenchOptions options, string command)
    {
        _options = options;
        _command = command;
        // Last resort when the runtime exits without unwinding (e.g. an unhandled exception elsewhere).
        AppDomain.CurrentDomain.ProcessExit += KillAll;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var repo = FindRepositoryRoot();
        var outputDirectory = Path.GetFullPath(_options.OutputDirectory ?? Path.Combine(repo, "bench", "results"));
        Directory.CreateDirectory(outputDirectory);
        Directory.CreateDirectory(_workDirectory);
        var loadBefore = LoadAverage();

        if (_options.Suite is "realtime" or "realtime-attack")
        {
            return await RunRealtimeAsync(repo, outputDirectory, startedAt, loadBefore, cancellationToken);
        }

        if (_options.Suite == "soak")
        {
            return await RunSoakAsync(repo, outputDirectory, startedAt, loadBefore, cancellationToken);
        }

        if (_options.Suite is "triggers" or "functions")
        {
            return await RunTriggersAsync(repo, outputDirectory, startedAt, loadBefore, cancellationToken);
        }

        if (_options.Suite == "dashboard")
        {
            return await RunDashboardAsync(repo, outputDirectory, startedAt, loadBefore, cancellationToken);
        }

        if (_options.Suite == "memory")
        {
            return await RunMemoryAsync(repo, outputDirectory, startedAt, loadBefore, cancellationToken);
        }

        if (_options.Suite == "query-attack")
        {
            return await RunQueryAttackAsync(repo, outputDirectory, startedAt, loadBefore, cancellationToken);
        }

        if (_options.Suite == "schedules")
        {
            return await RunSchedulesAsync(repo, outputDirectory, startedAt, loadBefore, cancellationToken);
        }

        Console.WriteLine(_options.Server is null ? "Publishing the server and the ceiling app (Release)..." : $"Using the published server {_options.Server}; publishing the ceiling app (Release)...");
        var serverDll = _options.Server ?? await PublishAsync(repo, Path.Combine("Platform.Server", "Platform.Server.csproj"), "server", "Platform.Server.dll", cancellationToken);
        var ceilingDll = await PublishAsync(repo, Path.Combine("bench", "Baas.Bench.Ceiling", "Baas.Bench.Ceiling.csproj"), "ceiling", "Baas.Bench.Ceiling.dll", cancellationToken);

        // Both processes get the same environment; the server adds only its own settings. Per-request
        // Information logs from the framework are off, as in the ASP.NET Core templates' appsettings.json.
        var common = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };
        var serverEnvironment = new Dictionary<string, string>(common)
        {
            ["Baas__DataDir"] = Path.Combine(_workDirectory, "data"),
            ["Baas__Admin__Email"] = AdminEmail,
            ["Baas__Admin__Password"] = AdminPassword,
            // The login and refresh scenarios measure the endpoints, not the per-IP abuse limit that caps them in production.
            ["Baas__RateLimit__AuthPerMinute"] = "0",
        };

        Console.WriteLine("Starting the Baas server (embedded SQLite store)...");
        var server = await StartAsync("baas", serverDll, serverEnvironment, cancellationToken);
        Console.WriteLine(Format($"  first 200 on /health after {server.StartupTime.TotalMilliseconds:N0} ms"));
        Console.WriteLine("Starting the ceiling app...");
        var ceiling = await StartAsync("ceiling", ceilingDll, common, cancellationToken);
        Console.WriteLine(Format($"  first 200 on /health after {ceiling.StartupTime.TotalMilliseconds:N0} ms"));

        // Idle means: started, answered /health, and nothing else asked of it yet. Read 1 s after, as always, and again
        // once the idle trim has had its delay.
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var serverIdle = server.ResidentMegabytes();
        var ceilingIdle = ceiling.ResidentMegabytes();
        await Task.Delay(IdleTrimWait - TimeSpan.FromSeconds(1), cancellationToken);
        var serverIdleTrimmed = server.ResidentMegabytes();
        var ceilingIdleTrimmed = ceiling.ResidentMegabytes();
        Console.WriteLine(Format($"  RSS idle: server {serverIdle:N0} MB after 1 s, {serverIdleTrimmed:N0} MB after {IdleTrimWait.TotalSeconds:N0} s; ceiling {ceilingIdle:N0} / {ceilingIdleTrimmed:N0} MB"));

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(32, _options.Concurrency * 2),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        using var serverClient = new HttpClient(handler, disposeHandler: false) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var ceilingClient = new HttpClient(handler, disposeHandler: false) { BaseAddress = ceiling.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var userClient = new HttpClient(handler, disposeHandler: false) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var adminClient = new HttpClient(handler, disposeHandler: false) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var anonymousClient = new HttpClient(handler, disposeHandler: false) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var key = await BaasSetup.CreateServiceKeyAsync(serverClient, AdminEmail, AdminPassword, cancellationToken);
        serverClient.DefaultRequestHeaders.Add("X-Api-Key", key);
        await BaasSetup.CreateCollectionAsync(serverClient, cancellationToken);

        adminClient.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", await BaasSetup.AdminTokenAsync(adminClient, AdminEmail, AdminPassword, cancellationToken));

        // The app user seeds, so it owns every document: under the owner rule it lists exactly what the service key does.
        var userToken = await BaasSetup.SignUpAsync(userClient, UserEmail, UserPassword, cancellationToken);
        userClient.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", userToken);

        Console.WriteLine(Format($"Seeding {_options.Documents:N0} documents in batches of 500 (as the app user, under the create rule)..."));
        var seedWatch = Stopwatch.StartNew();
        await BaasSetup.SeedAsync(userClient, _options.Documents, _options.SeedParallelism, cancellationToken);
        var seedSeconds = seedWatch.Elapsed.TotalSeconds;
        Console.WriteLine(Format($"  done in {seedSeconds:N1} s"));
        await BaasSetup.EnsureSameItemsAsync(serverClient, userClient, IndexedQuery, cancellationToken);
        Console.WriteLine(Format($"Seeding {_options.Documents:N0} documents into {BaasSetup.QueryCollection} (index owner,-n)..."));
        await BaasSetup.SeedQueryCollectionAsync(serverClient, _options.Documents, _options.SeedParallelism, cancellationToken);

        Console.WriteLine(Format($"Signing up {_options.Concurrency} app users for the login and refresh scenarios..."));
        var auth = await AuthScenarios.PrepareAsync(anonymousClient, _options.Concurrency, cancellationToken);

        var results = new List<ScenarioResult>();
        foreach (var all in Scenarios(serverClient, userClient, adminClient, ceilingClient, auth, anonymousClient))
        {
            var group = _options.Only is { } only ? [.. all.Where(s => only.Any(name => s.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase)))] : all;
            if (group.Length == 0)
            {
                continue;
            }

            IReadOnlyList<ScenarioResult> measured;
            if (group.Length == 1)
            {
                Console.WriteLine(Format($"Running {group[0].Name} ({_options.Warmup.TotalSeconds:N0} s warm-up, {_options.Duration.TotalSeconds:N0} s measured, concurrency {_options.Concurrency})..."));
                // CPU of the process that answers: the ceiling app for its own scenario, the server for every other.
                measured = [await LoadRunner.RunAsync(group[0], _options, cancellationToken, group[0].Name == BenchReport.CeilingScenario ? ceiling.CpuTime : server.CpuTime)];
            }
            else
            {
                Console.WriteLine(Format($"Running {string.Join(", ", group.Select(s => s.Name))} in alternating 1 s slices ({_options.Duration.TotalSeconds:N0} s measured each, concurrency {_options.Concurrency})..."));
                measured = await LoadRunner.RunInterleavedAsync(group, _options, cancellationToken, server.CpuTime);
            }

            foreach (var result in measured)
            {
                Console.WriteLine(Format($"  {result.Name}: {result.Throughput:N0}/s, p50 {result.P50Milliseconds:N2} ms, p99 {result.P99Milliseconds:N2} ms, p99.9 {result.P999Milliseconds:N2} ms, max {result.MaxMilliseconds:N1} ms, {result.Errors} errors, server CPU {result.ServerCpuMicroseconds:N0} µs per request"));
                results.Add(result);
            }
        }

        // RSS after the run: right at the end of the load, and again once the idle trim has had its delay.
        var serverAfter = server.ResidentMegabytes();
        var ceilingAfter = ceiling.ResidentMegabytes();
        await Task.Delay(IdleTrimWait, cancellationToken);
        var report = new BenchReport(
            startedAt,
            Machine(),
            _command,
            _options,
            seedSeconds,
            [
                new ProcessFigures("baas", server.StartupTime.TotalMilliseconds, serverIdle, serverIdleTrimmed, serverAfter, server.ResidentMegabytes()),
                new ProcessFigures("ceiling", ceiling.StartupTime.TotalMilliseconds, ceilingIdle, ceilingIdleTrimmed, ceilingAfter, ceiling.ResidentMegabytes()),
            ],
            results,
            loadBefore,
            LoadAverage());

        var markdown = report.ToMarkdown();
        var stamp = startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"bench-{stamp}.md"), markdown, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"bench-{stamp}.json"), report.ToJson(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "latest.md"), markdown, cancellationToken);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {outputDirectory} (bench-{stamp}.md, .json, latest.md).");
        return 0;
    }

    private async Task<int> RunRealtimeAsync(string repo, string outputDirectory, DateTimeOffset startedAt, string loadBefore, CancellationToken cancellationToken)
    {
        Console.WriteLine(_options.Server is null ? "Publishing the server (Release)..." : $"Using the published server {_options.Server}.");
        var serverDll = _options.Server ?? await PublishAsync(repo, Path.Combine("Platform.Server", "Platform.Server.csproj"), "server", "Platform.Server.dll", cancellationToken);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Baas__DataDir"] = Path.Combine(_workDirectory, "data"),
            ["Baas__Admin__Email"] = AdminEmail,
            ["Baas__Admin__Password"] = AdminPassword,
        };
        if (_options.Suite == "realtime")
        {
            // 1,000 subscribers from one loopback address: the per-client cap would refuse them.
            environment["Baas__Realtime__MaxConnectionsPerClient"] = "0";
        }

        Console.WriteLine("Starting the Baas server (embedded SQLite store)...");
        var server = await StartAsync("baas", serverDll, environment, cancellationToken);
        using var handler = new SocketsHttpHandler { UseCookies = false, UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var key = await BaasSetup.CreateServiceKeyAsync(client, AdminEmail, AdminPassword, cancellationToken);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        var bench = new RealtimeBench(server, client, key, _options.HubClients);
        if (_options.Suite == "realtime-attack")
        {
            await bench.RunAttackAsync(Math.Max(10, _options.RealtimeWrites / 2), attackers: 30, cancellationToken);
        }
        else
        {
            var fanOutWrites = Math.Max(10, _options.RealtimeWrites / 10);
            await bench.RunAsync(_options.RealtimeWrites, fanOutWrites, _options.FanOutWarmup ?? Math.Max(1, fanOutWrites / 10), _options.FanOutSubscribers, cancellationToken);
        }

        var markdown = RealtimeReport.ToMarkdown(startedAt, Machine(), loadBefore, LoadAverage(), bench, _options.Server);
        var stamp = startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"realtime-{stamp}.md"), markdown, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "latest-realtime.md"), markdown, cancellationToken);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {outputDirectory} (realtime-{stamp}.md, latest-realtime.md).");
        return 0;
    }

    /// <summary>
    /// Issue 11, items 5 and 13: the capacity of a mixed load, then half of it for the duration with realtime
    /// subscribers, a report row every --report-every, and pass/fail against the bounds at the end (see SoakBench).
    /// </summary>
    private async Task<int> RunSoakAsync(string repo, string outputDirectory, DateTimeOffset startedAt, string loadBefore, CancellationToken cancellationToken)
    {
        Console.WriteLine("Publishing the server (Release)...");
        var serverDll = await PublishAsync(repo, Path.Combine("Platform.Server", "Platform.Server.csproj"), "server", "Platform.Server.dll", cancellationToken);
        var dataDirectory = Path.Combine(_workDirectory, "data");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Baas__DataDir"] = dataDirectory,
            ["Baas__Admin__Email"] = AdminEmail,
            ["Baas__Admin__Password"] = AdminPassword,
        };
        if (_options.WalBoundMegabytes is { } bound)
        {
            environment["Baas__Storage__SqliteMaxWalBytes"] = (bound * 1024L * 1024L).ToString(CultureInfo.InvariantCulture);
        }

        Console.WriteLine("Starting the Baas server (embedded SQLite store)...");
        var server = await StartAsync("baas", serverDll, environment, cancellationToken);
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = _options.Concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        using var client = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var key = await BaasSetup.CreateServiceKeyAsync(client, AdminEmail, AdminPassword, cancellationToken);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        await BaasSetup.CreateCollectionAsync(client, cancellationToken);
        Console.WriteLine(Format($"Seeding {_options.Documents:N0} documents..."));
        await BaasSetup.SeedAsync(client, _options.Documents, _options.SeedParallelism, cancellationToken);

        var soak = new SoakBench(server, client, key, Path.Combine(dataDirectory, "baas.db"), _options);
        await soak.RunAsync(cancellationToken);
        var verdict = soak.Verdict();
        static string Mark(bool ok) => ok ? "pass" : "**FAIL**";
        var requests = soak.Samples.Sum(s => s.Requests);
        var markdown = new StringBuilder()
            .AppendLine(Format($"# Soak: {(verdict.Passed ? "PASS" : "FAIL")}"))
            .AppendLine()
            .AppendLine(Format($"{startedAt:yyyy-MM-dd HH:mm} UTC, {Machine()}, `{_command}`; load average {loadBefore} before, {LoadAverage()} after."))
            .AppendLine()
            .AppendLine(Format($"Capacity of the mix (50% indexed query, 20% get by id, 20% create, 10% `$inc` update; service key) at concurrency {_options.Concurrency}: {soak.Capacity:N0} requests/s; soak at {_options.SoakLoad:P0} of it, {soak.TargetRate:N0}/s, for {_options.Duration.TotalMinutes:N1} min with {_options.SoakSubscribers} realtime subscribers; {requests:N0} requests."))
            .AppendLine()
            .AppendLine(soak.ToMarkdown())
            .AppendLine("| bound | measured | result |")
            .AppendLine("| --- | ---: | --- |")
            .AppendLine(Format($"| RSS slope over the second half ≤ {_options.SoakMaxSlope:N2} MiB/min | {verdict.SlopeMegabytesPerMinute:N2} MiB/min | {Mark(verdict.SlopeOk)} |"))
            .AppendLine(Format($"| write-ahead log < {SoakBench.MaxWalMegabytes:N0} MiB throughout | {verdict.MaxWalMegabytes:N1} MiB | {Mark(verdict.WalOk)} |"))
            .AppendLine(Format($"| errors (HTTP and subscribers) = 0 | {verdict.Errors} | {Mark(verdict.ErrorsOk)} |"));
        if (soak.FirstError is { } error)
        {
            markdown.AppendLine().AppendLine(Format($"First error: {error}"));
        }

        var text = markdown.ToString();
        var stamp = startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"soak-{stamp}.md"), text, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "latest-soak.md"), text, cancellationToken);
        Console.WriteLine();
        Console.WriteLine(text);
        Console.WriteLine($"Written to {outputDirectory} (soak-{stamp}.md, latest-soak.md).");
        return verdict.Passed ? 0 : 1;
    }

    private async Task<int> RunSchedulesAsync(string repo, string outputDirectory, DateTimeOffset startedAt, string loadBefore, CancellationToken cancellationToken)
    {
        Console.WriteLine("Publishing the server (Release)...");
        var serverDll = await PublishAsync(repo, Path.Combine("Platform.Server", "Platform.Server.csproj"), "server", "Platform.Server.dll", cancellationToken);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Baas__DataDir"] = Path.Combine(_workDirectory, "data"),
            ["Baas__Admin__Email"] = AdminEmail,
            ["Baas__Admin__Password"] = AdminPassword,
        };
        Console.WriteLine("Starting the Baas server (embedded SQLite store, Hangfire on its own SQLite file, default settings)...");
        var server = await StartAsync("baas", serverDll, environment, cancellationToken);
        using var handler = new SocketsHttpHandler { UseCookies = false, UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = Math.Max(32, _options.Concurrency * 2) };
        using var client = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Api-Key", await BaasSetup.CreateServiceKeyAsync(client, AdminEmail, AdminPassword, cancellationToken));

        Console.WriteLine(Format($"Schedule: get-by-id baseline, then get-by-id at concurrency {_options.Concurrency} while an every-second schedule runs..."));
        var bench = new ScheduleBench(client, _options, server);
        await bench.RunAsync(cancellationToken);
        var markdown = Format($"Schedule run {startedAt:yyyy-MM-dd HH:mm} UTC on {Machine()}. Load average before/after: {loadBefore} / {LoadAverage()}.\n\n") + bench.ToMarkdown();
        var stamp = startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"schedules-{stamp}.md"), markdown, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "latest-schedules.md"), markdown, cancellationToken);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {outputDirectory} (schedules-{stamp}.md, latest-schedules.md).");
        return 0;
    }

    private async Task<int> RunTriggersAsync(string repo, string outputDirectory, DateTimeOffset startedAt, string loadBefore, CancellationToken cancellationToken)
    {
        Console.WriteLine(_options.Server is null ? "Publishing the server (Release)..." : $"Using the published server {_options.Server}.");
        var serverDll = _options.Server ?? await PublishAsync(repo, Path.Combine("Platform.Server", "Platform.Server.csproj"), "server", "Platform.Server.dll", cancellationToken);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Baas__DataDir"] = Path.Combine(_workDirectory, "data"),
            ["Baas__Admin__Email"] = AdminEmail,
            ["Baas__Admin__Password"] = AdminPassword,
        };
        Console.WriteLine("Starting the Baas server (embedded SQLite store)...");
        var server = await StartAsync("baas", serverDll, environment, cancellationToken);
        using var handler = new SocketsHttpHandler { UseCookies = false, UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = Math.Max(32, _options.Concurrency * 2) };
        using var client = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Api-Key", await BaasSetup.CreateServiceKeyAsync(client, AdminEmail, AdminPassword, cancellationToken));

        string markdown;
        if (_options.Suite == "functions")
        {
            Console.WriteLine(Format($"Functions: creates with and without a before trigger, then a callable beside get-by-id, interleaved, at concurrency {_options.Concurrency}..."));
            var functions = new FunctionBench(client, _options, server.CpuTime);
            await functions.RunAsync(cancellationToken);
            markdown = Format($"Functions run {startedAt:yyyy-MM-dd HH:mm} UTC on {Machine()}. Load average before/after: {loadBefore} / {LoadAverage()}.")
                + (_options.Server is { } measured ? $" Server: `{measured}`." : string.Empty) + "\n\n" + functions.ToMarkdown();
        }
        else
        {
            Console.WriteLine(Format($"After trigger: get-by-id baseline, then creates at concurrency {_options.Concurrency} (full speed, paced, with a writing function) with the trigger consuming..."));
            var bench = new TriggerBench(client, _options);
            await bench.RunAsync(cancellationToken);
            markdown = Format($"After-trigger run {startedAt:yyyy-MM-dd HH:mm} UTC on {Machine()}. Load average before/after: {loadBefore} / {LoadAverage()}.\n\n") + bench.ToMarkdown();
        }

        var stamp = startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var prefix = _options.Suite;
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"{prefix}-{stamp}.md"), markdown, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"latest-{prefix}.md"), markdown, cancellationToken);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {outputDirectory} ({prefix}-{stamp}.md, latest-{prefix}.md).");
        return 0;
    }

    private async Task<int> RunDashboardAsync(string repo, string outputDirectory, DateTimeOffset startedAt, string loadBefore, CancellationToken cancellationToken)
    {
        if (_options.Server is null)
        {
            Console.WriteLine("Publishing the server with its dashboard (Release)...");
        }

        var serverDll = _options.Server ?? await PublishAsync(repo, Path.Combine("Platform.Server", "Platform.Server.csproj"), "server", "Platform.Server.dll", cancellationToken);
        foreach (var dll in new[] { serverDll, _options.Baseline }.OfType<string>())
        {
            var index = Path.Combine(Path.GetDirectoryName(dll)!, "wwwroot", "admin", "index.html");
            if (!File.Exists(index))
            {
                throw new InvalidOperationException($"The published server has no dashboard: {index} is missing.");
            }
        }

        Console.WriteLine("Starting the published Baas server (embedded SQLite store)...");
        var server = await StartAsync("baas", serverDll, DashboardEnvironment("data"), cancellationToken);
        using var handler = new SocketsHttpHandler { UseCookies = false, UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Add("X-Api-Key", await BaasSetup.CreateServiceKeyAsync(client, AdminEmail, AdminPassword, cancellationToken));

        // The baseline build serves the same collection (empty: the collections page lists it, nothing counts it), so
        // its cold loads can alternate with this tree's and the two share the machine's load.
        Uri? baselineAddress = null;
        if (_options.Baseline is { } baseline)
        {
            Console.WriteLine($"Starting the baseline server ({baseline})...");
            var baselineServer = await StartAsync("baseline", baseline, DashboardEnvironment("data-baseline"), cancellationToken);
            using var baselineClient = new HttpClient { BaseAddress = baselineServer.BaseAddress, Timeout = TimeSpan.FromMinutes(1) };
            baselineClient.DefaultRequestHeaders.Add("X-Api-Key", await BaasSetup.CreateServiceKeyAsync(baselineClient, AdminEmail, AdminPassword, cancellationToken));
            using var create = await baselineClient.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), new { name = DashboardBench.ImportCollection }, cancellationToken);
            create.EnsureSuccessStatusCode();
            baselineAddress = baselineServer.BaseAddress;
        }

        Console.WriteLine(Format($"Dashboard: {_options.Documents:N0} documents by /api/batch, then by NDJSON import; then Chromium loads /admin/..."));
        await using var floor = _options.Floor is { } floorRoot ? new StaticSiteServer(floorRoot) : null;
        var bench = new DashboardBench(client, server.BaseAddress, Path.GetDirectoryName(serverDll)!, _options, AdminEmail, AdminPassword, baselineAddress, floor?.BaseAddress);
        await bench.RunAsync(cancellationToken);
        var builds = (_options.Server is { } tree ? $" This tree: `{tree}`." : "") + (_options.Baseline is { } path ? $" Baseline: `{path}`." : "") + (_options.Floor is { } floorPath ? $" Floor: `{floorPath}`." : "");
        var markdown = Format($"Dashboard run {startedAt:yyyy-MM-dd HH:mm} UTC on {Machine()}. Load average before/after: {loadBefore} / {LoadAverage()}.{builds}\n\n") + bench.ToMarkdown();
        var stamp = startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"dashboard-{stamp}.md"), markdown, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "latest-dashboard.md"), markdown, cancellationToken);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {outputDirectory} (dashboard-{stamp}.md, latest-dashboard.md).");
        return 0;
    }

    private Dictionary<string, string> DashboardEnvironment(string dataDirectory) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Baas__DataDir"] = Path.Combine(_workDirectory, dataDirectory),
        ["Baas__Admin__Email"] = AdminEmail,
        ["Baas__Admin__Password"] = AdminPassword,
        ["Baas__RateLimit__AuthPerMinute"] = "0",
        ["Baas__AdminTools__ImportMaxRows"] = _options.Documents.ToString(CultureInfo.InvariantCulture),
    };

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillAll;
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        _servers.Clear();
        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"Could not remove {_workDirectory}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            Console.Error.WriteLine($"Could not remove {_workDirectory}: {ex.Message}");
        }
    }

    /// <summary>The scenarios in run order; a group of several is measured interleaved, to be compared with each other.</summary>
    private IEnumerable<Scenario[]> Scenarios(HttpClient server, HttpClient user, HttpClient admin, HttpClient ceiling, AuthScenarios auth, HttpClient anonymous)
    {
        var documents = $"api/collections/{BaasSetup.Collection}/documents";
        var count = _options.Documents;
        var increment = Encoding.UTF8.GetBytes("""{"$inc":{"n":1}}""");

        yield return [new Scenario(BenchReport.CeilingScenario, ceiling, _ => new HttpRequestMessage(HttpMethod.Get, new Uri("hello", UriKind.Relative)))];
        yield return [new Scenario("get-by-id", server, random =>
            new HttpRequestMessage(HttpMethod.Get, new Uri($"{documents}/{BaasSetup.DocumentId(random.Next(count))}", UriKind.Relative)))];

        // The same request with a service key, as the app user under the owner rule, and with an admin token
        // (a Bearer token validated as for the app user, but no rules), interleaved so that they share the
        // machine's load and their ratio is the cost of rules.
        yield return
        [
            new Scenario("indexed query", server, _ => new HttpRequestMessage(HttpMethod.Get, IndexedQuery)),
            new Scenario(BenchReport.RulesScenario, user, _ => new HttpRequestMessage(HttpMethod.Get, IndexedQuery)),
            new Scenario(BenchReport.AdminTokenScenario, admin, _ => new HttpRequestMessage(HttpMethod.Get, IndexedQuery)),
        ];
        yield return [new Scenario(BenchReport.RangeQueryScenario, server, _ => new HttpRequestMessage(HttpMethod.Get, RangeQuery))];
        yield return [new Scenario("operator update ($inc)", server, random =>
            new HttpRequestMessage(HttpMethod.Patch, new Uri($"{documents}/{BaasSetup.DocumentId(random.Next(count))}", UriKind.Relative))
            {
                Content = Json(increment),
            })];

        // After the document scenarios, so the collection the others read keeps its seeded size.
        yield return [new Scenario("create", server, random =>
            new HttpRequestMessage(HttpMethod.Post, new Uri(documents, UriKind.Relative))
            {
                Content = Json(Encoding.UTF8.GetBytes(BaasSetup.DocumentJson(random, id: null))),
            })];

        // Last: each refresh writes two refresh-token records and each sign-in a session, which the write
        // scenarios above should not have to share the database with.
        yield return [auth.Login(anonymous)];
        yield return [auth.Refresh(anonymous)];
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<ServerProcess> StartAsync(string name, string dll, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var server = await ServerProcess.StartAsync(name, dll, environment, Path.Combine(_workDirectory, name + ".log"), cancellationToken);
        _servers.Add(server);
        return server;
    }

    private async Task<string> PublishAsync(string repo, string project, string name, string dllName, CancellationToken cancellationToken)
    {
        var output = Path.Combine(_workDirectory, name);
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repo,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "publish", project, "-c", "Release", "-o", output, "--nologo", "-v", "quiet" })
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish {project} failed:\n{await stdout}\n{await stderr}");
        }

        return Path.Combine(output, dllName);
    }

    private void KillAll(object? sender, EventArgs e)
    {
        foreach (var server in _servers)
        {
            server.KillNow();
        }
    }

    private static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Baas.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Run the benchmark from inside the Baas repository (Baas.sln not found).");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return Format($"{Environment.ProcessorCount} cores ({cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}), {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
