using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Platform.Server.Realtime;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// Finds <c>tests/realtime-js</c> and installs its pinned packages (<c>npm ci</c>) when they are missing, once per
/// test class. <see cref="Problem"/> says why JavaScript tests cannot run here (no Node.js).
/// </summary>
public sealed class NodeClientFixture : IAsyncLifetime
{
    public string Folder { get; private set; } = "";

    public string? Problem { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "tests", "realtime-js", "package.json")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException("tests/realtime-js was not found above " + AppContext.BaseDirectory);
        }

        Folder = Path.Combine(directory.FullName, "tests", "realtime-js");
        if (Directory.Exists(Path.Combine(Folder, "node_modules", "@microsoft", "signalr")))
        {
            return;
        }

        try
        {
            var (exitCode, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], Folder, TimeSpan.FromMinutes(5));
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"npm ci failed ({exitCode}): {output}");
            }
        }
        catch (Win32Exception ex)
        {
            Problem = "npm is not installed: " + ex.Message;
        }
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string folder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The hub driven by the official JavaScript client (<c>@microsoft/signalr</c>) under Node.js.</summary>
public sealed class RealtimeJavaScriptClientTests(NodeClientFixture node) : IClassFixture<NodeClientFixture>
{
    /// <param name="ticket">Connect as docs/realtime.md ("Tickets") shows a browser app: with a one-use ticket the
    /// client asks for with its token, so the token never goes into the websocket's URL.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task JavaScriptClient_SubscribesAndReceivesTheChangesItMaySee(bool ticket)
    {
        if (node.Problem is not null)
        {
            Assert.Skip(node.Problem);
        }

        var ct = TestContext.Current.CancellationToken;
        await using var server = await RealtimeTestServer.StartAsync();
        var collection = await server.NewCollectionAsync(new { list = "doc.owner == auth.id" });
        await server.CreateAsync(collection, """{ "_id": "before", "owner": "erin" }""");
        await server.CreateAsync(collection, """{ "_id": "hidden", "owner": "frank" }""");

        var start = new ProcessStartInfo("node") { WorkingDirectory = node.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] arguments = ["watch.mjs", server.HubUrl.ToString(), server.UserToken("erin"), collection, "3"];
        foreach (var argument in ticket ? [.. arguments, "--ticket"] : arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            Assert.Skip("Node.js is not installed: " + ex.Message);
            return;
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(ct);
            try
            {
                if (ticket)
                {
                    var asked = await NextLineAsync(process, stderr);
                    Assert.Equal(("ticket", "baas_rt_"), (asked["kind"]!.GetValue<string>(), asked["prefix"]!.GetValue<string>()));
                }

                var subscribed = await NextLineAsync(process, stderr);
                Assert.Equal("subscribed", subscribed["kind"]!.GetValue<string>());
                var snapshot = Assert.Single(subscribed["documents"]!.AsArray());
                Assert.Equal("before", snapshot!["_id"]!.GetValue<string>());
                var subscriptionId = subscribed["subscriptionId"]!.GetValue<string>();

                await server.CreateAsync(collection, """{ "_id": "other", "owner": "frank" }""");
                await server.CreateAsync(collection, """{ "_id": "mine", "owner": "erin", "n": 1 }""");
                await server.ReplaceAsync(collection, "mine", """{ "owner": "erin", "n": 2 }""");
                await server.DeleteAsync(collection, "mine");

                var expected = new[] { (RealtimeEvents.Added, 1L), (RealtimeEvents.Modified, 2L), (RealtimeEvents.Removed, 2L) };
                foreach (var (type, n) in expected)
                {
                    var change = await NextLineAsync(process, stderr);
                    Assert.Equal("change", change["kind"]!.GetValue<string>());
                    Assert.Equal(subscriptionId, change["subscriptionId"]!.GetValue<string>());
                    Assert.Equal((type, "mine"), (change["type"]!.GetValue<string>(), change["id"]!.GetValue<string>()));
                    Assert.Equal(n, change["document"]!["n"]!.GetValue<long>());
                    Assert.False(string.IsNullOrEmpty(change["sequence"]!.GetValue<string>()));
                }

                await process.WaitForExitAsync(ct).WaitAsync(HubClient.Patience, ct);
                Assert.True(process.ExitCode == 0, await stderr);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
    }

    private static async Task<JsonObject> NextLineAsync(Process process, Task<string> stderr)
    {
        var ct = TestContext.Current.CancellationToken;
        var line = await process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(HubClient.Patience, ct);
        if (line is null)
        {
            await process.WaitForExitAsync(ct).WaitAsync(HubClient.Patience, ct);
            Assert.Fail($"node exited ({process.ExitCode}) early: {await stderr}");
        }

        var json = JsonNode.Parse(line)!.AsObject();
        Assert.True(json["kind"]?.GetValue<string>() != "error", line);
        return json;
    }
}
