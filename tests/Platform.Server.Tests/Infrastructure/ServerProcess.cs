using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Platform.Server.Tests.Infrastructure;

/// <summary>
/// The server as a separate OS process (the built Platform.Server.dll next to the tests), for tests
/// that must kill it for real. Disposing kills it, so no process outlives a test.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    /// <summary>The server's process id (for <c>/proc/&lt;pid&gt;</c> readings).</summary>
    public int ProcessId => _process.Id;

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the server on a free loopback port and waits until <c>/health</c> answers.</summary>
    public static Task<ServerProcess> StartAsync(string dataDir, IDictionary<string, string>? environment = null, CancellationToken cancellationToken = default) =>
        StartAsync(dataDir, environment, runtimeSwitches: null, cancellationToken);

    /// <summary>
    /// Starts the server with <paramref name="runtimeSwitches"/> added to the <c>configProperties</c> of a copy of its
    /// <c>runtimeconfig.json</c> (AppContext switches that only the runtime configuration can set), and waits until
    /// <c>/health</c> answers.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string dataDir, IDictionary<string, string>? environment, IReadOnlyDictionary<string, bool>? runtimeSwitches, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var serverDll = Path.Combine(AppContext.BaseDirectory, "Platform.Server.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        if (runtimeSwitches is not null)
        {
            // In the data dir, which the test removes: parallel tests each get their own file.
            var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Platform.Server.runtimeconfig.json"), cancellationToken))!;
            var properties = config["runtimeOptions"]!["configProperties"]!.AsObject();
            foreach (var (name, value) in runtimeSwitches)
            {
                properties[name] = value;
            }

            Directory.CreateDirectory(dataDir);
            var configFile = Path.Combine(dataDir, "server.runtimeconfig.json");
            await File.WriteAllTextAsync(configFile, config.ToJsonString(), cancellationToken);
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add("--runtimeconfig");
            start.ArgumentList.Add(configFile);
        }

        foreach (var argument in (string[])[serverDll, "--urls", $"http://127.0.0.1:{port}", $"--Baas:DataDir={dataDir}"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["Baas__Admin__Email"] = BaasTestServer.AdminEmail;
        start.Environment["Baas__Admin__Password"] = BaasTestServer.AdminPassword;
        start.Environment["Baas__RateLimit__AuthPerMinute"] = "0";
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the server process.");
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await server.WaitHealthyAsync(TimeSpan.FromSeconds(60), cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Signs <paramref name="client"/> in as the test admin (a Bearer token on its default headers).</summary>
    public static async Task SignInAsAdminAsync(HttpClient client, CancellationToken ct)
    {
        using var login = await client.PostAsJsonAsync("/api/admin/auth/login", new { email = BaasTestServer.AdminEmail, password = BaasTestServer.AdminPassword }, ct);
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>(ct))!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; what was acknowledged must already be durable.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// SIGTERM (what a container runtime sends to stop): the server drains and exits on its own. Returns its exit code
    /// and how long it took from the signal, or throws when it is still running after <paramref name="patience"/>
    /// (disposing then kills it).
    /// </summary>
    public async Task<(int ExitCode, TimeSpan Elapsed)> TerminateAsync(TimeSpan patience)
    {
        var watch = Stopwatch.StartNew();
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            await kill!.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(patience);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The server was still running {patience} after SIGTERM:\n{Output}");
        }

        return (_process.ExitCode, watch.Elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync("/health", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Slow start on a busy machine.
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"The server did not become healthy within {timeout}:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
