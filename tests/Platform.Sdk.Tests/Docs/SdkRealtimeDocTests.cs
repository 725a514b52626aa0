using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Platform.Sdk.Admin;
using Platform.Sdk.Tests.Infrastructure;
using Todo = Platform.Sdk.Tests.Docs.SdkDocTests.Todo;

namespace Platform.Sdk.Tests.Docs;

// The snippets are published as user code in docs/sdk.md, where a test's token would only confuse.
#pragma warning disable xUnit1051

/// <summary>The "Realtime" snippets of docs/sdk.md (checked verbatim by <see cref="SdkDocTests"/>), run against a real server.</summary>
public sealed class SdkRealtimeDocTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RealtimeSnippets_RunAgainstARealServer()
    {
        var baseUrl = fixture.BaseUrl.ToString();
        var apiKey = fixture.ServiceKey;
        await fixture.Client.Admin.Collections.CreateAsync(new CollectionDefinition { Name = "todos" });
        using var client = fixture.CreateClient();
        var todos = client.Collection<Todo>("todos");
        await todos.AddAsync(new Todo { Id = "milk", Title = "Buy milk" });
        await todos.AddAsync(new Todo { Id = "old", Title = "Old", Done = true });

        // Render starts the writes once the snapshot is on screen, and stops the watch at the state they lead to.
        var writes = Task.CompletedTask;
        var renders = 0;
        using var stop = new CancellationTokenSource(Patience);
        void Render(IEnumerable<Todo> shown)
        {
            var titles = shown.Select(t => t.Title).Order(StringComparer.Ordinal).ToList();
            if (renders++ == 0)
            {
                Assert.Equal(["Buy milk"], titles);
                writes = Task.Run(async () =>
                {
                    await todos.AddAsync(new Todo { Id = "docs", Title = "Write docs" });
                    await todos.UpdateAsync("milk", new { Done = true });
                    await todos.UpdateAsync("docs", new { Priority = 2 });
                });
            }
            else if (titles is ["Write docs"] && shown.Single().Priority == 2)
            {
                stop.Cancel();
            }
        }

        // <doc:watch>
        var shown = new Dictionary<string, Todo>();
        try
        {
            await foreach (var change in todos.Where(t => !t.Done).WatchAsync(new WatchOptions { Snapshot = true }, stop.Token))
            {
                switch (change.Type)
                {
                    case DocumentChangeType.Reset:              // the server lost what was missed: a snapshot follows
                        shown.Clear();
                        break;
                    case DocumentChangeType.Added or DocumentChangeType.Modified:
                        shown[change.Id] = change.Data!;
                        break;
                    case DocumentChangeType.Removed:
                        shown.Remove(change.Id);
                        break;
                }

                Render(shown.Values);   // cancel `stop` when the view closes
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        // </doc:watch>
        await writes;
        Assert.True(renders >= 4);

        var id = "docs";
        var versions = new List<long>();
        void Show(Document<Todo> todo)
        {
            versions.Add(todo.Version);
            if (versions.Count == 1)
            {
                writes = Task.Run(async () =>
                {
                    await todos.UpdateAsync(id, new { Title = "Write the docs" });
                    await todos.DeleteAsync(id);
                });
            }
        }

        // <doc:watchdoc>
        await foreach (var change in todos.WatchAsync(id, new WatchOptions { Snapshot = true }))
        {
            if (change.Type == DocumentChangeType.Removed)
            {
                break;   // leaving the loop ends the watch
            }

            Show(change.Document!);
        }
        // </doc:watchdoc>
        await writes;
        Assert.Equal([2, 3], versions);

        // <doc:realtimeoptions>
        using var realtime = new BaasClient(new BaasClientOptions
        {
            BaseUrl = new Uri(baseUrl),
            ApiKey = apiKey,
            Realtime =
            {
                BufferCapacity = 1000,                      // changes held for a slow reader (then it resumes later)
                ReconnectDelay = TimeSpan.FromSeconds(1),   // backoff start; doubles up to MaxReconnectDelay
                ConfigureConnection = hub => hub.AddMessagePackProtocol(),   // optional: JSON by default
                UseTickets = null,                          // null: a one-use ticket instead of the token in a browser only
            },
        });
        // </doc:realtimeoptions>
        await using var changes = realtime.Collection<Todo>("todos").WatchAsync(new WatchOptions { Snapshot = true }).GetAsyncEnumerator();
        Assert.True(await changes.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Equal("milk", changes.Current.Id);

        using var cts = new CancellationTokenSource(Patience);
        var ct = cts.Token;
        var seen = new List<string>();
        var output = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            // <doc:subscribe>
            await using DocumentWatch<Todo> watch = await todos.Where(t => !t.Done).SubscribeAsync(cancellationToken: ct);
            await todos.AddAsync(new Todo { Title = "seen for sure" }, ct);   // delivered: the watch was live before this write
            await foreach (DocumentChange<Todo> change in watch.WithCancellation(ct))
            {
                Console.WriteLine($"{change.Type} {change.Id}");
                break;   // or keep watching until ct is cancelled
            }
            // </doc:subscribe>
        }
        finally
        {
            Console.SetOut(output);
        }

        Assert.Contains("Added ", captured.ToString(), StringComparison.Ordinal);
    }
}
