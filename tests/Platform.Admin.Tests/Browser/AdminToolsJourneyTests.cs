using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Admin.Tests.Browser;

/// <summary>Users, API keys, settings, audit log and realtime pages, each against the real server.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminToolsJourneyTests(BrowserFixture browser, DashboardServer server) : BrowserTest(browser), IClassFixture<DashboardServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ILocator Button(string name) => Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    [Fact]
    public async Task Users_CreateSearchEditDisableAndDelete()
    {
        var email = $"user-{Guid.NewGuid():N}@test.local";
        await SignInAsync(server.AdminUrl, path: "users");
        await Expect(Heading(Page)).ToHaveTextAsync("Users");

        await FillAsync(Page.Locator("#new-user-email"), email);
        await FillAsync(Page.Locator("#new-user-password"), "User-Passw0rd!");
        await FillAsync(Page.Locator("#new-user-roles"), "reader");
        await Button("Create user").ClickAsync();
        await Expect(Page.GetByTestId("user-editor")).ToContainTextAsync(email);

        // Search by keyboard: Enter in the field submits.
        await FillAsync(Page.Locator("#users-search"), email[..12]);
        await Page.Locator("#users-search").PressAsync("Enter");
        await Expect(Page.GetByTestId("user-row")).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("user-row")).ToContainTextAsync("reader");

        await FillAsync(Page.Locator("#user-roles"), "reader, editor");
        await FillAsync(Page.Locator("#user-data"), """{"plan": "pro"}""");
        await Button("Save roles and data").ClickAsync();
        await Expect(Page.GetByTestId("user-row")).ToContainTextAsync("reader, editor");

        // The user signs in elsewhere; the admin mails them a reset link, then ends their sessions.
        string refreshToken;
        using (var app = server.Server.CreateClient())
        {
            var login = await (await app.PostAsJsonAsync("/api/auth/login", new { email, password = "User-Passw0rd!" }, Ct)).EnsureSuccessStatusCode()
                .Content.ReadFromJsonAsync<JsonObject>(Ct);
            refreshToken = login!["refreshToken"]!.GetValue<string>();
        }

        await Button("Send password reset").ClickAsync();
        await Expect(Page.Locator(".mud-snackbar").Filter(new() { HasText = $"A password-reset link was mailed to {email}." })).ToBeVisibleAsync();
        using (var admin = await server.Server.CreateAdminClientAsync(Ct))
        {
            var outbox = await admin.GetFromJsonAsync<JsonObject>("/api/admin/outbox", Ct);
            Assert.Contains(outbox!["items"]!.AsArray(), m => m!["to"]!.GetValue<string>() == email && m["subject"]!.GetValue<string>() == "Reset your password");
        }

        await Button("End sessions…").ClickAsync();
        await Expect(Page.GetByTestId("user-end-sessions-confirm")).ToBeVisibleAsync();
        await Button("End sessions").ClickAsync();
        await Expect(Page.Locator(".mud-snackbar").Filter(new() { HasText = "Ended every session of" })).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("user-end-sessions-confirm")).ToHaveCountAsync(0);
        using (var app = server.Server.CreateClient())
        {
            var refresh = await app.PostAsJsonAsync("/api/auth/refresh", new { refreshToken }, Ct);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refresh.StatusCode);
        }

        await Page.GetByTestId("user-toggle-disabled").ClickAsync();
        await Expect(Page.GetByTestId("user-row")).ToContainTextAsync("Disabled");
        // Scan once the confirmations have faded out (a fading snackbar reads as low contrast).
        await Expect(Page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
        await ScanAsync("users");

        using (var admin = await server.Server.CreateAdminClientAsync(Ct))
        {
            var page = await admin.GetFromJsonAsync<JsonObject>("/api/admin/users?search=" + Uri.EscapeDataString(email), Ct);
            var user = page!["items"]!.AsArray().Single()!;
            Assert.True(user["disabled"]!.GetValue<bool>());
            Assert.Equal("pro", user["data"]!["plan"]!.GetValue<string>());
        }

        await Button("Delete…").ClickAsync();
        await Expect(Page.GetByTestId("user-delete-confirm")).ToBeVisibleAsync();
        await Button("Delete user").ClickAsync();
        await Expect(Page.GetByTestId("user-row")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task ApiKeys_CreateShowsTheKeyOnce_ThenRevoke()
    {
        var name = "journey-" + Guid.NewGuid().ToString("N")[..8];
        await SignInAsync(server.AdminUrl, path: "apikeys");
        await Expect(Heading(Page)).ToHaveTextAsync("API keys");

        await FillAsync(Page.Locator("#new-apikey-name"), name);
        await Button("Create key").ClickAsync();
        await Expect(Page.GetByTestId("apikey-created")).ToContainTextAsync("will not be shown again");
        var key = (await Page.GetByTestId("apikey-secret").TextContentAsync())!.Trim();
        Assert.NotEmpty(key);
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row).ToContainTextAsync("never");
        await ScanAsync("apikeys");

        await Button("I have saved it").ClickAsync();
        await Expect(Page.GetByTestId("apikey-created")).ToHaveCountAsync(0);
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke " + name }).ClickAsync();
        // The confirmation's accessible name starts with its visible text (axe: label-content-name-mismatch).
        await Expect(Button("Revoke now: " + name)).ToBeVisibleAsync();
        await ScanAsync("apikeys-revoke", docsImage: false);
        await Button("Revoke now: " + name).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Settings_ShowsTheEffectiveSettings_Filtered()
    {
        await SignInAsync(server.AdminUrl, path: "settings");
        await Expect(Heading(Page)).ToHaveTextAsync("Settings");
        await Expect(Page.GetByTestId("settings-table")).ToBeVisibleAsync();

        await FillAsync(Page.Locator("#settings-search"), "AdminTokenLifetime");
        await Expect(Page.GetByTestId("settings-table").GetByRole(AriaRole.Row)).ToHaveCountAsync(2);
        await Expect(Page.GetByTestId("settings-table")).ToContainTextAsync("Baas:Auth:AdminTokenLifetime");
        await ScanAsync("settings");
    }

    [Fact]
    public async Task Audit_FiltersByTarget_AndShowsWhatChanged()
    {
        var name = "audit" + Guid.NewGuid().ToString("N")[..10];
        using (var admin = await server.Server.CreateAdminClientAsync(Ct))
        {
            (await admin.PostAsJsonAsync("/api/admin/collections", new { name }, Ct)).EnsureSuccessStatusCode();
        }

        await SignInAsync(server.AdminUrl, path: "audit");
        await Expect(Heading(Page)).ToHaveTextAsync("Audit log");
        await FillAsync(Page.Locator("#audit-target"), "collections/" + name);
        await Button("Filter").ClickAsync();
        var list = Page.GetByTestId("audit-list");
        await Expect(list).ToContainTextAsync("collections.create");
        await Expect(list).ToContainTextAsync(BaasTestServer.AdminEmail);

        await list.GetByText("collections.create").First.ClickAsync();
        await Expect(Page.GetByTestId("audit-diff").Locator("tr[data-change=added]").First).ToBeVisibleAsync();
        await ScanAsync("audit");
    }

    [Fact]
    public async Task Realtime_WatchesACollection_AndHighlightsChangedFields()
    {
        // "a0" sorts before the other tests' collections, so it is the one selected at first.
        var name = "a0rt" + Guid.NewGuid().ToString("N")[..10];
        using var admin = await server.Server.CreateAdminClientAsync(Ct);
        (await admin.PostAsJsonAsync("/api/admin/collections", new { name }, Ct)).EnsureSuccessStatusCode();

        var console = new List<string>();
        Page.Console += (_, message) => { lock (console) { console.Add(message.Type + ": " + message.Text); } };
        Page.WebSocket += (_, socket) =>
        {
            lock (console)
            {
                console.Add("websocket: " + socket.Url);
            }

            socket.FrameSent += (_, frame) => { lock (console) { console.Add("sent: " + frame.Text); } };
            socket.FrameReceived += (_, frame) => { lock (console) { console.Add("received: " + frame.Text); } };
            socket.Close += (_, _) => { lock (console) { console.Add("websocket closed"); } };
        };
        Page.RequestFailed += (_, request) => { lock (console) { console.Add("failed: " + request.Url + " " + request.Failure); } };
        Page.Response += (_, response) => { lock (console) { console.Add("response: " + response.Status + " " + response.Url); } };
        await SignInAsync(server.AdminUrl, path: "realtime");
        await Expect(Heading(Page)).ToHaveTextAsync("Realtime");
        await Expect(Page.GetByTestId("realtime-totals")).ToBeVisibleAsync();
        await Button("Watch").ClickAsync();
        try
        {
            await Expect(Page.GetByTestId("realtime-status")).ToHaveTextAsync($"Watching {name}: live.");
        }
        catch (PlaywrightException ex)
        {
            lock (console)
            {
                throw new InvalidOperationException(ex.Message + "\nBrowser console:\n" + string.Join('\n', console), ex);
            }
        }
        await Expect(Page.GetByTestId("realtime-collections")).ToContainTextAsync(name);

        var created = await (await admin.PostAsJsonAsync($"/api/collections/{name}/documents", new { title = "first", done = false }, Ct)).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<JsonObject>(Ct);
        var id = created!["_id"]!.GetValue<string>();
        var events = Page.GetByTestId("realtime-events");
        await Expect(events).ToContainTextAsync("Added");

        (await admin.PatchAsJsonAsync($"/api/collections/{name}/documents/{id}", new { done = true }, Ct)).EnsureSuccessStatusCode();
        await Expect(events).ToContainTextAsync("Modified");
        await Expect(Page.GetByTestId("realtime-diff").First.Locator("tr[data-change=changed]").Filter(new() { HasText = "done" })).ToBeVisibleAsync();
        await ScanAsync("realtime");

        await Page.GetByTestId("realtime-pause").ClickAsync();
        (await admin.PatchAsJsonAsync($"/api/collections/{name}/documents/{id}", new { done = false }, Ct)).EnsureSuccessStatusCode();
        await Expect(Page.GetByTestId("realtime-status")).ToHaveTextAsync("Paused: 1 change(s) not shown.");
        await Page.GetByTestId("realtime-clear").ClickAsync();
        await Expect(events).ToHaveCountAsync(0);
        await Button("Stop").ClickAsync();
        await Expect(Page.GetByTestId("realtime-status")).ToHaveTextAsync("Not watching.");
    }

    /// <summary>
    /// DESIGN §10: the admin token never appears in a URL. A browser's websocket cannot carry a header, so the dashboard's
    /// realtime connection (through the SDK) opens with a one-use ticket in its URL instead of the token.
    /// </summary>
    [Fact]
    public async Task Realtime_Inspector_KeepsTheAdminTokenOutOfEveryUrl()
    {
        // Sorted last, so the other realtime journey still finds its own collection selected first; this one watches
        // whichever is selected first, and learns its name from the status line.
        var name = "zztk" + Guid.NewGuid().ToString("N")[..10];
        using var admin = await server.Server.CreateAdminClientAsync(Ct);
        (await admin.PostAsJsonAsync("/api/admin/collections", new { name }, Ct)).EnsureSuccessStatusCode();

        var urls = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var sockets = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var token = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Page.Request += (_, request) => urls.Enqueue(request.Url);
        Page.WebSocket += (_, socket) => sockets.Enqueue(socket.Url);
        Page.Response += async (_, response) =>
        {
            if (response.Url.EndsWith("/api/admin/auth/login", StringComparison.Ordinal) && response.Ok)
            {
                token.TrySetResult((await response.JsonAsync())!.Value.GetProperty("accessToken").GetString()!);
            }
        };

        await SignInAsync(server.AdminUrl, path: "realtime");
        var adminToken = await token.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await Expect(Heading(Page)).ToHaveTextAsync("Realtime");
        await Button("Watch").ClickAsync();
        var status = Page.GetByTestId("realtime-status");
        await Expect(status).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Watching .+: live\\.$"));
        var watched = System.Text.RegularExpressions.Regex.Match((await status.TextContentAsync())!.Trim(), "^Watching (.+): live\\.$").Groups[1].Value;

        (await admin.PostAsJsonAsync($"/api/collections/{watched}/documents", new { title = "live" }, Ct)).EnsureSuccessStatusCode();
        await Expect(Page.GetByTestId("realtime-events")).ToContainTextAsync("Added");

        Assert.DoesNotContain(sockets.Concat(urls), url => url.Contains(adminToken, StringComparison.Ordinal) || url.Contains("access_token=eyJ", StringComparison.Ordinal));
        Assert.Contains(sockets, url => url.Contains("/realtime?", StringComparison.Ordinal) && url.Contains("access_token=baas_rt_", StringComparison.Ordinal));
        Assert.Contains(urls, url => url.EndsWith("/api/realtime/ticket", StringComparison.Ordinal));
    }
}
