using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Platform.Server.Realtime;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// Issue 11, item 12: SIGTERM in the middle of a stream of writes, on a real server process. The node reports not
/// ready, tells realtime clients to reconnect, lets in-flight requests finish, flushes the store and exits with 0
/// within its grace period; after a restart on the same data dir every acknowledged write is there.
/// </summary>
public sealed class GracefulShutdownTests
{
    private const int Writers = 4;
    private const int AcknowledgedBeforeSignal = 60;
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, string> Environment = new()
    {
        ["Baas__Shutdown__GracePeriod"] = "00:00:30",
        // Keep accepting for a moment after the signal, so the test can see /health/ready answer 503 while draining.
        ["Baas__Shutdown__DrainDelay"] = "00:00:02",
    };

    [Fact]
    public async Task Sigterm_MidStream_DrainsAndLosesNoAcknowledgedWrite()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "shutdown-" + Guid.NewGuid().ToString("N"));
        var collection = "drain" + Guid.NewGuid().ToString("N")[..10];
        var acknowledged = new ConcurrentDictionary<string, bool>();
        var timedOut = 0;
        try
        {
            await using (var server = await ServerProcess.StartAsync(dataDir, Environment, ct))
            {
                using var client = server.CreateClient();
                var token = await SignInAsync(client, ct);
                (await client.PostAsJsonAsync("/api/admin/collections", new { name = collection }, ct)).EnsureSuccessStatusCode();

                var resync = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
                await using var hub = new HubConnectionBuilder()
                    .WithUrl(new Uri(server.BaseAddress, "/realtime"), HttpTransportType.WebSockets, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                    .Build();
                hub.On<ResyncEvent>(RealtimeEvents.Resync, e => resync.TrySetResult(e.Reason));
                hub.Closed += error =>
                {
                    closed.TrySetResult(error);
                    return Task.CompletedTask;
                };
                await hub.StartAsync(ct);
                await hub.InvokeAsync<JsonElement>("Subscribe", new { collection }, ct);

                using var enough = new CancellationTokenSource();
                var writers = Enumerable.Range(0, Writers).Select(writer => Task.Run(
                    async () =>
                    {
                        for (var i = 0; ; i++)
                        {
                            HttpResponseMessage response;
                            try
                            {
                                response = await client.PostAsJsonAsync($"/api/collections/{collection}/documents", new { writer, i }, CancellationToken.None);
                            }
                            catch (HttpRequestException)
                            {
                                return; // The server stopped accepting: this write was never acknowledged.
                            }
                            catch (TaskCanceledException)
                            {
                                Interlocked.Increment(ref timedOut); // HttpClient's 30 s timeout: a request that hung.
                                return;
                            }

                            using var _ = response;
                            if (response.StatusCode != HttpStatusCode.Created)
                            {
                                continue;
                            }

                            var body = await response.Content.ReadFromJsonAsync<JsonObject>(CancellationToken.None);
                            acknowledged[body!["_id"]!.GetValue<string>()] = true;
                            if (acknowledged.Count >= AcknowledgedBeforeSignal)
                            {
                                await enough.CancelAsync();
                            }
                        }
                    },
                    CancellationToken.None)).ToArray();

                await Task.WhenAny(Task.WhenAll(writers), Task.Delay(Timeout.Infinite, enough.Token).ContinueWith(_ => { }, TaskScheduler.Default))
                    .WaitAsync(TimeSpan.FromSeconds(90), ct);
                Assert.True(acknowledged.Count >= AcknowledgedBeforeSignal, $"only {acknowledged.Count} writes were acknowledged\n{server.Output}");

                // SIGTERM while the writers keep sending.
                var terminated = server.TerminateAsync(GracePeriod + TimeSpan.FromSeconds(30));

                // Draining: readiness fails at once (new connections are still accepted during DrainDelay).
                using (var probe = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(5) })
                {
                    var notReady = false;
                    var deadline = Stopwatch.StartNew();
                    while (!notReady && deadline.Elapsed < TimeSpan.FromSeconds(10) && !terminated.IsCompleted)
                    {
                        try
                        {
                            using var ready = await probe.GetAsync("/health/ready", ct);
                            notReady = ready.StatusCode == HttpStatusCode.ServiceUnavailable;
                        }
                        catch (HttpRequestException)
                        {
                            break; // Stopped accepting already.
                        }
                    }

                    Assert.True(notReady, $"/health/ready never answered 503 while draining\n{server.Output}");
                }

                var (exitCode, elapsed) = await terminated;
                Assert.True(exitCode == 0, $"exit code {exitCode}\n{server.Output}");
                Assert.True(elapsed < GracePeriod, $"took {elapsed} to exit after SIGTERM\n{server.Output}");

                // Every in-flight request got an answer (or a refused connection): no writer hangs, none timed out.
                await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30), ct);
                Assert.Equal(0, timedOut);

                // The realtime client was told why before the connection closed.
                Assert.Equal(RealtimeDispatcher.ShutdownReason, await resync.Task.WaitAsync(TimeSpan.FromSeconds(10), ct));
                await closed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            }

            // The store was checkpointed and closed: the log is empty and every acknowledged write is in the database.
            var wal = new FileInfo(Path.Combine(dataDir, "baas.db-wal"));
            var walBytes = wal.Exists ? wal.Length : 0;
            Assert.True(walBytes == 0, $"baas.db-wal holds {walBytes} bytes after a graceful shutdown");

            await using var restarted = await ServerProcess.StartAsync(dataDir, Environment, ct);
            using var reader = restarted.CreateClient();
            await SignInAsync(reader, ct);
            var missing = new List<string>();
            foreach (var id in acknowledged.Keys)
            {
                using var read = await reader.GetAsync($"/api/collections/{collection}/documents/{id}", ct);
                if (read.StatusCode != HttpStatusCode.OK)
                {
                    missing.Add(id);
                }
            }

            Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged writes are missing: {string.Join(", ", missing.Take(20))}");
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

    private static async Task<string> SignInAsync(HttpClient client, CancellationToken ct)
    {
        using var login = await client.PostAsJsonAsync("/api/admin/auth/login", new { email = BaasTestServer.AdminEmail, password = BaasTestServer.AdminPassword }, ct);
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>(ct))!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return token;
    }
}
