using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Platform.Sdk.Admin;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Docs;

// The snippets are published as user code in docs/sdk.md, where a test's token would only confuse.
#pragma warning disable xUnit1051

/// <summary>
/// Every C# block of docs/sdk.md is one <c>// &lt;doc:name&gt;</c> region of this file or another in this folder
/// (checked verbatim), and the regions run here (and in <see cref="SdkRealtimeDocTests"/>), in order, against a real server.
/// </summary>
public sealed partial class SdkDocTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    // <doc:model>
    public sealed class Todo
    {
        public string? Id { get; set; }          // the document's _id
        public required string Title { get; set; }
        public bool Done { get; set; }
        public int Priority { get; set; }
        public List<string> Tags { get; set; } = [];
    }
    // </doc:model>

    [Fact]
    public async Task Snippets_RunAgainstARealServer()
    {
        var baseUrl = fixture.BaseUrl.ToString();
        var adminEmail = BaasTestServer.AdminEmail;
        var adminPassword = BaasTestServer.AdminPassword;

        // <doc:admin>
        using var admin = new BaasClient(new BaasClientOptions { BaseUrl = new Uri(baseUrl) });
        await admin.Admin.SignInAsync(adminEmail, adminPassword);

        await admin.Admin.Collections.CreateAsync(new CollectionDefinition
        {
            Name = "todos",
            Schema = JsonNode.Parse("""
                { "type": "object", "required": ["title"],
                  "properties": { "title": { "type": "string", "minLength": 1 } } }
                """)!.AsObject(),
            Indexes = { new IndexDefinition("done", "-priority") },
        });

        CreatedApiKey key = await admin.Admin.ApiKeys.CreateAsync("backend");   // key.Key is shown only now
        // </doc:admin>
        var apiKey = key.Key;

        // <doc:connect>
        using var client = new BaasClient(new BaasClientOptions
        {
            BaseUrl = new Uri(baseUrl),   // e.g. http://localhost:8090
            ApiKey = apiKey,              // a service key: only on trusted servers
        });
        // </doc:connect>

        // <doc:crud>
        var todos = client.Collection<Todo>("todos");

        Document<Todo> added = await todos.AddAsync(new Todo { Title = "Write docs", Priority = 3 });
        // added.Id is the generated id (also in added.Data.Id), added.Version is 1

        Document<Todo>? read = await todos.GetAsync(added.Id);     // null when there is no such document

        await todos.SetAsync(added.Id, new Todo { Title = "Write the SDK docs", Priority = 4 });   // replace
        await todos.UpdateAsync(added.Id, new { Done = true });                                    // merge patch
        await todos.UpdateAsync(added.Id, u => u.Increment(t => t.Priority, 1).Set(t => t.Done, false));   // operators

        bool deleted = await todos.DeleteAsync(added.Id);          // false when it was already gone
        // </doc:crud>
        Assert.Equal(1, added.Version);
        Assert.Equal(added.Id, read!.Data.Id);
        Assert.True(deleted);

        var id = (await todos.AddAsync(new Todo { Title = "Shared" })).Id;
        await todos.UpdateAsync(id, new { Priority = 2 });
        var conflicts = 0;
        // <doc:ifmatch>
        var current = await todos.GetAsync(id);
        try
        {
            await todos.UpdateAsync(id, new { Title = "Mine" }, ifMatch: current!.Version);
        }
        catch (BaasException ex) when (ex.Status == 412)
        {
            // Someone changed it since we read it: read it again, or tell the user.
            conflicts++;
        }
        // </doc:ifmatch>
        Assert.Equal(0, conflicts);
        await Assert.ThrowsAsync<BaasException>(() => todos.UpdateAsync(id, new { Title = "Stale" }, ifMatch: current!.Version));

        await todos.AddAsync(new Todo { Title = "Ship it", Priority = 5, Tags = ["work"] });
        await todos.AddAsync(new Todo { Title = "Buy milk", Priority = 1 });
        // <doc:query>
        var minPriority = 2;
        IReadOnlyList<Document<Todo>> open = await todos
            .Where(t => !t.Done && t.Priority >= minPriority)
            .OrderByDescending(t => t.Priority)
            .ThenBy(t => t.Title)
            .Limit(20)
            .ToListAsync();

        var urgentWork = await todos.Where("priority", ">=", 4).Where("tags", "contains", "work").ToListAsync();
        long openCount = await todos.Where(t => !t.Done).CountAsync();
        Document<Todo>? firstByTitle = await todos.OrderBy(t => t.Title).FirstOrDefaultAsync();
        // </doc:query>
        Assert.Equal(["Ship it", "Mine"], open.Select(d => d.Data.Title));
        Assert.Equal("Ship it", Assert.Single(urgentWork).Data.Title);
        Assert.Equal(3, openCount);
        Assert.Equal("Buy milk", firstByTitle!.Data.Title);

        var titles = new List<string>();
        void Process(Todo todo) => titles.Add(todo.Title);
        // <doc:paging>
        await foreach (var todo in todos.OrderBy(t => t.Title).PageSize(200).AsAsyncEnumerable())
        {
            Process(todo.Data);
        }

        // Or one page at a time, e.g. for a table in a UI:
        var byTitle = todos.OrderBy(t => t.Title).PageSize(25);
        QueryPage<Todo> page = await byTitle.GetPageAsync(includeCount: true);        // page.TotalCount: all matches
        QueryPage<Todo>? next = page.NextCursor is null ? null : await byTitle.GetPageAsync(page.NextCursor);
        // </doc:paging>
        Assert.Equal(["Buy milk", "Mine", "Ship it"], titles);
        Assert.Equal(3, page.TotalCount);
        Assert.Null(next);

        await todos.AddAsync(new Todo { Id = "old", Title = "Old" });
        // <doc:batch>
        IReadOnlyList<BatchOperationResult> results = await client.Batch()
            .Add(todos, new Todo { Id = "t1", Title = "Plan" })
            .Update(todos, "t1", u => u.Set(t => t.Done, true))
            .Delete(todos, "old")
            .CommitAsync();   // all or nothing; a failure throws BaasException with OpIndex
        // </doc:batch>
        Assert.Equal([201, 200, 204], results.Select(r => r.Status));

        var problems = new List<string>();
        // <doc:errors>
        try
        {
            await todos.AddAsync(new Todo { Title = "" });
        }
        catch (BaasException ex) when (ex.Status == 422)
        {
            // ex.Code is "schema_validation"; ex.Errors lists each problem.
            foreach (var error in ex.Errors)
            {
                problems.Add($"{error.Path}: {error.Message}");
            }
        }
        // </doc:errors>
        Assert.Contains(problems, p => p.StartsWith("title", StringComparison.Ordinal));
    }

    [Fact]
    public void Docs_ContainEverySnippetVerbatim()
    {
        var root = RepositoryRoot();
        var markdown = File.ReadAllText(Path.Combine(root, "docs", "sdk.md"));
        var source = string.Concat(Directory.GetFiles(Path.Combine(root, "tests", "Platform.Sdk.Tests", "Docs"), "*.cs").Order(StringComparer.Ordinal).Select(File.ReadAllText));

        var blocks = CodeBlock().Matches(markdown).Select(m => Dedent(m.Groups[1].Value)).ToList();
        var regions = Region().Matches(source).ToDictionary(m => m.Groups[1].Value, m => Dedent(m.Groups[2].Value));

        Assert.Equal(regions.Count, blocks.Count);
        foreach (var (name, code) in regions)
        {
            Assert.True(blocks.Contains(code), $"docs/sdk.md lacks the '{name}' snippet exactly as in tests/Platform.Sdk.Tests/Docs:\n{code}");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Baas.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Baas.sln not found above the test binaries.");
    }

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r\n", "\n", StringComparison.Ordinal).Trim('\n').Split('\n').Select(l => l.TrimEnd()).ToList();
        var indent = lines.Where(l => l.Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l));
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex("// <doc:([a-z]+)>\\n(.*?)\\n[ ]*// </doc:\\1>", RegexOptions.Singleline)]
    private static partial Regex Region();
}
