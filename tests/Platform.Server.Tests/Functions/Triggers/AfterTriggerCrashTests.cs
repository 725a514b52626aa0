using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>
/// End to end with the real Jint runtime: an <c>after</c> trigger mirrors every created order into <c>seen</c>; the server
/// is killed with SIGKILL in the middle of a stream of writes and restarted on the same data directory. Every order whose
/// create was acknowledged must end up in <c>seen</c> (at least once: a redelivery is harmless, a lost run is a failure).
/// </summary>
public sealed class AfterTriggerCrashTests
{
    private const int Writers = 4;
    private const int OrdersPerWriter = 75;
    private const int AcknowledgedBeforeKill = 100;

    // Idempotent: the mirror's id is the order's id, so a second delivery finds it there and stops.
    private const string MirrorCode = """
        export default async function (ctx) {
          try {
            await ctx.db.collection('seen').insert({ _id: ctx.event.documentId, eventId: ctx.event.id });
          } catch (e) {
            if (e.code !== 'already_exists') throw e;
          }
          return ctx.event.documentId;
        }
        """;

    // A short lease, so the restarted process (a new node id) takes over the crashed one's lease within seconds.
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["Baas__Functions__AfterTriggers__LeaseDuration"] = "00:00:03",
        ["Baas__Functions__AfterTriggers__LeaseRenewInterval"] = "00:00:01",
    };

    [Fact]
    public async Task EveryAcknowledgedWrite_RunsTheTrigger_AfterSigkillAndRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "after-crash-" + Guid.NewGuid().ToString("N"));
        var function = "mirror-" + Guid.NewGuid().ToString("N")[..8];
        var acknowledged = new ConcurrentDictionary<string, bool>();
        try
        {
            await using (var server = await ServerProcess.StartAsync(dataDir, Environment, ct))
            {
                using var client = server.CreateClient();
                await ServerProcess.SignInAsAdminAsync(client, ct);
                (await client.PostAsJsonAsync("/api/admin/collections", new { name = "orders" }, ct)).EnsureSuccessStatusCode();
                (await client.PostAsJsonAsync("/api/admin/collections", new { name = "seen" }, ct)).EnsureSuccessStatusCode();
                using (var created = await client.PostAsJsonAsync(
                    "/api/admin/functions",
                    new { name = function, code = MirrorCode, triggers = new[] { new { collection = "orders", on = new[] { "create" }, phase = "after" } } },
                    ct))
                {
                    Assert.True(created.StatusCode == HttpStatusCode.Created, $"{created.StatusCode}: {await created.Content.ReadAsStringAsync(ct)}");
                }

                // A new function starts at the feed position where its consumer first sees it, so writes right around the
                // save may or may not run it (docs/functions-triggers.md). Warm up until one order ran it: from then on, all must.
                var consuming = false;
                for (var attempt = 0; attempt < 10 && !consuming; attempt++)
                {
                    var warmUp = await CreateOrderAsync(client, new { warmUp = attempt }, ct);
                    consuming = (await MissingFromSeenAsync(client, [warmUp], TimeSpan.FromSeconds(5), ct)).Count == 0;
                }

                Assert.True(consuming, $"the function never ran for a warm-up order\n{server.Output}");

                // The deadline turns a server that stops acknowledging into a failure instead of a hang.
                using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(90));
                var writers = Enumerable.Range(0, Writers).Select(writer => Task.Run(
                    async () =>
                    {
                        for (var i = 0; i < OrdersPerWriter && !enough.IsCancellationRequested; i++)
                        {
                            HttpResponseMessage response;
                            try
                            {
                                response = await client.PostAsJsonAsync("/api/collections/orders/documents", new { writer, i, total = i * 10 }, CancellationToken.None);
                            }
                            catch (HttpRequestException)
                            {
                                return; // The server is gone: this write was never acknowledged.
                            }

                            using var _ = response;
                            if (response.StatusCode == HttpStatusCode.Created)
                            {
                                var body = await response.Content.ReadFromJsonAsync<JsonObject>(CancellationToken.None);
                                acknowledged[body!["_id"]!.GetValue<string>()] = true;
                                if (acknowledged.Count >= AcknowledgedBeforeKill)
                                {
                                    await enough.CancelAsync();
                                }
                            }
                        }
                    },
                    CancellationToken.None)).ToArray();

                // Kill while the writers are still sending: some creates are in flight, many runs are not done yet.
                await Task.WhenAny(Task.WhenAll(writers), Task.Delay(Timeout.Infinite, enough.Token).ContinueWith(_ => { }, TaskScheduler.Default));
                await server.KillAsync();
                await Task.WhenAll(writers);
            }

            Assert.True(acknowledged.Count >= AcknowledgedBeforeKill, $"only {acknowledged.Count} orders were acknowledged before the kill");

            await using var restarted = await ServerProcess.StartAsync(dataDir, Environment, ct);
            using var reader = restarted.CreateClient();
            await ServerProcess.SignInAsAdminAsync(reader, ct);
            var timeout = TimeSpan.FromSeconds(90);
            var missing = await MissingFromSeenAsync(reader, [.. acknowledged.Keys], timeout, ct);
            Assert.True(
                missing.Count == 0,
                $"{missing.Count} of {acknowledged.Count} acknowledged orders never ran the trigger within {timeout}: {string.Join(", ", missing.Take(20))}\n{restarted.Output}");

            using var runs = await reader.GetAsync($"/api/admin/functions/{function}/runs?status=succeeded&limit=500", ct);
            Assert.Equal(HttpStatusCode.OK, runs.StatusCode);
            var items = (await runs.Content.ReadFromJsonAsync<JsonObject>(ct))!["items"]!.AsArray();
            Assert.NotEmpty(items);
            Assert.All(items, run =>
            {
                Assert.Equal("succeeded", run!["status"]!.GetValue<string>());
                Assert.Equal("document", run["trigger"]!.GetValue<string>());
            });
            using var deadLetters = await reader.GetAsync($"/api/admin/functions/{function}/runs?deadLetter=true", ct);
            Assert.Equal(HttpStatusCode.OK, deadLetters.StatusCode);
            var dead = (await deadLetters.Content.ReadFromJsonAsync<JsonObject>(ct))!["items"]!.AsArray();
            Assert.True(dead.Count == 0, $"dead letters: {dead.ToJsonString()}");
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

    private static async Task<string> CreateOrderAsync(HttpClient client, object order, CancellationToken ct)
    {
        using var response = await client.PostAsJsonAsync("/api/collections/orders/documents", order, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["_id"]!.GetValue<string>();
    }

    /// <summary>Polls <c>seen</c> until it holds a document for each order id or the time is up; answers the ids still missing.</summary>
    private static async Task<HashSet<string>> MissingFromSeenAsync(HttpClient client, HashSet<string> orderIds, TimeSpan timeout, CancellationToken ct)
    {
        var missing = new HashSet<string>(orderIds);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var id in missing.ToArray())
            {
                using var response = await client.GetAsync($"/api/collections/seen/documents/{id}", ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    missing.Remove(id);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                }
            }

            if (missing.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return missing;
            }

            await Task.Delay(200, ct);
        }
    }
}
