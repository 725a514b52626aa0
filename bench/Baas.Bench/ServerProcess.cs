using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Baas.Bench;

/// <summary>
/// A published ASP.NET Core app started as its own process on a loopback port. Both the Baas server and
/// the ceiling app run through this one type, so they start the same way with the same environment.
/// Disposing kills the whole process tree.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServerProcess(string name, Process process, StreamWriter log, Uri baseAddress)
    {
        Name = name;
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    /// <summary>Time from <see cref="Process.Start()"/> to the first 200 on the health path (<c>/health</c> unless given).</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>
    /// CPU time (user + system, <c>/proc/&lt;pid&gt;/stat</c>) the process had used when the health path first answered 200:
    /// far less sensitive to the machine's load than <see cref="StartupTime"/>, which includes the wait for a core.
    /// </summary>
    public TimeSpan StartupCpuTime { get; private set; }

    /// <summary>
    /// Starts <c>dotnet &lt;dll&gt;</c> (or a self-contained publish's executable) on a free loopback port and waits for
    /// <c>/health</c> to answer 200.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(
        string name,
        string assemblyPath,
        IReadOnlyDictionary<string, string> environment,
        string logPath,
        CancellationToken cancellationToken,
        string healthPath = "health",
        TimeSpan? healthLimit = null)
    {
        var port = FreeLoopbackPort();
        var baseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        // A framework-dependent publish's dll runs through the dotnet host; a self-contained publish's executable (its
        // apphost, e.g. the composite ReadyToRun build of docs/deployment.md) runs as it is, as it would in production.
        var throughDotnet = assemblyPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var startInfo = new ProcessStartInfo(throughDotnet ? "dotnet" : assemblyPath)
        {
            WorkingDirectory = Path.GetDirectoryName(assemblyPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (throughDotnet)
        {
            startInfo.ArgumentList.Add(assemblyPath);
        }

        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = startInfo };
        // A child whose output pipe fills up blocks, so both streams are drained into the log file.
        process.OutputDataReceived += (_, e) => WriteLine(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLine(log, e.Data);

        var stopwatch = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(name, process, log, baseAddress);
        try
        {
            server.StartupTime = await WaitForHealthAsync(server, stopwatch, healthPath, healthLimit ?? TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            server.StartupCpuTime = server.CpuTime();
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    /// <summary>Resident set size from <c>/proc/&lt;pid&gt;/status</c> (VmRSS), in MiB.</summary>
    public double ResidentMegabytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kilobytes = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kilobytes / 1024.0;
            }
        }

        throw new InvalidOperationException($"No VmRSS for process {_process.Id}.");
    }

    /// <summary>User plus system CPU time from <c>/proc/&lt;pid&gt;/stat</c> (clock ticks at 100 Hz).</summary>
    public TimeSpan CpuTime() => UserTime() + SystemTime();

    /// <summary>User-mode CPU time (<c>utime</c>).</summary>
    public TimeSpan UserTime() => StatTicks(11);

    /// <summary>Kernel CPU time (<c>stime</c>): on loopback this includes the TCP receive path of what the process sends.</summary>
    public TimeSpan SystemTime() => StatTicks(12);

    private TimeSpan StatTicks(int field)
    {
        var stat = File.ReadAllText($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/stat");
        // Fields after the command name, which is in parentheses and may contain spaces; clock ticks are 10 ms.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return TimeSpan.FromMilliseconds(long.Parse(fields[field], CultureInfo.InvariantCulture) * 10);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // The process was never started or already reaped.
        }
        finally
        {
            _process.Dispose();
            await _log.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Kills without waiting, for Ctrl-C and process exit when no async code can run any more.</summary>
    public void KillNow()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static async Task<TimeSpan> WaitForHealthAsync(ServerProcess server, Stopwatch stopwatch, string healthPath, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        while (stopwatch.Elapsed < limit)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (server._process.HasExited)
            {
                throw new InvalidOperationException($"{server.Name} exited with code {server._process.ExitCode} before answering /{healthPath}; see its log.");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(healthPath, UriKind.Relative), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return stopwatch.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Listening but slow to answer (a busy machine): the 60 s limit still bounds the wait.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"{server.Name} did not answer /{healthPath} within {limit.TotalSeconds} s.");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WriteLine(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The last lines of a killed process may arrive after the log is closed.
            }
        }
    }
}
