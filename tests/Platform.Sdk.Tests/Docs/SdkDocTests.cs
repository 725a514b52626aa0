using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Platform.Sdk.Admin;
using Platform.Sdk.Auth;
using Platform.Sdk.Tests.Infrastructure;
using Platform.Server.Email;

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
    public async Task AuthSnippets_RunAgainstARealServer()
    {
        var baseUrl = fixture.BaseUrl.ToString();
        var apiKey = fixture.ServiceKey;
        var email = $"ada-{Guid.NewGuid():N}@example.com";
        var password = "correct-horse-battery";
        var guestEmail = $"guest-{Guid.NewGuid():N}@example.com";
        var guestPassword = "another-long-passw0rd";
        var sessionFile = Path.Combine(Path.GetTempPath(), "baas-sdk-docs", Guid.NewGuid().ToString("N"), "session.json");
        var outbox = fixture.Server.Services.GetRequiredService<EmailOutbox>();
        async Task<string> MailedTokenAsync(string subject)
        {
            var mail = (await outbox.ListAsync(EmailOutbox.MaxPageSize, null)).Items.First(m => m.To == email && m.Subject == subject);
            return mail.Body.Split('\n').Single(l => l.StartsWith("Token: ", StringComparison.Ordinal))["Token: ".Length..];
        }

        // <doc:signup>
        using var app = new BaasClient(new BaasClientOptions { BaseUrl = new Uri(baseUrl) });   // no service key in apps

        app.Auth.AuthStateChanged += (_, e) => Console.WriteLine($"{e.Change}: {e.User?.Email ?? "signed out"}");

        BaasUser user = await app.Auth.SignUpAsync(email, password, new JsonObject { ["name"] = "Ada" });
        // From now on every call of `app` sends the user's access token, refreshed automatically.

        await app.Auth.SignOutAsync();
        user = await app.Auth.SignInAsync(email, password);

        BaasUser? me = await app.Auth.GetUserAsync();                                  // fresh from the server
        await app.Auth.UpdateProfileAsync(new JsonObject { ["city"] = "London" });    // merge patch of user.Data
        // </doc:signup>
        Assert.Equal(email, user.Email);
        Assert.Equal(user.Id, me!.Id);
        Assert.Equal("London", app.Auth.CurrentUser!.Data["city"]!.GetValue<string>());

        // <doc:anonymous>
        using var guestApp = new BaasClient(new BaasClientOptions { BaseUrl = new Uri(baseUrl) });
        BaasUser guest = await guestApp.Auth.SignInAnonymouslyAsync();   // an account without email or password
        // ... later, the guest signs up and keeps the same id and data:
        BaasUser member = await guestApp.Auth.SignUpAsync(guestEmail, guestPassword);
        // </doc:anonymous>
        Assert.Equal(guest.Id, member.Id);

        // <doc:verify>
        await app.Auth.RequestEmailVerificationAsync();   // mails a token to the signed-in user
        // </doc:verify>
        var verifyToken = await MailedTokenAsync("Verify your email address");
        // <doc:confirm>
        BaasUser verified = await app.Auth.ConfirmEmailAsync(verifyToken);   // the token from the mail
        // verified.EmailVerified and app.Auth.CurrentUser.EmailVerified are now true
        // </doc:confirm>
        Assert.True(app.Auth.CurrentUser!.EmailVerified);

        // <doc:forgot>
        await app.Auth.SendPasswordResetAsync(email);   // succeeds whether or not the email has an account
        // </doc:forgot>
        var resetToken = await MailedTokenAsync("Reset your password");
        // <doc:reset>
        await app.Auth.ResetPasswordAsync(resetToken, "a-brand-new-passw0rd");   // ends every session of the user
        await app.Auth.SignInAsync(email, "a-brand-new-passw0rd");
        // </doc:reset>
        Assert.Equal(email, app.Auth.CurrentUser!.Email);

        try
        {
            using (var first = new BaasClient(new BaasClientOptions { BaseUrl = new Uri(baseUrl), TokenStore = new FileBaasTokenStore(sessionFile) }))
            {
                await first.Auth.SignInAsync(email, "a-brand-new-passw0rd");
            }

            // <doc:store>
            using var desktop = new BaasClient(new BaasClientOptions
            {
                BaseUrl = new Uri(baseUrl),
                TokenStore = new FileBaasTokenStore(sessionFile),   // e.g. under LocalApplicationData: signed in across runs
            });

            if (await desktop.Auth.RestoreAsync() is null)
            {
                await desktop.Auth.SignInAsync(email, password);   // no stored session: ask the user
            }
            // </doc:store>
            Assert.Equal(user.Id, desktop.Auth.CurrentUser!.Id);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(sessionFile)!, recursive: true);
        }

        var emails = new List<string?>();
        // <doc:users>
        using var backend = new BaasClient(new BaasClientOptions { BaseUrl = new Uri(baseUrl), ApiKey = apiKey });

        BaasUser bob = await backend.Admin.Users.CreateAsync(new NewUser
        {
            Email = "bob@example.com",
            Password = "bobs-long-passw0rd",
            Roles = ["editor"],
        });
        await backend.Admin.Users.UpdateAsync(bob.Id, new UserUpdate { Roles = ["editor", "moderator"] });

        UserPage page = await backend.Admin.Users.ListAsync(search: "bob@", limit: 20);   // email prefix or id
        await foreach (BaasUser each in backend.Admin.Users.AsAsyncEnumerable())
        {
            emails.Add(each.Email);
        }

        await backend.Admin.Users.UpdateAsync(bob.Id, new UserUpdate { Disabled = true });   // ends bob's sessions
        bool removed = await backend.Admin.Users.DeleteAsync(bob.Id);
        // </doc:users>
        Assert.Equal(["editor", "moderator"], Assert.Single(page.Items).Roles);
        Assert.Contains("bob@example.com", emails);
        Assert.True(removed);
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
