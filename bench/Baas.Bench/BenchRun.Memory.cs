using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Baas.Bench;

/// <summary>The memory suite's run (issue 13, items 4 and 5); the figures and the table are <see cref="MemoryBench"/>'s.</summary>
internal sealed partial class BenchRun
{
    private async Task<int> RunMemoryAsync(string repo, string outputDirectory, DateTimeOffset startedAt, string loadBefore, CancellationToken cancellationToken)
    {
        if (_options.Server is null)
        {
            Console.WriteLine("Publishing the server (Release)...");
        }

        var builds = new List<MemoryBuild>
        {
            new("this tree", _options.Server ?? await PublishAsync(repo, Path.Combine("Platform.Server", "Platform.Server.csproj"), "server", "Platform.Server.dll", cancellationToken)),
        };
        if (_options.Baseline is { } baseline)
        {
            builds.Insert(0, new MemoryBuild("baseline", baseline));
        }

        // Start-up and idle RSS: each start on its own empty data dir (the first start of a deployment: the data
        // dir, the signing and data-protection keys and the seeded admin are all created), starts alternating
        // between the builds so both see the same machine.
        var starts = new List<StartFigures>();
        for (var i = 0; i < _options.MemoryStarts; i++)
        {
            foreach (var build in builds)
            {
                var server = await StartMemoryServerAsync(build, $"{i}", cancellationToken);
                using var client = MemoryClient(server);
                client.DefaultRequestHeaders.Add("X-Api-Key", await BaasSetup.CreateServiceKeyAsync(client, AdminEmail, AdminPassword, cancellationToken));
                await BaasSetup.CreateCollectionAsync(client, cancellationToken);

                // Idle: set up, then nothing asked of it for two seconds; and again once the idle trim has had its delay.
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                var idle = server.ResidentMegabytes();
                await Task.Delay(IdleTrimWait - TimeSpan.FromSeconds(2), cancellationToken);
                var figures = new StartFigures(build.Name, server.StartupTime.TotalMilliseconds, server.StartupCpuTime.TotalMilliseconds, idle, server.ResidentMegabytes());
                starts.Add(figures);
                Console.WriteLine(Format($"  {build.Name}, start {i + 1}: first 200 on /health/ready after {figures.StartupMilliseconds:N0} ms ({figures.StartupCpuMilliseconds:N0} ms CPU), idle RSS {figures.IdleRssMegabytes:N1} MiB after 2 s, {figures.IdleTrimmedRssMegabytes:N1} MiB after {IdleTrimWait.TotalSeconds:N0} s"));
                await StopAsync(server);
            }
        }

        var loads = new List<LoadFigures>();
        var allocations = new List<AllocationFigures>();
        foreach (var build in builds)
        {
            var server = await StartMemoryServerAsync(build, "load", cancellationToken);
            using var client = MemoryClient(server);
            client.DefaultRequestHeaders.Add("X-Api-Key", await BaasSetup.CreateServiceKeyAsync(client, AdminEmail, AdminPassword, cancellationToken));
            await BaasSetup.CreateCollectionAsync(client, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var idle = server.ResidentMegabytes();

            Console.WriteLine(Format($"{build.Name}: seeding {_options.Documents:N0} documents..."));
            var seedWatch = Stopwatch.StartNew();
            await BaasSetup.SeedAsync(client, _options.Documents, _options.SeedParallelism, cancellationToken);
            var seedSeconds = seedWatch.Elapsed.TotalSeconds;

            foreach (var scenario in MemoryScenarios(client))
            {
                // The warm-up runs on its own, so the counter's difference covers exactly the measured requests.
                var unmeasured = _options with { Duration = _options.Warmup > TimeSpan.Zero ? _options.Warmup : TimeSpan.FromSeconds(1), Warmup = TimeSpan.Zero };
                await LoadRunner.RunAsync(scenario, unmeasured, cancellationToken);
                var before = await MemoryBench.AllocatedBytesAsync(client, cancellationToken);
                var result = await LoadRunner.RunAsync(scenario, _options with { Warmup = TimeSpan.Zero }, cancellationToken);
                var after = await MemoryBench.AllocatedBytesAsync(client, cancellationToken);
                if (result.Errors > 0)
                {
                    throw new InvalidOperationException($"{build.Name}, {scenario.Name}: {result.Errors} errors, the first: {result.FirstError}");
                }

                var figures = new AllocationFigures(build.Name, scenario.Name, result.Requests, result.Throughput, after - before);
                allocations.Add(figures);
                Console.WriteLine(Format($"  {scenario.Name}: {figures.Throughput:N0}/s, {figures.BytesPerRequest:N0} bytes allocated per request"));
            }

            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var afterLoad = server.ResidentMegabytes();
            await Task.Delay(IdleTrimWait - TimeSpan.FromSeconds(2), cancellationToken);
            loads.Add(new LoadFigures(build.Name, idle, afterLoad, server.ResidentMegabytes(), seedSeconds));
            Console.WriteLine(Format($"  RSS {idle:N1} MiB before the load, {afterLoad:N1} MiB 2 s after, {loads[^1].AfterLoadTrimmedRssMegabytes:N1} MiB {IdleTrimWait.TotalSeconds:N0} s after"));
            await StopAsync(server);
        }

        var header = Format($"Memory run {startedAt:yyyy-MM-dd HH:mm} UTC on {Machine()}. Load average before/after: {loadBefore} / {LoadAverage()}. ")
            + Format($"{_options.MemoryStarts} starts per build; load: {_options.Documents:N0} documents seeded, each scenario {_options.Warmup.TotalSeconds:N0} s warm-up + {_options.Duration.TotalSeconds:N0} s measured at concurrency {_options.Concurrency}.")
            + (_options.Server is { } tree ? $" This tree: `{tree}`." : "")
            + (_options.Baseline is { } path ? $" Baseline: `{path}`." : "");
        var markdown = MemoryBench.ToMarkdown(header, builds, starts, loads, allocations);
        var stamp = startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, $"memory-{stamp}.md"), markdown, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, "latest-memory.md"), markdown, cancellationToken);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {outputDirectory} (memory-{stamp}.md, latest-memory.md).");
        return 0;
    }

    /// <summary>get, query, patch and create: the requests issue 13 item 4 asks bytes per request for.</summary>
    private IEnumerable<Scenario> MemoryScenarios(HttpClient client)
    {
        var documents = $"api/collections/{BaasSetup.Collection}/documents";
        var count = _options.Documents;
        var increment = Encoding.UTF8.GetBytes("""{"$inc":{"n":1}}""");
        yield return new Scenario("get-by-id", client, random =>
            new HttpRequestMessage(HttpMethod.Get, new Uri($"{documents}/{BaasSetup.DocumentId(random.Next(count))}", UriKind.Relative)));
        yield return new Scenario("indexed query", client, _ => new HttpRequestMessage(HttpMethod.Get, IndexedQuery));
        yield return new Scenario("operator update ($inc)", client, random =>
            new HttpRequestMessage(HttpMethod.Patch, new Uri($"{documents}/{BaasSetup.DocumentId(random.Next(count))}", UriKind.Relative)) { Content = Json(increment) });
        yield return new Scenario("create", client, random =>
            new HttpRequestMessage(HttpMethod.Post, new Uri(documents, UriKind.Relative)) { Content = Json(Encoding.UTF8.GetBytes(BaasSetup.DocumentJson(random, id: null))) });
    }

    private async Task<ServerProcess> StartMemoryServerAsync(MemoryBuild build, string label, CancellationToken cancellationToken)
    {
        var name = $"baas-{(build.Name == "baseline" ? "baseline" : "tree")}-{label}";
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Baas__DataDir"] = Path.Combine(_workDirectory, "data-" + name),
            ["Baas__Admin__Email"] = AdminEmail,
            ["Baas__Admin__Password"] = AdminPassword,
        };
        var server = await ServerProcess.StartAsync(name, build.ServerDll, environment, Path.Combine(_workDirectory, name + ".log"), cancellationToken, healthPath: "health/ready", healthLimit: TimeSpan.FromMinutes(3));
        _servers.Add(server);
        return server;
    }

    private async Task StopAsync(ServerProcess server)
    {
        _servers.Remove(server);
        await server.DisposeAsync();
    }

    private HttpClient MemoryClient(ServerProcess server)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(32, _options.Concurrency * 2),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }
}
