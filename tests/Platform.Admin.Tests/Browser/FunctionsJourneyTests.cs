using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Admin.Tests.Browser;

/// <summary>The functions pages against the real server: list, a save refused with the line at fault, a fixed save, a run.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FunctionsJourneyTests(BrowserFixture browser, DashboardServer server) : BrowserTest(browser), IClassFixture<DashboardServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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

        await FillAsync(Page.Locator("#function-code"), "export default async function (ctx) {\n  return )\n}");
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
    }
}
