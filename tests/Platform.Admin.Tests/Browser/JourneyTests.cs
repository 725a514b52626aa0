using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Admin.Tests.Browser;

/// <summary>The main journey of each page, against the real server with the seeded admin.</summary>
[Collection(BrowserCollection.Name)]
public sealed class JourneyTests(BrowserFixture browser, DashboardServer server) : BrowserTest(browser), IClassFixture<DashboardServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignIn_RejectsAWrongPassword_ThenSignsIn()
    {
        await Page.GotoAsync(server.AdminUrl.ToString());
        await Expect(Heading(Page)).ToHaveTextAsync("Sign in");
        await Expect(Page).ToHaveTitleAsync("Sign in · Baas admin");
        await ScanAsync("signin");

        await FillAsync(Page.Locator("#signin-email"), BaasTestServer.AdminEmail);
        await FillAsync(Page.Locator("#signin-password"), "wrong-password");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The email or password is wrong.");

        await FillAsync(Page.Locator("#signin-password"), BaasTestServer.AdminPassword);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Overview");
        await Expect(Page.GetByTestId("signed-in-as")).ToHaveTextAsync(BaasTestServer.AdminEmail);
        await AssertNoTokenStoredAsync();
    }

    [Fact]
    public async Task Overview_ShowsACollectionWithItsDocumentCount()
    {
        var name = "dash" + Guid.NewGuid().ToString("N")[..10];
        var failing = "fn" + Guid.NewGuid().ToString("N")[..10];
        using (var admin = await server.Server.CreateAdminClientAsync(Ct))
        {
            (await admin.PostAsJsonAsync("/api/admin/collections", new { name }, Ct)).EnsureSuccessStatusCode();
            for (var i = 0; i < 3; i++)
            {
                (await admin.PostAsJsonAsync($"/api/collections/{name}/documents", new { title = $"todo {i}" }, Ct)).EnsureSuccessStatusCode();
            }

            // A function whose run fails, for the recent failures.
            (await admin.PostAsJsonAsync("/api/admin/functions", new { name = failing, code = "export default async function (ctx) {\n  throw new Error('overview boom');\n}" }, Ct)).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync($"/api/admin/functions/{failing}/run", new { }, Ct)).EnsureSuccessStatusCode();
        }

        await SignInAsync(server.AdminUrl);

        await Expect(Heading(Page)).ToHaveTextAsync("Overview");
        var row = Page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row).ToContainTextAsync("3");
        await Expect(Page.GetByTestId("stat-health")).ToContainTextAsync("Ready");
        var failure = Page.GetByTestId("failure-row").Filter(new() { HasText = failing });
        await Expect(failure).ToContainTextAsync("failed");
        await Expect(failure).ToContainTextAsync("overview boom");
        await ScanAsync("overview");

        // Keyboard: the skip link is shown when focused and moves focus to the content.
        var skip = Page.GetByRole(AriaRole.Link, new() { Name = "Skip to main content" });
        await skip.FocusAsync();
        await Expect(skip).ToBeInViewportAsync();
        await Page.Keyboard.PressAsync("Enter");
        await Expect(Page.Locator("#main-content")).ToBeFocusedAsync();

        // Dark mode, remembered in localStorage (and nothing else is).
        await Page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark mode" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Switch to light mode" })).ToBeVisibleAsync();
        Assert.Equal("dark", await Page.EvaluateAsync<string>("() => localStorage.getItem('baas-admin-theme')"));
        await ScanAsync("overview-dark");
        await AssertNoTokenStoredAsync();

        // A failure's link opens the run on its function's page.
        await failure.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync($"Function {failing}");
        await Expect(Page.GetByTestId("linked-run").GetByTestId("run-status")).ToHaveTextAsync("failed");
        await Expect(Page.GetByTestId("linked-run").GetByTestId("run-error")).ToContainTextAsync("overview boom");
    }

    [Fact]
    public async Task Admins_CreatesAnAdmin_WhoCanSignIn()
    {
        var email = $"admin-{Guid.NewGuid():N}@test.local";
        await SignInAsync(server.AdminUrl);

        await Page.GetByRole(AriaRole.Link, new() { Name = "Admins" }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Admins");
        await Expect(Heading(Page)).ToBeFocusedAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/admin/admins$"));
        await Expect(Page.GetByTestId("admins-table")).ToContainTextAsync(BaasTestServer.AdminEmail);

        await FillAsync(Page.Locator("#new-admin-email"), email);
        await FillAsync(Page.Locator("#new-admin-password"), "Another-Passw0rd");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Add admin" }).ClickAsync();
        await Expect(Page.GetByTestId("admins-table")).ToContainTextAsync(email);
        await ScanAsync("admins");

        // Disabled after a confirmation: the new admin cannot sign in; enabled again, it can.
        var row = Page.GetByTestId("admin-row").Filter(new() { HasText = email });
        await row.GetByRole(AriaRole.Button, new() { Name = "Disable " + email, Exact = true }).ClickAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Disable now: " + email, Exact = true }).ClickAsync();
        await Expect(row).ToContainTextAsync("Disabled");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Sign in");
        await FillAsync(Page.Locator("#signin-email"), email);
        await FillAsync(Page.Locator("#signin-password"), "Another-Passw0rd");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("disabled");

        await SignInAsync(server.AdminUrl, path: "admins");
        await row.GetByRole(AriaRole.Button, new() { Name = "Enable " + email, Exact = true }).ClickAsync();
        await Expect(row).ToContainTextAsync("Active");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await SignInAsync(server.AdminUrl, email, "Another-Passw0rd");
    }

    [Fact]
    public async Task Outbox_ListsAMessage()
    {
        var email = $"user-{Guid.NewGuid():N}@test.local";
        using (var anonymous = server.Server.CreateClient())
        {
            (await anonymous.PostAsJsonAsync("/api/auth/signup", new { email, password = "User-Passw0rd!" }, Ct)).EnsureSuccessStatusCode();
            (await anonymous.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct)).EnsureSuccessStatusCode();
        }

        await SignInAsync(server.AdminUrl);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Outbox" }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Outbox");

        var message = Page.GetByTestId("outbox-list").GetByText($"To {email}").First;
        await Expect(message).ToBeVisibleAsync();
        await ScanAsync("outbox");
    }

    [Fact]
    public async Task SignOut_ClearsTheSession_AndBackShowsNoData()
    {
        string? authorization = null;
        Page.Request += (_, request) => authorization = request.Headers.GetValueOrDefault("authorization") ?? authorization;
        await SignInAsync(server.AdminUrl);
        await Expect(Page.GetByTestId("stat-collections")).ToBeVisibleAsync();
        Assert.NotNull(authorization);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Outbox" }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Outbox");

        // The tab leaves the data at once and then tells the server (POST /api/admin/auth/logout).
        var logout = await Page.RunAndWaitForResponseAsync(
            () => Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync(),
            r => r.Url.EndsWith("/api/admin/auth/logout", StringComparison.Ordinal));
        Assert.Equal(204, logout.Status);
        await Expect(Heading(Page)).ToHaveTextAsync("Sign in");
        await Expect(Page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);

        await Page.GoBackAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Sign in");
        await Expect(Page.GetByTestId("stat-collections")).ToHaveCountAsync(0);
        await Expect(Page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        await AssertNoTokenStoredAsync();

        // The token the tab used is ended on the server too, so a copy of it (a proxy log, a stolen heap) is useless.
        var admins = new Uri(server.AdminUrl, "/api/admin/admins").ToString();
        var response = await Page.APIRequest.GetAsync(admins, new() { Headers = new Dictionary<string, string> { ["Authorization"] = authorization! } });
        Assert.Equal(401, response.Status);
    }

    [Fact]
    public async Task UnknownPage_SaysSo_WithoutData()
    {
        await Page.GotoAsync(new Uri(server.AdminUrl, "no-such-page").ToString());
        await Expect(Heading(Page)).ToHaveTextAsync("Page not found");
        await Expect(Page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        // The link back sits in a sentence: it must be told apart by more than its colour.
        await ScanAsync("not-found", docsImage: false);
    }

    [Fact]
    public async Task DarkMode_EveryPage_ScansClean()
    {
        var name = "dark" + Guid.NewGuid().ToString("N")[..10];
        using (var admin = await server.Server.CreateAdminClientAsync(Ct))
        {
            (await admin.PostAsJsonAsync("/api/admin/collections", new { name }, Ct)).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync($"/api/collections/{name}/documents", new { title = "dark" }, Ct)).EnsureSuccessStatusCode();
        }

        await SignInAsync(server.AdminUrl);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark mode" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Switch to light mode" })).ToBeVisibleAsync();

        // Every page of the navigation: filled buttons, outlined error buttons and alerts are drawn in each mode's palette.
        string[] pages = ["Collections", "Documents", "Realtime", "Functions", "Users", "API keys", "Audit log", "Settings", "Admins", "Outbox"];
        foreach (var page in pages)
        {
            await Page.GetByRole(AriaRole.Navigation, new() { Name = "Dashboard pages" }).GetByRole(AriaRole.Link, new() { Name = page, Exact = true }).ClickAsync();
            await Expect(Heading(Page)).ToBeFocusedAsync();
            await ScanAsync("dark-" + page.Replace(' ', '-').ToLowerInvariant(), docsImage: false);
        }

        // A collection's rules (filled primary and secondary buttons), a document open (filled and outlined error buttons).
        var nav = Page.GetByRole(AriaRole.Navigation, new() { Name = "Dashboard pages" });
        await nav.GetByRole(AriaRole.Link, new() { Name = "Collections", Exact = true }).ClickAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync($"Collection {name}");
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Rules" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Tab, new() { Name = "Rules" })).ToHaveAttributeAsync("aria-selected", "true");
        await ScanAsync("dark-collection-rules", docsImage: false);
        await nav.GetByRole(AriaRole.Link, new() { Name = "Documents", Exact = true }).ClickAsync();
        await Page.Locator("#documents-collection").SelectOptionAsync(name);
        await Page.GetByTestId("documents-row").First.GetByRole(AriaRole.Button).ClickAsync();
        await Page.GetByTestId("documents-delete").ClickAsync();
        await Expect(Page.GetByTestId("documents-delete-confirm")).ToBeVisibleAsync();
        await ScanAsync("dark-document-delete", docsImage: false);

        // The theme is remembered across a reload (which signs out: the token lives in the tab's memory only).
        await Page.GotoAsync(new Uri(server.AdminUrl, "no-such-page").ToString());
        await Expect(Heading(Page)).ToHaveTextAsync("Page not found");
        await ScanAsync("dark-not-found", docsImage: false);
    }
}

/// <summary>An expired admin token: back to sign-in, then back to the same page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SessionExpiryTests(BrowserFixture browser, DashboardServer server) : BrowserTest(browser), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task ExpiredToken_SendsToSignIn_ThenBackToTheSamePage()
    {
        await SignInAsync(server.AdminUrl, path: "outbox");
        await Expect(Heading(Page)).ToHaveTextAsync("Outbox");
        await Expect(Page).ToHaveURLAsync(new Regex("/admin/outbox$"));

        // Past the admin token's lifetime (8 hours by default) on the server's clock.
        server.Time.Advance(TimeSpan.FromHours(9));
        await Page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();

        await Expect(Heading(Page)).ToHaveTextAsync("Sign in");
        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Your session expired" })).ToBeVisibleAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/admin/signin\\?returnUrl=outbox&expired=true$"));
        await ScanAsync("signin-expired");

        await FillAsync(Page.Locator("#signin-email"), BaasTestServer.AdminEmail);
        await FillAsync(Page.Locator("#signin-password"), BaasTestServer.AdminPassword);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();

        await Expect(Heading(Page)).ToHaveTextAsync("Outbox");
        await Expect(Page).ToHaveURLAsync(new Regex("/admin/outbox$"));
        await AssertNoTokenStoredAsync();
    }
}

/// <summary>First start: the setup link creates the first admin and signs in.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SetupJourneyTests(BrowserFixture browser, FreshDashboardServer server) : BrowserTest(browser), IClassFixture<FreshDashboardServer>
{
    [Fact]
    public async Task SetupLink_CreatesTheFirstAdmin_AndSignsIn()
    {
        var token = server.SetupToken;
        Assert.NotNull(token);

        await Page.GotoAsync(new Uri(server.AdminUrl, "setup?token=" + Uri.EscapeDataString(token)).ToString());
        await Expect(Heading(Page)).ToHaveTextAsync("Create the first admin");
        // The token leaves the address bar (and the history entry) at once.
        await Expect(Page).ToHaveURLAsync(new Regex("/admin/setup$"));
        await ScanAsync("setup");

        await FillAsync(Page.Locator("#setup-email"), "first@test.local");
        await FillAsync(Page.Locator("#setup-password"), "First-Passw0rd!");
        await FillAsync(Page.Locator("#setup-confirm"), "First-Passw0rd!");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create admin and sign in" }).ClickAsync();

        await Expect(Heading(Page)).ToHaveTextAsync("Overview");
        await Expect(Page.GetByTestId("signed-in-as")).ToHaveTextAsync("first@test.local");
        Assert.Null(server.SetupToken);
        await AssertNoTokenStoredAsync();
    }
}
