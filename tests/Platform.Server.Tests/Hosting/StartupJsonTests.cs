using System.Net;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// Start-up serializes no JSON through System.Text.Json's reflection resolver (issue 13, item 5): its first use builds
/// about 100 built-in converters, JIT-compiled, so it belongs to the first request that needs it, not to every start.
/// The server runs as its own process with reflection-based serialization switched off, where any such use throws.
/// </summary>
public sealed class StartupJsonTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Server_BecomesReady_WithReflectionBasedJsonSwitchedOff()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));
        try
        {
            // Before: the audit cleanup's first pass (a filter value serialized by reflection) stopped the host, and the
            // first request's route table resolved the admin patch body through the reflection resolver.
            await using var server = await ServerProcess.StartAsync(
                dataDir,
                environment: null,
                new Dictionary<string, bool> { ["System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault"] = false },
                Ct);
            using var client = server.CreateClient();
            var status = HttpStatusCode.ServiceUnavailable;
            for (var attempt = 0; attempt < 600 && status != HttpStatusCode.OK; attempt++)
            {
                using var ready = await client.GetAsync("/health/ready", Ct);
                status = ready.StatusCode;
                if (status != HttpStatusCode.OK)
                {
                    await Task.Delay(100, Ct);
                }
            }

            Assert.True(status == HttpStatusCode.OK, $"/health/ready answered {status}:\n{server.Output}");
            using var health = await client.GetAsync("/health", Ct);
            Assert.True(health.StatusCode == HttpStatusCode.OK, $"/health answered {health.StatusCode} after ready:\n{server.Output}");
        }
        finally
        {
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }
}
