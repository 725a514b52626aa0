using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Admin.Tests.Browser;

/// <summary>The functions pages against the real server: list, a save refused with the line at fault, a fixed save, a run.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FunctionsJourneyTests(BrowserFixture browser, DashboardServer server) : BrowserTest(browser), IClassFixture<DashboardServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task JobsDashboard_Button_OpensHangfiresDashboard_WithoutCspViolations()
    {
        var console = new List<string>();
        Page.Console += (_, message) => { lock (console) { console.Add(message.Type + ": " + message.Text); } };
        await SignInAsync(server.AdminUrl);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Functions" }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Functions");

        await Page.GetByTestId("jobs-dashboard").ClickAsync();
        await Page.WaitForURLAsync(url => url.EndsWith("/admin/jobs", StringComparison.Ordinal) || url.Contains("/admin/jobs/", StringComparison.Ordinal));
        await Expect(Page).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex("Baas jobs"));
        await Page.GetByRole(AriaRole.Link, new() { Name = "Recurring Jobs" }).ClickAsync();
        await Page.WaitForURLAsync(url => url.EndsWith("/admin/jobs/recurring", StringComparison.Ordinal));
        lock (console)
        {
            Assert.DoesNotContain(console, line => line.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task Functions_EditWithASyntaxError_ThenFix_ThenRunNow()
    {
        var name = "fn" + Guid.NewGuid().ToString("N")[..10];
        const string Code = "export default async function (ctx) {\n  ctx.log('hello', ctx.args.name);\n  return { greeting: 'Hello, ' + ctx.args.name };\n}";
        using (var admin = await server.Server.CreateAdminClientAsync(Ct))
        {
            (await admin.PostAsJsonAsync("/api/admin/functions", new { name, code = Code, schedule = new { cron = "0 3 * * *", timeZone = "Europe/Berlin" } }, Ct)).EnsureSuccessStatusCode();
        }

        await SignInAsync(server.AdminUrl);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Functions" }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Functions");
        await Expect(Page.GetByTestId("functions-table")).ToContainTextAsync(name);
        await ScanAsync("functions");

        await Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync($"Function {name}");
        await Expect(Page.GetByTestId("function-version")).ToContainTextAsync("Version 1");
        await Expect(Page.GetByTestId("next-runs").Locator("li")).ToHaveCountAsync(5);

        // Shown in the schedule's zone (03:00 in Berlin, +01:00 or +02:00), also with invariant globalization.
        await Expect(Page.GetByTestId("next-runs").Locator("li").First).ToContainTextAsync(new Regex(@"03:00:00 \+0[12]:00 \("));

        // Tab indents inside the editor; Escape, then Tab, leaves it.
        var editor = Page.Locator("#function-code");

        // The stylesheet's rules apply: the editor spans the page's content (an unclosed rule before it once left it a
        // bare 150-pixel textarea without a border).
        Assert.True(await editor.EvaluateAsync<double>("el => el.getBoundingClientRect().width") > 600, "the code editor is not laid out by app.css");
        Assert.Equal("monospace", await editor.EvaluateAsync<string>("el => getComputedStyle(el).fontFamily.split(',').pop().trim()"));
        await editor.FocusAsync();
        await editor.EvaluateAsync("el => el.setSelectionRange(0, 0)");
        await Page.Keyboard.PressAsync("Tab");
        await Expect(editor).ToHaveValueAsync("  " + Code);
        await Page.Keyboard.PressAsync("Escape");
        await Page.Keyboard.PressAsync("Tab");
        await Expect(editor).Not.ToBeFocusedAsync();

        await FillAsync(editor, "export default async function (ctx) {\n  return )\n}");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("code-error")).ToContainTextAsync("Line 2");
        await Expect(Page.Locator("#function-code")).ToHaveAttributeAsync("aria-invalid", "true");

        await FillAsync(Page.Locator("#function-code"), Code);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("function-version")).ToContainTextAsync("Version 2");
        await Expect(Page.GetByTestId("code-error")).ToHaveCountAsync(0);
        await ScanAsync("function-editor");

        await Page.Locator(".mud-tab", new() { HasText = "Run now" }).ClickAsync();
        await FillAsync(Page.Locator("#run-args"), """{"name":"Ada"}""");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Run now", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("run-status")).ToHaveTextAsync("succeeded");
        await Expect(Page.GetByTestId("run-output")).ToContainTextAsync("Hello, Ada");
        await Expect(Page.GetByTestId("run-logs")).ToContainTextAsync("hello Ada");
        await ScanAsync("function-run");

        await Page.Locator(".mud-tab", new() { HasText = "History" }).ClickAsync();
        await Expect(Page.GetByTestId("history")).ToContainTextAsync("manual");

        await Page.Locator(".mud-tab", new() { HasText = "Versions" }).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Diff", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("version-diff")).ToContainTextAsync("return { greeting");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Roll back to 1" }).ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Roll back", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("function-version")).ToContainTextAsync("Version 3");
        await ScanAsync("function-versions");

        // Secrets: set one (its value is never shown), then delete it.
        var secret = "S_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        await Page.GetByRole(AriaRole.Link, new() { Name = "All functions" }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Functions");
        await FillAsync(Page.Locator("#secret-name"), secret);
        await FillAsync(Page.Locator("#secret-value"), "very-secret-value");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Set secret" }).ClickAsync();
        await Expect(Page.GetByTestId("secrets-table")).ToContainTextAsync(secret);
        await Expect(Page.GetByText("very-secret-value")).ToHaveCountAsync(0);
        await Page.GetByRole(AriaRole.Button, new() { Name = $"Delete secret {secret}" }).ClickAsync();
        await Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("secrets-empty")).ToBeVisibleAsync();
    }
}
