using System.Globalization;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Memory;

/// <summary>
/// The server as its own process, read through <c>/proc/&lt;pid&gt;</c> (Linux): what an idle node has loaded and mapped
/// (issue 13, item 5; bench/README.md, "h/mem6").
/// </summary>
public sealed class IdleProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task IdleNode_HasNotLoadedLinqExpressions_AndItsTrimReleasesTheAssemblyViews()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("/proc is Linux's.");
        }

        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = await ServerProcess.StartAsync(dataDir, new Dictionary<string, string> { ["Baas__Memory__IdleDelay"] = "00:00:01", ["Logging__LogLevel__Platform.Server.Memory"] = "Debug" }, Ct);
            using (var client = server.CreateClient())
            {
                using var ready = await client.GetAsync("/health/ready", Ct);
                Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
            }

            // Loaded only by a first use (a schema compiled, a realtime connection), never by start-up or a health check.
            var maps = await File.ReadAllTextAsync($"/proc/{server.ProcessId}/maps", Ct);
            Assert.DoesNotContain("/System.Linq.Expressions.dll", maps, StringComparison.Ordinal);

            // The metadata read at start-up is resident in the read-only views until the idle trim (1 s here) unmaps them.
            // On a busy machine start-up's background work may map part of them back soon after, so the lowest reading
            // (looked at often) is what shows the trim's effect.
            var afterStart = AssemblyViewsKiB(server.ProcessId);
            Assert.True(afterStart > 4096, $"{afterStart} KiB of assembly views resident after start-up");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            var now = afterStart;
            while (now > afterStart / 4 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, Ct);
                now = Math.Min(now, AssemblyViewsKiB(server.ProcessId));
            }

            Assert.True(now <= afterStart / 4, $"{now} KiB of assembly views at the lowest, {afterStart} KiB after start-up:\n{server.Output}");
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
                // A file handle may linger briefly after the kill; the temp folder is cleaned by the OS.
            }
        }
    }

    /// <summary>The resident KiB of the process's <c>r--s</c> mappings of <c>.dll</c> files, from its smaps.</summary>
    private static long AssemblyViewsKiB(int processId)
    {
        long total = 0;
        var inView = false;
        foreach (var line in File.ReadLines($"/proc/{processId}/smaps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0].Contains('-', StringComparison.Ordinal) && fields[1].Length == 4 && !fields[0].EndsWith(':'))
            {
                inView = fields[1] == "r--s" && fields.Length == 6 && fields[5].TrimEnd().EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
            }
            else if (inView && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                total += long.Parse(line["Rss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }
}
