using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Memory;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Memory;

public sealed class RequestActivityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Middleware_CountsARequestInFlightUntilItFinishes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await StartAsync(endpoints => endpoints.MapGet("/slow", async () =>
        {
            entered.TrySetResult();
            await release.Task;
            return "done";
        }));
        var activity = app.Services.GetRequiredService<RequestActivity>();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var response = client.GetStringAsync(new Uri("/slow", UriKind.Relative), Ct);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(1, activity.Read().InFlight);

        release.SetResult();
        Assert.Equal("done", await response);
        await WaitUntilAsync(() => activity.Read().InFlight == 0);
        Assert.Equal(1, activity.Read().Started);
    }

    [Fact]
    public async Task Middleware_CountsAnOpenWebSocketAsActivity_NotInFlight()
    {
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await StartAsync(endpoints => endpoints.Map("/socket", async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            accepted.TrySetResult();
            var buffer = new byte[16];
            while (!(await socket.ReceiveAsync(buffer, context.RequestAborted)).CloseStatus.HasValue)
            {
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }));
        var activity = app.Services.GetRequiredService<RequestActivity>();
        using var socket = new ClientWebSocket();

        await socket.ConnectAsync(new Uri(app.Urls.First().Replace("http", "ws", StringComparison.Ordinal) + "/socket"), Ct);
        await accepted.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(new RequestCounts(1, 1), activity.Read());
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
    }

    [Fact]
    public async Task Server_CountsEveryRequest()
    {
        await using var server = await BaasTestServer.StartAsync();
        var activity = server.Services.GetRequiredService<RequestActivity>();
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var before = activity.Read();

        (await client.GetAsync(new Uri("/health", UriKind.Relative), Ct)).EnsureSuccessStatusCode();
        (await client.GetAsync(new Uri("/api/collections/none/documents/x", UriKind.Relative), Ct)).Dispose();

        await WaitUntilAsync(() => activity.Read().Finished >= before.Finished + 2);
        Assert.True(activity.Read().Started >= before.Started + 2);
    }

    private static async Task<WebApplication> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<RequestActivity>();
        var app = builder.Build();
        app.UseBaasRequestActivity();
        app.UseWebSockets();
        map(app);
        await app.StartAsync(Ct);
        return app;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
