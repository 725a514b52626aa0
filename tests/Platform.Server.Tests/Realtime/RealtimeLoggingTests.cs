using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Server.Tests.Hosting;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// Issue 11 item 8: a client's refused realtime requests are logged below Warning and without stack traces, so a client
/// cannot fill the server's warnings (or its disk) at will. SignalR's own logging of hub refusals is covered too.
/// </summary>
public sealed class RealtimeLoggingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RefusedSubscriptionsAndConnections_AreLoggedBelowWarning_WithoutStackTraces()
    {
        var capture = new CapturingLoggerProvider();
        await using var server = await RealtimeTestServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Debug",
                ["Baas:Realtime:MaxConnectionsPerClient"] = "2",
            },
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));
        var open = await server.NewCollectionAsync(new { list = "true" });
        var closed = await server.NewCollectionAsync();
        await using var client = await server.ConnectAsync();
        while (capture.Entries.TryDequeue(out _))
        {
        }

        var refusals = new List<string>();
        async Task RefusedAsync(Func<Task> subscribe)
        {
            var error = await Assert.ThrowsAsync<HubException>(subscribe);
            refusals.Add(HubClient.Refusal(error));
        }

        // A bad filter, an operator that does not exist, a filter over the cost limit, a collection without a list rule, one
        // that does not exist, and a request without a collection.
        await RefusedAsync(() => client.SubscribeAsync(open, HubClient.Filter("""{ "n": { "$nope": 1 } }""")));
        await RefusedAsync(() => client.SubscribeAsync(open, HubClient.Filter(
            "{ \"$or\": [" + string.Join(", ", Enumerable.Range(0, 199).Select(i => $$"""{ "text": { "$containsi": "needle{{i}}" } }""")) + "] }")));
        await RefusedAsync(() => client.SubscribeAsync(closed));
        await RefusedAsync(() => client.SubscribeAsync("no-such-collection-" + Guid.NewGuid().ToString("N")[..8]));
        await RefusedAsync(() => client.Connection.InvokeAsync<object>("Subscribe", new Dictionary<string, object?>(), Ct));
        await RefusedAsync(() => client.Connection.InvokeAsync("Unsubscribe", (string?)null, Ct));

        // A connection over the per-client limit is closed with a refusal.
        await using var second = await server.ConnectAsync();
        await using (var third = new HubClient(new HubConnectionBuilder().WithUrl(server.HubUrl, HttpTransportType.WebSockets).Build()))
        {
            string? message;
            try
            {
                await third.Connection.StartAsync(Ct);
                message = (await third.Closed.Task.WaitAsync(HubClient.Patience, Ct))?.Message;
            }
            catch (Exception ex) when (ex is HubException or InvalidOperationException or IOException)
            {
                message = ex.Message;
            }

            Assert.Contains("too_many_client_connections", message, StringComparison.Ordinal);
        }

        // Each was refused for the client's own reason (a 4xx code), and the server still serves it.
        Assert.Equal(6, refusals.Count);
        Assert.DoesNotContain(refusals, r => r.StartsWith("internal", StringComparison.Ordinal) || r.StartsWith("storage", StringComparison.Ordinal));
        await client.SubscribeAsync(open);

        var loud = capture.Entries.Where(e => e.Level >= LogLevel.Warning || (e.Exception is not null && e.Level >= LogLevel.Information)).ToList();
        Assert.True(loud.Count == 0, "Logged at Warning or above, or with an exception: " + string.Join("\n", loud.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception?.GetType().Name}")));
        Assert.Contains(capture.Entries, e => e.Message.Contains("Refused a realtime connection", StringComparison.Ordinal) && e.Level == LogLevel.Information);
    }
}
