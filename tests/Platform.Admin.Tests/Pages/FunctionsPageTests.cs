using System.Net;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Platform.Admin.Pages;
using Platform.Admin.Services;
using Platform.Admin.Tests.Infrastructure;

namespace Platform.Admin.Tests.Pages;

/// <summary>The functions list and a function's page, over the real service and SDK and a stubbed API.</summary>
public sealed class FunctionsPageTests : DashboardTestContext
{
    private const string Code = "export default async function (ctx) {\n  return 1;\n}";

    private static JsonObject Function(int version = 2, string code = Code) => new()
    {
        ["name"] = "hello",
        ["code"] = code,
        ["enabled"] = true,
        ["schedule"] = new JsonObject { ["cron"] = "0 3 * * *", ["timeZone"] = "UTC" },
        ["triggers"] = new JsonArray(new JsonObject { ["collection"] = "orders", ["on"] = new JsonArray("create", "delete"), ["phase"] = "after" }),
        ["callable"] = new JsonObject { ["invokeRule"] = "auth != null" },
        ["fetchAllowlist"] = new JsonArray("api.example.com"),
        ["version"] = version,
        ["updatedAt"] = "2026-01-02T03:04:05Z",
        ["updatedBy"] = "admin@test.local",
        ["nextRuns"] = new JsonArray("2026-01-03T03:00:00Z", "2026-01-04T03:00:00Z"),
    };

    private static JsonObject Run(string id, string status, bool deadLetter = false) => new()
    {
        ["id"] = id,
        ["function"] = "hello",
        ["version"] = 2,
        ["trigger"] = deadLetter ? "document" : "manual",
        ["attempt"] = 1,
        ["status"] = status,
        ["startedAt"] = "2026-01-02T03:04:05Z",
        ["durationMs"] = 3,
        ["logs"] = new JsonArray("log of " + id),
        ["result"] = status == "succeeded" ? new JsonObject { ["greeting"] = "Hello, Ada!" } : null,
        ["error"] = status == "failed" ? new JsonObject { ["message"] = "TypeError: boom", ["line"] = 2, ["column"] = 9 } : null,
        ["deadLetter"] = deadLetter,
    };

    [Fact]
    public async Task List_ShowsEachFunction_AndTheSecretsNamesOnly()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Function()) })
            .On(HttpMethod.Get, "/api/admin/functions/secrets", HttpStatusCode.OK, JsonNode.Parse(
                """{"items":[{"name":"STRIPE_KEY","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}]}"""));
        var page = Render<Functions>();

        page.WaitForAssertion(() => Assert.Contains("hello", page.Find("[data-testid=functions-table]").TextContent, StringComparison.Ordinal));
        var row = page.Find("[data-testid=functions-table] tbody tr").TextContent;
        Assert.Contains("orders (create/delete, after)", row, StringComparison.Ordinal);
        Assert.Contains("0 3 * * *", row, StringComparison.Ordinal);
        Assert.Contains("next 2026-01-03 03:00:00 UTC", row, StringComparison.Ordinal);
        Assert.Contains("auth != null", row, StringComparison.Ordinal);
        Assert.Contains("STRIPE_KEY", page.Find("[data-testid=secrets-table]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobsDashboard_OpensASessionThroughTheApi_ThenLoadsTheDashboard()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""))
            .On(HttpMethod.Get, "/api/admin/functions/secrets", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""))
            .On(HttpMethod.Post, "/api/admin/jobs/session", HttpStatusCode.NoContent);
        var page = Render<Functions>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=functions-empty]")));

        page.Find("[data-testid=jobs-dashboard]").Click();

        page.WaitForAssertion(() => Assert.Equal("http://localhost/admin/jobs", Navigation.Uri));
        var session = Api.Requests.Single(r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/jobs/session");
        Assert.StartsWith("Bearer ", session.Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Detail_JobsDashboard_OpensASessionThroughTheApi_ThenLoadsTheDashboard()
    {
        // A plain link to /admin/jobs carries no credential: the dashboard answered it 401.
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", HttpStatusCode.OK, Function())
            .On(HttpMethod.Post, "/api/admin/jobs/session", HttpStatusCode.NoContent);
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.Contains("Version 2", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));

        page.Find("[data-testid=jobs-dashboard]").Click();

        page.WaitForAssertion(() => Assert.Equal("http://localhost/admin/jobs", Navigation.Uri));
        var session = Api.Requests.Single(r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/jobs/session");
        Assert.StartsWith("Bearer ", session.Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_CreatesAFunction_AndOpensIt()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""))
            .On(HttpMethod.Get, "/api/admin/functions/secrets", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""))
            .On(HttpMethod.Post, "/api/admin/functions", HttpStatusCode.Created, Function(version: 1));
        var page = Render<Functions>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=functions-empty]")));

        page.Find("#new-function-name").Change("hello");
        page.FindAll("form")[0].Submit();

        page.WaitForAssertion(() => Assert.Equal("http://localhost/functions/hello", Navigation.Uri));
        var create = Api.Requests.Single(r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/functions");
        var body = JsonNode.Parse(create.Body!)!;
        Assert.Equal("hello", (string?)body["name"]);
        Assert.Equal(FunctionsService.StarterCode, (string?)body["code"]);
    }

    [Fact]
    public async Task Detail_SaveWithASyntaxError_ShowsLineAndColumn_AndSendsIfMatch()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", HttpStatusCode.OK, Function())
            .On(HttpMethod.Put, "/api/admin/functions/hello", HttpStatusCode.BadRequest, JsonNode.Parse(
                """{"status":400,"code":"invalid_code","title":"Invalid code","detail":"The code has a syntax error.","errors":[{"path":"code","message":"Unexpected token","line":2,"column":10}]}"""));
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.Contains("Version 2", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));
        Assert.Contains("2026-01-03 03:00:00", page.Find("[data-testid=next-runs]").TextContent, StringComparison.Ordinal);

        page.Find("#function-code").Change("export default async function (ctx) {\n  return )\n}");
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Save").Click();

        page.WaitForAssertion(() => Assert.Contains("Line 2, column 10: Unexpected token", page.Find("[data-testid=code-error]").TextContent, StringComparison.Ordinal));
        Assert.Equal("true", page.Find("#function-code").GetAttribute("aria-invalid"));
        var put = Api.Requests.Single(r => r.Method == HttpMethod.Put);
        var sent = JsonNode.Parse(put.Body!)!;
        Assert.Equal("export default async function (ctx) {\n  return )\n}", (string?)sent["code"]);
        Assert.Equal("orders", (string?)sent["triggers"]![0]!["collection"]);
        Assert.Equal("auth != null", (string?)sent["callable"]!["invokeRule"]);
        Assert.Equal("api.example.com", (string?)sent["fetchAllowlist"]![0]);
        Assert.Contains(JSInterop.Invocations, i => i.Identifier == "markLine");
    }

    [Fact]
    public async Task Detail_WithARunInTheQuery_OpensHistory_WithThatRunShown()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", HttpStatusCode.OK, Function())
            .On(HttpMethod.Get, "/api/admin/functions/hello/runs/r7", HttpStatusCode.OK, Run("r7", "failed"))
            .On(HttpMethod.Get, "/api/admin/functions/hello/runs?limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Run("r7", "failed")), ["nextCursor"] = null });

        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo(navigation.GetUriWithQueryParameter("run", "r7"));
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));

        page.WaitForAssertion(() => Assert.Contains("line 2, column 9", page.Find("[data-testid=linked-run] [data-testid=run-error]").TextContent, StringComparison.Ordinal));
        Assert.Contains("Run r7", page.Find("[data-testid=linked-run]").TextContent, StringComparison.Ordinal);
        Assert.Contains("TypeError: boom", page.Find("[data-testid=linked-run]").TextContent, StringComparison.Ordinal);
        page.WaitForAssertion(() => Assert.Contains("History", page.Find(".mud-tab-active").TextContent, StringComparison.Ordinal));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=history]")));
    }

    [Fact]
    public async Task Detail_WithAnUnknownRunInTheQuery_SaysSo()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", HttpStatusCode.OK, Function())
            .On(HttpMethod.Get, "/api/admin/functions/hello/runs/nope", HttpStatusCode.NotFound, StubApi.Problem(404, "run_not_found", "Function 'hello' has no run 'nope'."))
            .On(HttpMethod.Get, "/api/admin/functions/hello/runs?limit=50", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(), ["nextCursor"] = null });

        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo(navigation.GetUriWithQueryParameter("run", "nope"));
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));

        page.WaitForAssertion(() => Assert.Contains("no run nope", page.Find("[data-testid=linked-run] [role=alert]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Detail_RunNow_ShowsStatusResultAndLogs()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", HttpStatusCode.OK, Function())
            .On(HttpMethod.Post, "/api/admin/functions/hello/run", HttpStatusCode.OK, Run("r1", "succeeded"));
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=function-version]")));
        page.OpenTab("Run now");

        page.Find("#run-args").Change("""{"name":"Ada"}""");
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Run now").Click();

        page.WaitForAssertion(() => Assert.Contains("succeeded", page.Find("[data-testid=run-status]").TextContent, StringComparison.Ordinal));
        Assert.Contains("Hello, Ada!", page.Find("[data-testid=run-output]").TextContent, StringComparison.Ordinal);
        Assert.Contains("log of r1", page.Find("[data-testid=run-logs]").TextContent, StringComparison.Ordinal);
        var run = Api.Requests.Single(r => r.PathAndQuery == "/api/admin/functions/hello/run");
        Assert.Equal("Ada", (string?)JsonNode.Parse(run.Body!)!["args"]!["name"]);
    }

    [Fact]
    public async Task Detail_RunNow_WithInvalidJson_SaysSo_AndSendsNothing()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", HttpStatusCode.OK, Function());
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=function-version]")));
        page.OpenTab("Run now");

        page.Find("#run-args").Change("{name:");
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Run now").Click();

        page.WaitForAssertion(() => Assert.Equal("The sample args is not valid JSON (line 1, column 2).", page.Find("[role=alert]").TextContent.Trim()));
        Assert.DoesNotContain(Api.Requests, r => r.PathAndQuery.EndsWith("/run", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Detail_History_FiltersByStatus_AndLoadsMore()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", HttpStatusCode.OK, Function())
            .On(HttpMethod.Get, "/api/admin/functions/hello/runs?limit=50", HttpStatusCode.OK,
                new JsonObject { ["items"] = new JsonArray(Run("r2", "succeeded")), ["nextCursor"] = "c1" })
            .On(HttpMethod.Get, "/api/admin/functions/hello/runs?limit=50&cursor=c1", HttpStatusCode.OK,
                new JsonObject { ["items"] = new JsonArray(Run("r1", "failed")) });
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=function-version]")));

        page.OpenTab("History");
        page.WaitForAssertion(() => Assert.Contains("succeeded", page.Find("[data-testid=history]").TextContent, StringComparison.Ordinal));
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Load more").Click();

        page.WaitForAssertion(() => Assert.Contains("failed", page.Find("[data-testid=history]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain(page.FindAll("button"), b => b.TextContent.Trim() == "Load more");
    }

    [Fact]
    public async Task Detail_DeadLetters_Retry_ReplaysTheRun()
    {
        await SignInAsync();
        var retried = false;
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", HttpStatusCode.OK, Function())
            .On(HttpMethod.Get, "/api/admin/functions/hello/runs?deadLetter=true&limit=50", _ => (HttpStatusCode.OK, retried
                ? JsonNode.Parse("""{"items":[]}""")
                : new JsonObject { ["items"] = new JsonArray(Run("r9", "failed", deadLetter: true)) }))
            .On(HttpMethod.Post, "/api/admin/functions/hello/runs/r9/retry", _ =>
            {
                retried = true;
                return (HttpStatusCode.OK, Run("r10", "succeeded"));
            });
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=function-version]")));

        page.OpenTab("Dead letters");
        page.WaitForAssertion(() => Assert.Contains("document", page.Find("[data-testid=dead-letters]").TextContent, StringComparison.Ordinal));
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Retry").Click();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=dead-letters-empty]")));
        Assert.True(retried);
    }

    [Fact]
    public async Task Detail_Versions_ShowsADiff_AndRollsBack()
    {
        await SignInAsync();
        const string OldCode = "export default async function (ctx) {\n  return 0;\n}";
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", HttpStatusCode.OK, Function())
            .On(HttpMethod.Get, "/api/admin/functions/hello/versions", HttpStatusCode.OK,
                new JsonObject { ["items"] = new JsonArray(Function(version: 2), Function(version: 1, code: OldCode)) })
            .On(HttpMethod.Post, "/api/admin/functions/hello/rollback", HttpStatusCode.OK, Function(version: 3, code: OldCode));
        var dialogs = Render<MudBlazor.MudDialogProvider>();
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=function-version]")));

        page.OpenTab("Versions");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=versions-table]")));
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Diff").Click();
        var diff = page.Find("[data-testid=version-diff]");
        Assert.Equal("-   return 0;", Assert.Single(diff.QuerySelectorAll(".diff-del")).TextContent);
        Assert.Equal("+   return 1;", Assert.Single(diff.QuerySelectorAll(".diff-add")).TextContent);

        page.FindAll("button").Single(b => b.TextContent.Contains("Roll back to 1", StringComparison.Ordinal)).Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Save the content of version 1", dialogs.Markup, StringComparison.Ordinal));
        Assert.DoesNotContain(Api.Requests, r => r.PathAndQuery.EndsWith("/rollback", StringComparison.Ordinal));
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Roll back").Click();

        page.WaitForAssertion(() => Assert.Contains("Version 3", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));
        var rollback = Api.Requests.Single(r => r.PathAndQuery == "/api/admin/functions/hello/rollback");
        Assert.Equal(1, (int?)JsonNode.Parse(rollback.Body!)!["version"]);
    }

    [Fact]
    public async Task Detail_RollbackAfterAnotherAdminsSave_SendsIfMatch_IsRefusedWithBothVersions_AndRollsBackOnTheReloadedVersion()
    {
        // A rollback sent no If-Match: it replaced a version saved after the page loaded without a word.
        await SignInAsync();
        const string OldCode = "export default async function (ctx) {\n  return 0;\n}";
        var stored = 2;
        var rollbacks = 0;
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", _ => (HttpStatusCode.OK, Function(version: stored)))
            .On(HttpMethod.Get, "/api/admin/functions/hello/versions", _ => (HttpStatusCode.OK, new JsonObject
            {
                ["items"] = new JsonArray([.. Enumerable.Range(1, stored).Reverse().Select(v => (JsonNode)Function(version: v, code: v == 1 ? OldCode : Code))]),
            }))
            .On(HttpMethod.Post, "/api/admin/functions/hello/rollback", _ => ++rollbacks == 1
                ? (HttpStatusCode.PreconditionFailed, StubApi.VersionMismatch(3))
                : (HttpStatusCode.OK, Function(version: 4, code: OldCode)));
        var dialogs = Render<MudBlazor.MudDialogProvider>();
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.Contains("Version 2", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));
        page.OpenTab("Versions");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=versions-table]")));
        stored = 3;

        page.FindAll("button").Single(b => b.TextContent.Contains("Roll back to 1", StringComparison.Ordinal)).Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Roll back").Click());

        page.WaitForAssertion(() => Assert.Contains("you opened version 2; it is now at version 3", page.Find("[data-testid=edit-conflict]").TextContent, StringComparison.Ordinal));
        Assert.Equal("\"2\"", Api.IfMatches.Single(r => r.PathAndQuery.EndsWith("/rollback", StringComparison.Ordinal)).IfMatch);
        Assert.Contains("Version 2", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal);

        page.Find("[data-testid=conflict-reload]").Click();
        page.WaitForAssertion(() => Assert.Contains("Version 3", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));
        page.WaitForAssertion(() => Assert.Contains("3 (current)", page.Find("[data-testid=versions-table]").TextContent, StringComparison.Ordinal));
        Assert.NotNull(page.Find("[data-testid=edit-conflict-reloaded]"));

        page.FindAll("button").Single(b => b.TextContent.Contains("Roll back to 1", StringComparison.Ordinal)).Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Roll back").Click());
        page.WaitForAssertion(() => Assert.Contains("Version 4", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));
        Assert.Equal("\"3\"", Api.IfMatches.Last(r => r.PathAndQuery.EndsWith("/rollback", StringComparison.Ordinal)).IfMatch);
        Assert.Empty(page.FindAll("[data-testid=edit-conflict-reloaded]"));
    }

    [Fact]
    public void LineDiff_MarksRemovedAndAddedLines_KeepingTheRest()
    {
        var diff = LineDiff.Compute("a\nb\nc\nd", "a\nc\nx\nd");

        Assert.Equal(["  a", "- b", "  c", "+ x", "  d"], diff!.Select(l => l.Kind + " " + l.Text));
    }

    [Fact]
    public void LineDiff_TooLargeToDiff_AnswersNull()
    {
        var old = string.Join('\n', Enumerable.Range(0, 3000).Select(i => "o" + i));
        var @new = string.Join('\n', Enumerable.Range(0, 3000).Select(i => "n" + i));

        Assert.Null(LineDiff.Compute(old, @new));
        Assert.Equal(3, LineDiff.Compute("same\nsame", "same\nsame\nmore")!.Count);
    }

    [Fact]
    public async Task Detail_SaveAfterAnotherAdminsSave_IsRefused_KeepsTheCode_AndSavesOnTheReloadedVersion()
    {
        // The 412 was shown as the server's bare "precondition did not hold", with no way to the current version.
        await SignInAsync();
        var stored = 2;
        var puts = 0;
        const string Mine = "export default async function (ctx) {\n  return 'mine';\n}";
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", _ => (HttpStatusCode.OK, Function(version: stored)))
            .On(HttpMethod.Put, "/api/admin/functions/hello", _ => ++puts == 1
                ? (HttpStatusCode.PreconditionFailed, StubApi.VersionMismatch(3))
                : (HttpStatusCode.OK, Function(version: 4, code: Mine)));
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.Contains("Version 2", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));
        stored = 3;

        page.Find("#function-code").Change(Mine);
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Save").Click();

        page.WaitForAssertion(() => Assert.Contains("changed by someone else since you opened it", page.Find("[data-testid=edit-conflict]").TextContent, StringComparison.Ordinal));
        Assert.Contains("you opened version 2; it is now at version 3", page.Find("[data-testid=edit-conflict]").TextContent, StringComparison.Ordinal);
        Assert.Equal("\"2\"", Api.IfMatches.Single(r => r.Method == HttpMethod.Put).IfMatch);
        Assert.Equal(Mine, page.Find("#function-code").GetAttribute("value"));

        page.Find("[data-testid=conflict-reload]").Click();

        page.WaitForAssertion(() => Assert.Contains("Version 3", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));
        Assert.Contains("kept in the editor", page.Find("[data-testid=edit-conflict-reloaded]").TextContent, StringComparison.Ordinal);
        Assert.Equal(Mine, page.Find("#function-code").GetAttribute("value"));
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Save").Click();

        page.WaitForAssertion(() => Assert.Contains("Version 4", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));
        Assert.Equal("\"3\"", Api.IfMatches.Last(r => r.Method == HttpMethod.Put).IfMatch);
        Assert.Empty(page.FindAll("[data-testid=edit-conflict-reloaded]"));
    }

    [Fact]
    public async Task Detail_AfterAConflict_DiscardMyEdits_ShowsTheCurrentVersion()
    {
        await SignInAsync();
        var stored = 2;
        Api.On(HttpMethod.Get, "/api/admin/functions/hello", _ => (HttpStatusCode.OK, Function(version: stored, code: stored == 2 ? Code : "export default async function () { return 'theirs'; }")))
            .On(HttpMethod.Put, "/api/admin/functions/hello", HttpStatusCode.PreconditionFailed, StubApi.VersionMismatch(3));
        var page = Render<FunctionDetail>(p => p.Add(x => x.Name, "hello"));
        page.WaitForAssertion(() => Assert.Contains("Version 2", page.Find("[data-testid=function-version]").TextContent, StringComparison.Ordinal));
        stored = 3;
        page.Find("#function-code").Change("export default async function () { return 'mine'; }");
        page.FindAll("button").Single(b => b.TextContent.Trim() == "Save").Click();
        page.WaitForAssertion(() => page.Find("[data-testid=conflict-reload]").Click());
        page.WaitForAssertion(() => page.Find("[data-testid=conflict-discard]").Click());

        page.WaitForAssertion(() => Assert.Equal("export default async function () { return 'theirs'; }", page.Find("#function-code").GetAttribute("value")));
        Assert.Empty(page.FindAll("[data-testid=edit-conflict-reloaded]"));
    }
}
