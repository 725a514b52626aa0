using System.Net;
using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using MudBlazor;
using Platform.Admin.Pages;
using Platform.Admin.Tests.Infrastructure;

namespace Platform.Admin.Tests.Pages;

internal static class Ui
{
    public static IElement Button<T>(IRenderedComponent<T> page, string text)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        page.FindAll("button").First(b => b.TextContent.Trim().StartsWith(text, StringComparison.Ordinal));

    public static JsonObject User(string id, string email, bool disabled = false, string roles = "[]", string data = "{}") => new()
    {
        ["id"] = id,
        ["email"] = email,
        ["roles"] = JsonNode.Parse(roles),
        ["data"] = JsonNode.Parse(data),
        ["createdAt"] = "2026-01-02T03:04:05Z",
        ["disabled"] = disabled,
    };
}

public sealed class UsersPageTests : DashboardTestContext
{
    [Fact]
    public async Task Users_SearchesAndLoadsMore_ByCursor()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/users?limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Ui.User("u1", "ada@x.io")), ["nextCursor"] = "c1" })
            .On(HttpMethod.Get, "/api/admin/users?limit=50&cursor=c1", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Ui.User("u2", "bob@x.io")) })
            .On(HttpMethod.Get, "/api/admin/users?search=bo&limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Ui.User("u2", "bob@x.io")) });
        var page = Render<Users>();

        page.WaitForAssertion(() => Assert.Contains("ada@x.io", page.Find("[data-testid=users-table]").TextContent, StringComparison.Ordinal));
        page.Find("[data-testid=users-more]").Click();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=user-row]").Count));
        Assert.Empty(page.FindAll("[data-testid=users-more]"));

        page.Find("#users-search").Input("bo");
        page.Find("form[role=search]").Submit();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=user-row]")));
        Assert.Contains("bob@x.io", page.Find("[data-testid=users-table]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Users_Create_SendsRolesAndShowsTheServersFieldError()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/users?limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray() })
            .On(HttpMethod.Post, "/api/admin/users", HttpStatusCode.Conflict, StubApi.Problem(409, "email_taken", "This email is already registered.", "email"));
        var page = Render<Users>();
        page.WaitForAssertion(() => page.Find("[data-testid=users-empty]"));

        page.Find("#new-user-email").Input("ada@x.io");
        page.Find("#new-user-password").Input("Passw0rd-123");
        page.Find("#new-user-roles").Input("editor, beta editor");
        page.Find("#new-user-email").Closest("form")!.Submit();

        page.WaitForAssertion(() => Assert.Contains("This email is already registered.", page.Find("[role=alert]").TextContent, StringComparison.Ordinal));
        var body = JsonNode.Parse(Api.Requests.Last(r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/users").Body!)!;
        Assert.Equal("""["editor","beta"]""", body["roles"]!.ToJsonString());
        Assert.Equal("ada@x.io", body["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task Users_Edit_SendsOnlyTheChangedData_Disables_AndDeletesAfterConfirming()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/users?limit=50", HttpStatusCode.OK,
                new JsonObject { ["items"] = new JsonArray(Ui.User("u1", "ada@x.io", roles: """["a"]""", data: """{"name":"Ada","plan":"free"}""")) })
            .On(HttpMethod.Patch, "/api/admin/users/u1", request =>
            {
                var patch = JsonNode.Parse(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult())!.AsObject();
                var disabled = patch["disabled"]?.GetValue<bool>() ?? false;
                return (HttpStatusCode.OK, Ui.User("u1", "ada@x.io", disabled, roles: """["a","b"]""", data: """{"name":"Ada L"}"""));
            })
            .On(HttpMethod.Delete, "/api/admin/users/u1", HttpStatusCode.NoContent);
        var page = Render<Users>();
        page.WaitForAssertion(() => page.Find("[data-testid=user-row]"));
        Ui.Button(page, "Manage").Click();

        page.Find("#user-data").Input("{not json");
        Ui.Button(page, "Save roles and data").Closest("form")!.Submit();
        page.WaitForAssertion(() => Assert.Contains("Not valid JSON (line 1, column 2).", page.Find("[data-testid=user-editor]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("invalid start", page.Find("[data-testid=user-editor]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(Api.Requests, r => r.Method == HttpMethod.Patch);

        page.Find("#user-roles").Input("a b");
        page.Find("#user-data").Input("""{"name":"Ada L"}""");
        Ui.Button(page, "Save roles and data").Closest("form")!.Submit();
        page.WaitForAssertion(() => Assert.Contains(Api.Requests, r => r.Method == HttpMethod.Patch));
        var patch = JsonNode.Parse(Api.Requests.Single(r => r.Method == HttpMethod.Patch).Body!)!;
        Assert.Equal("""{"roles":["a","b"],"data":{"name":"Ada L","plan":null}}""", patch.ToJsonString());

        page.Find("[data-testid=user-toggle-disabled]").Click();
        page.WaitForAssertion(() => Assert.Contains("Disabled", page.Find("[data-testid=user-row]").TextContent, StringComparison.Ordinal));
        Assert.Equal("""{"disabled":true}""", Api.Requests.Last(r => r.Method == HttpMethod.Patch).Body);

        Ui.Button(page, "Delete…").Click();
        Assert.DoesNotContain(Api.Requests, r => r.Method == HttpMethod.Delete);
        page.Find("[data-testid=user-delete-confirm]");
        Ui.Button(page, "Delete user").Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=user-row]")));
        Assert.Contains(Api.Requests, r => r.Method == HttpMethod.Delete && r.PathAndQuery == "/api/admin/users/u1");
    }

    [Fact]
    public async Task Users_SendsAPasswordReset_ThroughTheAdminEndpoint()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/users?limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Ui.User("u1", "ada@x.io")) })
            .On(HttpMethod.Post, "/api/admin/users/u1/password-reset", HttpStatusCode.Accepted);
        var page = Render<Users>();
        page.WaitForAssertion(() => page.Find("[data-testid=user-row]"));
        Ui.Button(page, "Manage").Click();
        Ui.Button(page, "Send password reset").Click();

        page.WaitForAssertion(() => Assert.Contains(Api.Requests, r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/users/u1/password-reset"));
        Assert.DoesNotContain(Api.Requests, r => r.PathAndQuery == "/api/auth/password/forgot");
    }

    [Fact]
    public async Task Users_EndsSessions_OnlyAfterConfirming()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/users?limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Ui.User("u1", "ada@x.io")) })
            .On(HttpMethod.Post, "/api/admin/users/u1/sessions/revoke", HttpStatusCode.NoContent);
        var page = Render<Users>();
        page.WaitForAssertion(() => page.Find("[data-testid=user-row]"));
        Ui.Button(page, "Manage").Click();

        Ui.Button(page, "End sessions…").Click();
        Assert.DoesNotContain(Api.Requests, r => r.PathAndQuery.EndsWith("/sessions/revoke", StringComparison.Ordinal));
        // The confirmation's own button ("End sessions…" above it starts with the same words).
        page.FindAll("[data-testid=user-end-sessions-confirm] button").First(b => b.TextContent.Trim() == "End sessions").Click();

        page.WaitForAssertion(() => Assert.True(page.FindAll("[data-testid=user-end-sessions-confirm]").Count == 0, page.Find("[data-testid=user-editor]").OuterHtml));
        Assert.Single(Api.Requests, r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/users/u1/sessions/revoke");
    }

    [Fact]
    public async Task Users_ShowsTheServersRefusal_OfAPasswordReset()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/users?limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Ui.User("u1", "ada@x.io")) })
            .On(HttpMethod.Post, "/api/admin/users/u1/password-reset", HttpStatusCode.Conflict,
                JsonNode.Parse("""{"status":409,"code":"user_is_disabled","detail":"User 'u1' is disabled: a new password would not let them sign in."}"""));
        var page = Render<Users>();
        page.WaitForAssertion(() => page.Find("[data-testid=user-row]"));
        Ui.Button(page, "Manage").Click();
        Ui.Button(page, "Send password reset").Click();

        page.WaitForAssertion(() => Assert.Contains("is disabled", page.Find("[data-testid=user-editor] [role=alert]").TextContent, StringComparison.Ordinal));
    }
}

public sealed class ApiKeysPageTests : DashboardTestContext
{
    [Fact]
    public async Task ApiKeys_ShowsTheNewKeyOnce_AndRevokesOnlyAfterConfirming()
    {
        await SignInAsync();
        var keys = new JsonArray(new JsonObject { ["id"] = "k1", ["name"] = "old-worker", ["prefix"] = "bk_ab", ["createdAt"] = "2026-01-01T00:00:00Z" });
        Api.On(HttpMethod.Get, "/api/admin/apikeys", _ => (HttpStatusCode.OK, new JsonObject { ["items"] = keys.DeepClone() }))
            .On(HttpMethod.Post, "/api/admin/apikeys", HttpStatusCode.Created, new JsonObject { ["id"] = "k2", ["name"] = "billing", ["key"] = "bk_secret_value", ["createdAt"] = "2026-01-02T00:00:00Z" })
            .On(HttpMethod.Delete, "/api/admin/apikeys/k1", HttpStatusCode.NoContent);
        var page = Render<ApiKeys>();
        page.WaitForAssertion(() => Assert.Contains("old-worker", page.Find("[data-testid=apikeys-table]").TextContent, StringComparison.Ordinal));
        Assert.Contains("never", page.Find("[data-testid=apikeys-table]").TextContent, StringComparison.Ordinal);

        page.Find("#new-apikey-name").Input("billing");
        page.Find("#new-apikey-name").Closest("form")!.Submit();
        page.WaitForAssertion(() => Assert.Equal("bk_secret_value", page.Find("[data-testid=apikey-secret]").TextContent));
        Assert.Contains("will not be shown again", page.Find("[data-testid=apikey-created]").TextContent, StringComparison.Ordinal);
        Ui.Button(page, "I have saved it").Click();
        Assert.DoesNotContain("bk_secret_value", page.Markup, StringComparison.Ordinal);

        Ui.Button(page, "Revoke…").Click();
        Assert.DoesNotContain(Api.Requests, r => r.Method == HttpMethod.Delete);
        Ui.Button(page, "Revoke now").Click();
        page.WaitForAssertion(() => Assert.Contains(Api.Requests, r => r.Method == HttpMethod.Delete && r.PathAndQuery == "/api/admin/apikeys/k1"));
    }

    [Fact]
    public async Task ApiKeys_CreateFailure_ShowsTheProblem()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/apikeys", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray() })
            .On(HttpMethod.Post, "/api/admin/apikeys", HttpStatusCode.BadRequest, StubApi.Problem(400, "validation_failed", "The name is too long.", "name"));
        var page = Render<ApiKeys>();
        page.WaitForAssertion(() => page.Find("[data-testid=apikeys-empty]"));
        page.Find("#new-apikey-name").Input(new string('n', 300));
        page.Find("#new-apikey-name").Closest("form")!.Submit();
        page.WaitForAssertion(() => Assert.Contains("The name is too long.", page.Find("[role=alert]").TextContent, StringComparison.Ordinal));
        Assert.Empty(page.FindAll("[data-testid=apikey-created]"));
    }
}

public sealed class SettingsPageTests : DashboardTestContext
{
    [Fact]
    public async Task Settings_ShowsFlattenedKeys_MasksSecrets_AndFilters()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/settings", HttpStatusCode.OK, JsonNode.Parse(
            """{"Baas":{"Auth":{"AdminTokenLifetime":"08:00:00","SigningKey":"***"},"Storage":{"Provider":"Sqlite"}},"urls":"http://+:8090"}"""));
        var page = Render<Settings>();

        page.WaitForAssertion(() => Assert.Contains("Baas:Auth:AdminTokenLifetime", page.Find("[data-testid=settings-table]").TextContent, StringComparison.Ordinal));
        Assert.Single(page.FindAll("[data-testid=setting-masked]"));
        Assert.Contains("4 of 4", page.Find("[data-testid=settings-shown]").TextContent, StringComparison.Ordinal);

        page.Find("#settings-search").Input("sqlite");
        page.WaitForAssertion(() => Assert.Contains("1 of 4", page.Find("[data-testid=settings-shown]").TextContent, StringComparison.Ordinal));
        Assert.Contains("Baas:Storage:Provider", page.Find("[data-testid=settings-table]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_Failure_ShowsTheProblem()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/settings", HttpStatusCode.Forbidden, StubApi.Problem(403, "forbidden", "Only admins can read the settings."));
        var page = Render<Settings>();
        page.WaitForAssertion(() => Assert.Contains("Only admins can read the settings.", page.Find("[role=alert]").TextContent, StringComparison.Ordinal));
    }
}

public sealed class AuditPageTests : DashboardTestContext
{
    [Fact]
    public async Task Audit_FiltersPagesAndHighlightsChangedFields()
    {
        await SignInAsync();
        var entry = new JsonObject
        {
            ["id"] = "e1", ["at"] = "2026-03-04T05:06:07Z", ["actor"] = "admin@test.local", ["action"] = "users.patch", ["target"] = "users/u1",
            ["before"] = JsonNode.Parse("""{"roles":["a"],"email":"ada@x.io"}"""), ["after"] = JsonNode.Parse("""{"roles":["a","b"],"email":"ada@x.io"}"""),
        };
        Api.On(HttpMethod.Get, "/api/admin/audit?limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(entry.DeepClone()), ["nextCursor"] = "n1" })
            .On(HttpMethod.Get, "/api/admin/audit?limit=50&cursor=n1", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray() })
            .On(HttpMethod.Get, "/api/admin/audit?actor=admin%40test.local&action=users.patch&limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(entry.DeepClone()) });
        var page = Render<Audit>();

        page.WaitForAssertion(() => Assert.Contains("users.patch", page.Find("[data-testid=audit-list]").TextContent, StringComparison.Ordinal));
        page.Find("[data-testid=audit-more]").Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=audit-more]")));

        page.Find("#audit-actor").Input("admin@test.local");
        page.Find("#audit-action").Input("users.patch");
        page.Find("#audit-actor").Closest("form")!.Submit();
        page.WaitForAssertion(() => Assert.Contains(Api.Requests, r => r.PathAndQuery == "/api/admin/audit?actor=admin%40test.local&action=users.patch&limit=50"));

        page.WaitForAssertion(() => page.Find(".mud-expand-panel-header").Click());
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=audit-diff] tr[data-change=added]")));
        Assert.Contains("roles[1]", page.Find("[data-testid=audit-diff] tr[data-change=added]").TextContent, StringComparison.Ordinal);
        Assert.NotEmpty(page.FindAll("[data-testid=audit-diff] tr[data-change=same]"));
    }
}

public sealed class RealtimePageTests : DashboardTestContext
{
    [Fact]
    public async Task Realtime_ShowsConnectionsAndSubscriptionsPerCollection()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/realtime", HttpStatusCode.OK, JsonNode.Parse("""{"connections":3,"subscriptions":5,"collections":[{"name":"todos","subscriptions":4}]}"""))
            .On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[{"name":"todos"}]}"""));
        Render<MudPopoverProvider>();
        var page = Render<Realtime>();

        page.WaitForAssertion(() => Assert.Contains("3 open connections, 5 subscriptions", page.Find("[data-testid=realtime-totals]").TextContent, StringComparison.Ordinal));
        Assert.Contains("todos", page.Find("[data-testid=realtime-collections]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Not watching.", page.Find("[data-testid=realtime-status]").TextContent, StringComparison.Ordinal);
    }
}
