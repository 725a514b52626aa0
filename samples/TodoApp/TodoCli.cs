using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Sdk;
using Platform.Sdk.Admin;

namespace TodoApp;

/// <summary>
/// A todo list on the Baas SDK. Usage:
/// <c>TodoApp [--url URL] [--key KEY] [--collection NAME] add "title" [priority] | list | complete ID | delete ID | count</c>.
/// The URL and service key default to the <c>BASE_URL</c> and <c>BAAS_API_KEY</c> environment variables.
/// </summary>
public static class TodoCli
{
    public const string Usage = """
        usage: TodoApp [--url URL] [--key KEY] [--collection NAME] <command>
          add "title" [priority]   add a todo (priority 1-5, default 3)
          list                     open todos, highest priority first
          complete ID              mark a todo done
          delete ID                delete a todo
          count                    how many todos are open and done
        URL and KEY default to the BASE_URL and BAAS_API_KEY environment variables.
        """;

    /// <summary>Runs one command, writing what it did to <paramref name="output"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var url = Environment.GetEnvironmentVariable("BASE_URL");
        var key = Environment.GetEnvironmentVariable("BAAS_API_KEY");
        var collection = "todos";
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--url" when i + 1 < args.Length:
                    url = args[++i];
                    break;
                case "--key" when i + 1 < args.Length:
                    key = args[++i];
                    break;
                case "--collection" when i + 1 < args.Length:
                    collection = args[++i];
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        if (rest.Count == 0 || string.IsNullOrEmpty(url) || string.IsNullOrEmpty(key) || !Uri.TryCreate(url, UriKind.Absolute, out var baseUrl))
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        using var client = new BaasClient(new BaasClientOptions { BaseUrl = baseUrl, ApiKey = key });
        try
        {
            await EnsureCollectionAsync(client, collection, cancellationToken).ConfigureAwait(false);
            var todos = client.Collection<Todo>(collection);
            return await RunCommandAsync(todos, rest, output, cancellationToken).ConfigureAwait(false);
        }
        catch (BaasException ex)
        {
            await output.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            foreach (var error in ex.Errors)
            {
                await output.WriteLineAsync($"  {error.Path}: {error.Message}").ConfigureAwait(false);
            }

            return 1;
        }
    }

    private static async Task<int> RunCommandAsync(DocumentCollection<Todo> todos, List<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        switch (args[0])
        {
            case "add" when args.Count is 2 or 3:
            {
                var priority = args.Count == 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
                var added = await todos.AddAsync(new Todo { Title = args[1], Priority = priority }, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"added {added.Id}: {added.Data.Title} (priority {added.Data.Priority})").ConfigureAwait(false);
                return 0;
            }

            case "list" when args.Count == 1:
            {
                var open = todos
                    .Where(t => !t.Done)
                    .OrderByDescending(t => t.Priority)
                    .ThenBy(t => t.Title);
                var any = false;
                await foreach (var todo in open.AsAsyncEnumerable(cancellationToken).ConfigureAwait(false))
                {
                    any = true;
                    await output.WriteLineAsync($"{todo.Id}  [{todo.Data.Priority}] {todo.Data.Title}").ConfigureAwait(false);
                }

                if (!any)
                {
                    await output.WriteLineAsync("no open todos").ConfigureAwait(false);
                }

                return 0;
            }

            case "complete" when args.Count == 2:
            {
                var todo = await todos.GetAsync(args[1], cancellationToken).ConfigureAwait(false);
                if (todo is null)
                {
                    await output.WriteLineAsync($"no todo {args[1]}").ConfigureAwait(false);
                    return 1;
                }

                // Only if nobody changed it since we read it; a concurrent edit makes this a 412.
                await todos.UpdateAsync(todo.Id, u => u.Set(t => t.Done, true), ifMatch: todo.Version, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"completed {todo.Id}: {todo.Data.Title}").ConfigureAwait(false);
                return 0;
            }

            case "delete" when args.Count == 2:
            {
                var deleted = await todos.DeleteAsync(args[1], cancellationToken: cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(deleted ? $"deleted {args[1]}" : $"no todo {args[1]}").ConfigureAwait(false);
                return deleted ? 0 : 1;
            }

            case "count" when args.Count == 1:
            {
                var open = await todos.Where(t => !t.Done).CountAsync(cancellationToken).ConfigureAwait(false);
                var done = await todos.Where(t => t.Done).CountAsync(cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"open: {open}, done: {done}").ConfigureAwait(false);
                return 0;
            }

            default:
                await output.WriteLineAsync(Usage).ConfigureAwait(false);
                return 2;
        }
    }

    private static async Task EnsureCollectionAsync(BaasClient client, string name, CancellationToken cancellationToken)
    {
        if (await client.Admin.Collections.GetAsync(name, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        var definition = new CollectionDefinition
        {
            Name = name,
            Schema = JsonNode.Parse("""
                { "type": "object", "required": ["title"],
                  "properties": { "title": { "type": "string", "minLength": 1 },
                                  "done": { "type": "boolean" },
                                  "priority": { "type": "integer", "minimum": 1, "maximum": 5 } } }
                """)!.AsObject(),
            Indexes = { new IndexDefinition("done", "-priority", "title") },
        };
        try
        {
            await client.Admin.Collections.CreateAsync(definition, cancellationToken).ConfigureAwait(false);
        }
        catch (BaasException ex) when (ex.Status == 409)
        {
            // Another instance defined it first; that is fine.
        }
    }
}
