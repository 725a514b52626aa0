using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Platform.Server.Tests.Realtime;

/// <summary>When the host starts stopping (SIGTERM), realtime connections close and readiness fails.</summary>
public sealed class RealtimeShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_ClosesRealtimeConnections_AndFailsReadiness()
    {
        await using var server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Shutdown:DrainDelay"] = "00:00:00" });
        var collection = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        await client.SubscribeAsync(collection);
        using var http = server.Server.CreateClient();
        using (var before = await http.GetAsync("/health/ready", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        // What SIGTERM does first; the test host keeps listening, so readiness can be asked afterwards.
        server.Server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        // The connection closes (that the resync with reason "shutdown" comes first is proven on a real process, with a
        // real SIGTERM, in GracefulShutdownTests).
        await client.Closed.Task.WaitAsync(HubClient.Patience, Ct);
        using var after = await http.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, after.StatusCode);
    }
}
