using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Documents;

/// <summary>
/// Kills the server with SIGKILL in the middle of a stream of writes and proves that every write
/// the server acknowledged is there after a restart.
/// </summary>
public sealed class DurabilityTests
{
    private const int Writers = 4;
    private const int AcknowledgedBeforeKill = 400;

    [Fact]
    public async Task AcknowledgedWrites_SurviveSigkill_AndAreReadableAfterRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "durability-" + Guid.NewGuid().ToString("N"));
        var acknowledged = new ConcurrentDictionary<string, int>();
        try
        {
            await using (var server = await ServerProcess.StartAsync(dataDir, cancellationToken: ct))
            {
                using var client = server.CreateClient();
                await ServerProcess.SignInAsAdminAsync(client, ct);
                (await client.PostAsJsonAsync("/api/admin/collections", new { name = "events" }, ct)).EnsureSuccessStatusCode();

                // The deadline turns a server that stops acknowledging into a failure instead of a hang.
                using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(90));
                var writers = Enumerable.Range(0, Writers).Select(writer => Task.Run(
                    async () =>
                    {
                        for (var i = 0; !enough.IsCancellationRequested; i++)
                        {
                            HttpResponseMessage response;
                            try
                            {
                                response = await client.PostAsJsonAsync("/api/collections/events/documents", new { writer, i, payload = new string('x', 200) }, CancellationToken.None);
                            }
                            catch (HttpRequestException)
                            {
                                return; // The server is gone: this write was never acknowledged.
                            }

                            using var _ = response;
                            if (response.StatusCode == HttpStatusCode.Created)
                            {
                                var body = await response.Content.ReadFromJsonAsync<JsonObject>(CancellationToken.None);
                                acknowledged[body!["_id"]!.GetValue<string>()] = i;
                                if (acknowledged.Count >= AcknowledgedBeforeKill)
                                {
                                    await enough.CancelAsync();
                                }
                            }
                        }
                    },
                    CancellationToken.None)).ToArray();

                // Kill while the writers are still sending: some requests are in flight at that moment.
                await Task.WhenAny(Task.WhenAll(writers), Task.Delay(Timeout.Infinite, enough.Token).ContinueWith(_ => { }, TaskScheduler.Default));
                await server.KillAsync();
                await Task.WhenAll(writers);
            }

            Assert.True(acknowledged.Count >= AcknowledgedBeforeKill, $"only {acknowledged.Count} writes were acknowledged before the kill");

            await using var restarted = await ServerProcess.StartAsync(dataDir, cancellationToken: ct);
            using var reader = restarted.CreateClient();
            await ServerProcess.SignInAsAdminAsync(reader, ct);
            foreach (var (id, i) in acknowledged)
            {
                using var response = await reader.GetAsync($"/api/collections/events/documents/{id}", ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"acknowledged document {id} is missing after restart ({response.StatusCode})");
                var document = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
                Assert.Equal(i, document!["i"]!.GetValue<int>());
            }
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Never created: the server failed to start.
            }
        }
    }
}
