using System.Net;
using System.Text.Json.Nodes;
using Bunit;
using Platform.Admin.Layout;
using Platform.Admin.Pages;
using Platform.Admin.Services;
using Microsoft.Extensions.DependencyInjection;
using Platform.Admin.Tests.Infrastructure;

namespace Platform.Admin.Tests.Pages;

/// <summary>The pages in isolation, over the real services and SDK and a stubbed API.</summary>
public sealed class PageTests : DashboardTestContext
{
    [Fact]
    public void SignIn_WithWrongPassword_ShowsTheServersMessage_AndStaysSignedOut()
    {
        Api.On(HttpMethod.Post, "/api/admin/auth/login", HttpStatusCode.Unauthorized, StubApi.Problem(401, "invalid_credentials", "The email or password is wrong."));
        var page = Render<SignIn>();

        page.Find("#signin-email").Change("admin@test.local");
        page.Find("#signin-password").Change("wrong-password");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Contains("The email or password is wrong.", page.Find("[role=alert]").TextContent, StringComparison.Ordinal));
        Assert.False(Session.IsSignedIn);
    }

    [Fact]
    public void SignIn_GoesBackToTheReturnUrl()
    {
        Api.WithAdminLogin();
        Navigation.NavigateTo("signin?returnUrl=outbox&expired=true");
        var page = Render<SignIn>();
        Assert.Contains("Your session expired", page.Markup, StringComparison.Ordinal);

        page.Find("#signin-email").Change("admin@test.local");
        page.Find("#signin-password").Change("Admin-Passw0rd!");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Equal("http://localhost/outbox", Navigation.Uri));
        Assert.True(Session.IsSignedIn);
        var login = Assert.Single(Api.Requests);
        Assert.Null(login.Authorization);
    }

    [Fact]
    public void SignIn_IgnoresAReturnUrlOutsideTheDashboard()
    {
        Api.WithAdminLogin();
        Navigation.NavigateTo("signin?returnUrl=" + Uri.EscapeDataString("https://evil.example/"));
        var page = Render<SignIn>();

        page.Find("#signin-email").Change("admin@test.local");
        page.Find("#signin-password").Change("Admin-Passw0rd!");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Equal("http://localhost/", Navigation.Uri));
    }

    [Fact]
    public void Setup_TakesTheTokenOutOfTheAddressBar_ThenPostsIt()
    {
        Api.On(HttpMethod.Post, "/api/admin/setup", HttpStatusCode.OK, new JsonObject
        {
            ["admin"] = new JsonObject { ["id"] = "a1", ["email"] = "first@test.local" },
            ["accessToken"] = "first-token",
            ["expiresIn"] = 28800,
        });
        Navigation.NavigateTo("setup?token=s3cret");
        var page = Render<Setup>();

        Assert.Equal("http://localhost/setup", Navigation.Uri);
        page.Find("#setup-email").Change("first@test.local");
        page.Find("#setup-password").Change("First-Passw0rd");
        page.Find("#setup-confirm").Change("First-Passw0rd");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Equal("http://localhost/", Navigation.Uri));
        var setup = Assert.Single(Api.Requests);
        Assert.Equal("s3cret", JsonNode.Parse(setup.Body!)!["token"]!.GetValue<string>());
        Assert.Equal("first@test.local", Session.Admin!.Email);
    }

    [Fact]
    public void Setup_WithDifferentPasswords_PostsNothing()
    {
        Navigation.NavigateTo("setup?token=s3cret");
        var page = Render<Setup>();

        page.Find("#setup-email").Change("first@test.local");
        page.Find("#setup-password").Change("First-Passw0rd");
        page.Find("#setup-confirm").Change("Other-Passw0rd");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Contains("The passwords differ.", page.Markup, StringComparison.Ordinal));
        Assert.Empty(Api.Requests);
    }

    [Fact]
    public void Setup_WhenAnAdminExists_OffersSignIn()
    {
        Api.On(HttpMethod.Post, "/api/admin/setup", HttpStatusCode.Conflict, StubApi.Problem(409, "setup_completed", "An admin already exists; sign in instead."));
        Navigation.NavigateTo("setup?token=s3cret");
        var page = Render<Setup>();

        page.Find("#setup-email").Change("first@test.local");
        page.Find("#setup-password").Change("First-Passw0rd");
        page.Find("#setup-confirm").Change("First-Passw0rd");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Contains("An admin already exists", page.Markup, StringComparison.Ordinal));
        Assert.False(Session.IsSignedIn);
    }

    [Fact]
    public void Setup_WithoutAToken_ExplainsWhereTheLinkIs()
    {
        var page = Render<Setup>();

        Assert.Contains("one-time setup link", page.Markup, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("form"));
    }

    [Fact]
    public async Task Overview_ShowsCollectionsWithCounts()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/health/ready", HttpStatusCode.OK)
            .On(HttpMethod.Get, "/api/admin/overview", HttpStatusCode.OK, JsonNode.Parse("""{"version":"1.2.3","storageProvider":"sqlite","ready":true,"health":"healthy"}"""))
            .On(HttpMethod.Get, "/api/admin/realtime", HttpStatusCode.OK, JsonNode.Parse("""{"connections":2,"subscriptions":3,"collections":[]}"""))
            .On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[{"name":"todos"}]}"""))
            .On(HttpMethod.Post, "/api/collections/todos/query", HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":42}"""))
            .On(HttpMethod.Get, "/api/admin/users?limit=1000", HttpStatusCode.OK, JsonNode.Parse("""{"items":[{"id":"u1","email":"a@x.io"}]}"""));

        var page = Render<Overview>();

        page.WaitForAssertion(() => Assert.Contains("todos", page.Find("table").TextContent, StringComparison.Ordinal));
        Assert.Contains("42", page.Find("table").TextContent, StringComparison.Ordinal);
        Assert.Contains("Ready", page.Find("[data-testid=stat-health]").TextContent, StringComparison.Ordinal);
        Assert.Contains("1", page.Find("[data-testid=stat-users]").TextContent, StringComparison.Ordinal);
        Assert.Contains("SQLite", page.Find("[data-testid=stat-storage]").TextContent, StringComparison.Ordinal);
        Assert.Contains("1.2.3", page.Find("[data-testid=stat-version]").TextContent, StringComparison.Ordinal);
        Assert.Contains("2", page.Find("[data-testid=stat-realtime]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overview_ARefusedCount_IsShownInItsRow_AndTheTotalIsALowerBound_NotAPageError()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/health/ready", HttpStatusCode.OK)
            .On(HttpMethod.Get, "/api/admin/overview", HttpStatusCode.OK, JsonNode.Parse("""{"version":"1.2.3","storageProvider":"sqlite","ready":true,"health":"healthy"}"""))
            .On(HttpMethod.Get, "/api/admin/realtime", HttpStatusCode.OK, JsonNode.Parse("""{"connections":0,"subscriptions":0,"collections":[]}"""))
            .On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[{"name":"huge"},{"name":"todos"}]}"""))
            .On(HttpMethod.Post, "/api/collections/huge/query", HttpStatusCode.UnprocessableEntity, StubApi.Problem(422, "query_timeout", "The query ran past its time budget of 5000 ms and was stopped."))
            .On(HttpMethod.Post, "/api/collections/todos/query", HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":1234}"""))
            .On(HttpMethod.Get, "/api/admin/users?limit=1000", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""));

        var page = Render<Overview>();

        page.WaitForAssertion(() => Assert.Equal("1,234", page.Find("[data-testid=overview-count-todos]").TextContent.Trim()));
        Assert.Contains("not counted: took longer than the server's query time limit", page.Find("[data-testid=overview-count-huge]").TextContent, StringComparison.Ordinal);
        Assert.Contains("time budget of 5000 ms", page.Find("[data-testid=overview-count-huge] .count-refused").GetAttribute("title"), StringComparison.Ordinal);
        Assert.Contains("1,234+", page.Find("[data-testid=stat-documents]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Ready", page.Find("[data-testid=stat-health]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[role=alert]"));
    }

    [Fact]
    public async Task Overview_ShowsTheFunctionCount_AndRecentFailures_LinkingToTheRun()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/health/ready", HttpStatusCode.OK)
            .On(HttpMethod.Get, "/api/admin/overview", HttpStatusCode.OK, JsonNode.Parse("""
                {"version":"1.2.3","storageProvider":"sqlite","ready":true,"health":"healthy","functions":4,"recentFailures":[
                  {"id":"r2","function":"send mail","version":3,"trigger":"schedule","status":"timedOut","startedAt":"2026-01-02T03:04:05Z","error":{"message":"The function ran longer than its 1 s budget.","line":null,"column":null},"deadLetter":true},
                  {"id":"r1","function":"hello","version":1,"trigger":"manual","status":"failed","startedAt":"2026-01-01T00:00:00Z","error":{"message":"TypeError: boom","line":2,"column":9},"deadLetter":false}]}
                """))
            .On(HttpMethod.Get, "/api/admin/realtime", HttpStatusCode.OK, JsonNode.Parse("""{"connections":0,"subscriptions":0,"collections":[]}"""))
            .On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""))
            .On(HttpMethod.Get, "/api/admin/users?limit=1000", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""));

        var page = Render<Overview>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=failure-row]").Count));
        Assert.Contains("4", page.Find("[data-testid=stat-functions]").TextContent, StringComparison.Ordinal);
        var rows = page.FindAll("[data-testid=failure-row]");
        Assert.Contains("send mail", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("2026-01-02 03:04:05 UTC", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("timedOut (dead letter)", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("functions/send%20mail?run=r2", rows[0].QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("failed", rows[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("line 2, column 9: TypeError: boom", rows[1].TextContent, StringComparison.Ordinal);
        Assert.Equal("functions/hello?run=r1", rows[1].QuerySelector("a")!.GetAttribute("href"));
    }

    [Fact]
    public async Task Overview_WithoutFailures_SaysSo()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/health/ready", HttpStatusCode.OK)
            .On(HttpMethod.Get, "/api/admin/overview", HttpStatusCode.OK, JsonNode.Parse("""{"version":"1.2.3","storageProvider":"sqlite","ready":true,"health":"healthy","functions":0,"recentFailures":[]}"""))
            .On(HttpMethod.Get, "/api/admin/realtime", HttpStatusCode.OK, JsonNode.Parse("""{"connections":0,"subscriptions":0,"collections":[]}"""))
            .On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""))
            .On(HttpMethod.Get, "/api/admin/users?limit=1000", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""));

        var page = Render<Overview>();

        page.WaitForAssertion(() => Assert.Contains("No failed or timed-out function runs", page.Find("[data-testid=failures-empty]").TextContent, StringComparison.Ordinal));
        Assert.Contains("0", page.Find("[data-testid=stat-functions]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overview_ShowsAnUnreachableServer_AsAnError()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/health/ready", _ => throw new HttpRequestException("Connection refused"));

        var page = Render<Overview>();

        page.WaitForAssertion(() => Assert.Contains("could not be reached", page.Find("[role=alert]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Admins_ListsAndCreates()
    {
        await SignInAsync();
        var admins = new JsonArray(new JsonObject { ["id"] = "a1", ["email"] = "admin@test.local", ["createdAt"] = "2026-01-02T03:04:05Z" });
        Api.On(HttpMethod.Get, "/api/admin/admins", _ => (HttpStatusCode.OK, new JsonObject { ["items"] = admins.DeepClone() }))
            .On(HttpMethod.Post, "/api/admin/admins", request =>
            {
                var created = new JsonObject { ["id"] = "a2", ["email"] = "second@test.local", ["createdAt"] = "2026-01-03T00:00:00Z" };
                admins.Add(created.DeepClone());
                return (HttpStatusCode.Created, created);
            });
        var page = Render<Admins>();
        page.WaitForAssertion(() => Assert.Contains("2026-01-02 03:04:05 UTC", page.Find("[data-testid=admins-table]").TextContent, StringComparison.Ordinal));

        page.Find("#new-admin-email").Change("second@test.local");
        page.Find("#new-admin-password").Change("Second-Passw0rd");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Contains("second@test.local", page.Find("[data-testid=admins-table]").TextContent, StringComparison.Ordinal));
        var post = Assert.Single(Api.Requests, r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/admins");
        Assert.Equal("second@test.local", JsonNode.Parse(post.Body!)!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task Admins_DisablesAnotherAdmin_AfterConfirming_ThenEnablesIt_ButNeverItself()
    {
        await SignInAsync();
        var other = new JsonObject { ["id"] = "a2", ["email"] = "second@test.local", ["createdAt"] = "2026-01-03T00:00:00Z", ["disabled"] = false };
        Api.On(HttpMethod.Get, "/api/admin/admins", _ => (HttpStatusCode.OK, new JsonObject
            {
                ["items"] = new JsonArray(new JsonObject { ["id"] = "a1", ["email"] = "admin@test.local", ["createdAt"] = "2026-01-02T03:04:05Z" }, other.DeepClone()),
            }))
            .On(HttpMethod.Patch, "/api/admin/admins/a2", _ =>
            {
                // The stub records the request before it answers: the body sent is the last one recorded.
                other["disabled"] = JsonNode.Parse(Api.Requests[^1].Body!)!["disabled"]!.GetValue<bool>();
                return (HttpStatusCode.OK, other.DeepClone());
            });
        var page = Render<Admins>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=admin-row]").Count));

        // The signed-in admin's own row offers nothing (the server would answer 409 cannot_disable_self).
        var mine = page.FindAll("[data-testid=admin-row]").Single(r => r.TextContent.Contains("admin@test.local", StringComparison.Ordinal));
        Assert.Contains("(you)", mine.TextContent, StringComparison.Ordinal);
        Assert.Empty(mine.QuerySelectorAll("button"));

        page.Find("button[aria-label='Disable second@test.local']").Click();
        Assert.DoesNotContain(Api.Requests, r => r.Method == HttpMethod.Patch);
        page.Find("button[aria-label='Disable now: second@test.local']").Click();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("button[aria-label='Enable second@test.local']")));
        var patch = Assert.Single(Api.Requests, r => r.Method == HttpMethod.Patch);
        Assert.True(JsonNode.Parse(patch.Body!)!["disabled"]!.GetValue<bool>());
        Assert.Contains("Disabled", page.FindAll("[data-testid=admin-row]")[1].TextContent, StringComparison.Ordinal);

        page.Find("button[aria-label='Enable second@test.local']").Click();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("button[aria-label='Disable second@test.local']")));
        Assert.False(JsonNode.Parse(Api.Requests.Last(r => r.Method == HttpMethod.Patch).Body!)!["disabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Admins_ShowsTheServersFieldError()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/admins", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""))
            .On(HttpMethod.Post, "/api/admin/admins", HttpStatusCode.Conflict, StubApi.Problem(409, "email_taken", "An admin with this email already exists.", "email"));
        var page = Render<Admins>();

        page.Find("#new-admin-email").Change("admin@test.local");
        page.Find("#new-admin-password").Change("Second-Passw0rd");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Contains("An admin with this email already exists.", page.Find("[role=alert]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Outbox_ListsMessages_AndLoadsOlderOnes()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/outbox?limit=50", HttpStatusCode.OK, JsonNode.Parse(
                """{"items":[{"id":"m2","to":"u@x.io","subject":"Reset your password","body":"token: abc","createdAt":"2026-01-02T00:00:00Z"}],"nextCursor":"c1"}"""))
            .On(HttpMethod.Get, "/api/admin/outbox?limit=50&cursor=c1", HttpStatusCode.OK, JsonNode.Parse(
                """{"items":[{"id":"m1","to":"v@x.io","subject":"Verify your email","body":"token: def","createdAt":"2026-01-01T00:00:00Z"}]}"""));
        var page = Render<Outbox>();
        page.WaitForAssertion(() => Assert.Contains("Reset your password", page.Markup, StringComparison.Ordinal));

        page.FindAll("button").Single(b => b.TextContent.Contains("Load older", StringComparison.Ordinal)).Click();

        page.WaitForAssertion(() => Assert.Contains("Verify your email", page.Markup, StringComparison.Ordinal));
        Assert.DoesNotContain(page.FindAll("button"), b => b.TextContent.Contains("Load older", StringComparison.Ordinal));
    }

    [Fact]
    public void Outbox_Empty_SaysSo()
    {
        Api.On(HttpMethod.Get, "/api/admin/outbox?limit=50", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""));
        var page = Render<Outbox>();

        page.WaitForAssertion(() => Assert.Contains("The outbox is empty.", page.Find("[data-testid=outbox-empty]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Layout_OnExpiry_GoesToSignIn_WithThePageToComeBackTo()
    {
        await SignInAsync();
        Navigation.NavigateTo("outbox");
        var layout = Render<MainLayout>(parameters => parameters.Add(p => p.Body, (Microsoft.AspNetCore.Components.RenderFragment)(b => b.AddContent(0, "page"))));
        Assert.Contains("admin@test.local", layout.Find("[data-testid=signed-in-as]").TextContent, StringComparison.Ordinal);
        Api.On(HttpMethod.Get, "/api/admin/admins", HttpStatusCode.Unauthorized, StubApi.Problem(401, "unauthenticated", "Expired."));

        await Assert.ThrowsAsync<Platform.Sdk.BaasException>(() => Services.GetRequiredService<AdminAccountsService>().ListAsync(Xunit.TestContext.Current.CancellationToken));

        layout.WaitForAssertion(() => Assert.Equal("http://localhost/signin?returnUrl=outbox&expired=true", Navigation.Uri));
        Assert.Empty(layout.FindAll("[data-testid=signed-in-as]"));
    }

    [Fact]
    public async Task Layout_SignOut_ClearsTheSession_AndGoesToSignIn()
    {
        await SignInAsync();
        Api.On(HttpMethod.Post, "/api/admin/auth/logout", System.Net.HttpStatusCode.NoContent);
        var layout = Render<MainLayout>(parameters => parameters.Add(p => p.Body, (Microsoft.AspNetCore.Components.RenderFragment)(b => b.AddContent(0, "page"))));

        layout.FindAll("button").Single(b => b.TextContent.Contains("Sign out", StringComparison.Ordinal)).Click();

        layout.WaitForAssertion(() => Assert.False(Session.IsSignedIn));
        layout.WaitForAssertion(() => Assert.Equal("http://localhost/signin", Navigation.Uri));
        layout.WaitForAssertion(() => Assert.Contains(Api.Requests, r => r.PathAndQuery == "/api/admin/auth/logout" && r.Authorization == "Bearer admin-token"));
    }

    [Fact]
    public async Task Layout_SignOut_WhenTheServerCannotBeTold_SaysTheTokenStaysValid()
    {
        await SignInAsync();
        Api.On(HttpMethod.Post, "/api/admin/auth/logout", System.Net.HttpStatusCode.ServiceUnavailable, StubApi.Problem(503, "unavailable", "Down."));
        var layout = Render<MainLayout>(parameters => parameters.Add(p => p.Body, (Microsoft.AspNetCore.Components.RenderFragment)(b => b.AddContent(0, "page"))));

        layout.FindAll("button").Single(b => b.TextContent.Contains("Sign out", StringComparison.Ordinal)).Click();

        layout.WaitForAssertion(() => Assert.Contains("the token stays valid until it expires", layout.Markup, StringComparison.Ordinal));
        Assert.False(Session.IsSignedIn);
    }

    [Fact]
    public void Layout_ThemeToggle_RemembersTheChoice()
    {
        JSInterop.Setup<string?>("localStorage.getItem", ThemeService.StorageKey).SetResult("dark");
        var layout = Render<MainLayout>(parameters => parameters.Add(p => p.Body, (Microsoft.AspNetCore.Components.RenderFragment)(b => b.AddContent(0, "page"))));
        layout.WaitForAssertion(() => Assert.NotNull(layout.Find("button[aria-label='Switch to light mode']")));

        layout.Find("button[aria-label='Switch to light mode']").Click();

        layout.WaitForAssertion(() => Assert.NotNull(layout.Find("button[aria-label='Switch to dark mode']")));
        var write = Assert.Single(JSInterop.Invocations, i => i.Identifier == "localStorage.setItem");
        Assert.Equal([ThemeService.StorageKey, "light"], write.Arguments);
    }

    [Fact]
    public async Task Layout_ReRenders_DoNotRebuildTheTheme_UntilTheModeChanges()
    {
        // MudThemeProvider writes the whole theme CSS on every render; the layout renders again on sign-in and on
        // every navigation, and the theme must not be rebuilt each time (issue 10 item 6: the cold start).
        Api.WithAdminLogin();
        var layout = Render<MainLayout>(parameters => parameters.Add(p => p.Body, (Microsoft.AspNetCore.Components.RenderFragment)(b => b.AddContent(0, "page"))));
        layout.WaitForAssertion(() => Assert.NotNull(layout.Find("button[aria-label='Switch to dark mode']")));
        var theme = layout.FindComponent<MudBlazor.MudThemeProvider>();
        var rendersBefore = theme.RenderCount;
        var layoutRendersBefore = layout.RenderCount;

        await layout.InvokeAsync(() => Services.GetRequiredService<AdminAuth>().SignInAsync("admin@test.local", "Admin-Passw0rd!"));
        layout.WaitForAssertion(() => Assert.NotNull(layout.Find("[data-testid=signed-in-as]")));
        await layout.InvokeAsync(() => Navigation.NavigateTo("outbox"));
        layout.Render();

        Assert.True(layout.RenderCount > layoutRendersBefore);
        Assert.Equal(rendersBefore, theme.RenderCount);

        layout.Find("button[aria-label='Switch to dark mode']").Click();
        layout.WaitForAssertion(() => Assert.Equal(rendersBefore + 1, theme.RenderCount));
    }

    [Fact]
    public void Nav_ListsEveryPage()
    {
        Assert.Equal(["", "collections", "documents", "realtime", "functions", "users", "apikeys", "audit", "settings", "admins", "outbox"], DashboardNav.Items.Select(i => i.Href));
    }
}
