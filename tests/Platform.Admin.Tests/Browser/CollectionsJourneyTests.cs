using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Admin.Tests.Browser;

/// <summary>
/// The collections pages end to end: create, the list's counts, schema with its check, rules with an inline error, the
/// simulator, delete; and a save refused because the collection changed behind the editor's back.
/// </summary>
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

    [Fact]
    public async Task Collection_SavedByAnotherAdminWhileEdited_ShowsBothVersions_AndSavesAfterReload()
    {
        var name = "conf" + Guid.NewGuid().ToString("N")[..10];
        using var admin = await server.Server.CreateAdminClientAsync(Ct);
        (await admin.PostAsJsonAsync("/api/admin/collections", new { name, rules = new { list = "true" } }, Ct)).EnsureSuccessStatusCode();
        await SignInAsync(server.AdminUrl, path: $"collections/{name}");
        await Expect(Heading(Page)).ToHaveTextAsync($"Collection {name}");
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Rules" }).ClickAsync();
        await Page.Locator("#rule-get").FillAsync("auth != null");

        // Another admin adds an index meanwhile: the page still holds version 1.
        using (var changed = await admin.PutAsJsonAsync($"/api/admin/collections/{name}", new { rules = new { list = "true" }, indexes = new[] { new { fields = new[] { "done" } } } }, Ct))
        {
            changed.EnsureSuccessStatusCode();
            Assert.Equal("\"2\"", changed.Headers.ETag!.ToString());
        }

        await Page.GetByTestId("rules-save").ClickAsync();
        await Expect(Page.GetByTestId("edit-conflict")).ToContainTextAsync("you opened version 1; it is now at version 2");
        await Expect(Page.Locator("#rule-get")).ToHaveValueAsync("auth != null");
        await ScanAsync("collection-conflict", docsImage: false);

        await Page.GetByTestId("conflict-reload").ClickAsync();
        await Expect(Page.GetByTestId("edit-conflict-reloaded")).ToContainTextAsync("Loaded version 2");
        await Expect(Page.Locator("#rule-get")).ToHaveValueAsync("auth != null");
        await Page.GetByTestId("rules-save").ClickAsync();
        await Expect(Page.GetByText($"Collection {name} saved.")).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("edit-conflict-reloaded")).ToHaveCountAsync(0);

        // Both changes are kept: theirs (the index) and the rule typed here, as version 3.
        using var read = await admin.GetAsync($"/api/admin/collections/{name}", Ct);
        var stored = await read.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(Ct);
        Assert.Equal(("\"3\"", "auth != null", "done"), (read.Headers.ETag!.ToString(), stored!["rules"]!["get"]!.GetValue<string>(), stored["indexes"]![0]!["fields"]![0]!.GetValue<string>()));
    }
}
