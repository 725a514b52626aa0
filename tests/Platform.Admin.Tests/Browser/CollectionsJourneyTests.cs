using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Admin.Tests.Browser;

/// <summary>The collections pages end to end: create, the list's counts, schema with its check, rules with an inline error, the simulator, delete.</summary>
[Collection(BrowserCollection.Name)]
public sealed class CollectionsJourneyTests(BrowserFixture browser, DashboardServer server) : BrowserTest(browser), IClassFixture<DashboardServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Collections_CreateCheckSchemaRulesSimulateDelete()
    {
        var name = "coll" + Guid.NewGuid().ToString("N")[..10];
        await SignInAsync(server.AdminUrl, path: "collections");
        await Expect(Heading(Page)).ToHaveTextAsync("Collections");

        // Create it from the list, then add two documents through the API.
        await FillAsync(Page.Locator("#new-collection-name"), name);
        await Page.GetByRole(AriaRole.Button, new() { Name = "New collection", Exact = true }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync($"Collection {name}");
        using (var admin = await server.Server.CreateAdminClientAsync(Ct))
        {
            (await admin.PostAsJsonAsync($"/api/collections/{name}/documents", new { title = "ok" }, Ct)).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync($"/api/collections/{name}/documents", new { title = "far too long" }, Ct)).EnsureSuccessStatusCode();
        }

        // Schema: one field with a max length that one stored document breaks; the check says so before saving.
        await Page.GetByText("Enforce a JSON Schema on every write").ClickAsync();
        await Page.GetByTestId("f-add").ClickAsync();
        await FillAsync(Page.Locator("#f-0-name"), "title");
        await FillAsync(Page.Locator("#f-0-maxlength"), "3");
        await Page.GetByTestId("schema-save").ClickAsync();
        await Expect(Page.GetByTestId("schema-check")).ToContainTextAsync("1 of 2 stored documents would fail");
        await ScanAsync("collection-schema");
        await Page.GetByTestId("schema-confirm").ClickAsync();
        await Expect(Page.GetByText($"Collection {name} saved.")).ToBeVisibleAsync();

        // The list counts every collection as it opens: the two documents, without pressing anything.
        await Page.GetByRole(AriaRole.Link, new() { Name = "Collections", Exact = true }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Collections");
        await Expect(Page.GetByTestId($"count-{name}")).ToHaveTextAsync("2");
        await ScanAsync("collections-counted");
        await Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync($"Collection {name}");

        // Rules: a rule that does not compile is shown under its field; the simulator tests the typed rules.
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Rules" }).ClickAsync();
        await Page.Locator("#rule-get").FillAsync("auth != null &&");
        await Page.GetByTestId("rules-save").ClickAsync();
        await Expect(Page.GetByTestId("rule-error-get")).ToContainTextAsync("at character");
        await Page.Locator("#rule-get").FillAsync("auth != null");
        await Page.GetByTestId("sim-run").ClickAsync();
        await Expect(Page.GetByTestId("sim-result")).ToContainTextAsync("Denied");
        await ScanAsync("collection-rules");

        // Delete: only once the name is typed.
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Delete" }).ClickAsync();
        await Expect(Page.GetByTestId("delete-collection")).ToBeDisabledAsync();
        await Page.Locator("#delete-confirm").FillAsync(name);
        await Page.GetByTestId("delete-collection").ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Collections");
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToHaveCountAsync(0);
        await ScanAsync("collections");
    }
}
