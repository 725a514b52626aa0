using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Admin.Tests.Browser;

/// <summary>The documents page against the real server: paging, filter errors, count, If-Match edits and bulk.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DocumentsJourneyTests(BrowserFixture browser, DashboardServer server) : BrowserTest(browser), IClassFixture<DashboardServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Documents_PagesFilters_EditsWithConflicts_AndBulkUpdates()
    {
        var name = "docs" + Guid.NewGuid().ToString("N")[..10];
        using var admin = await server.Server.CreateAdminClientAsync(Ct);
        (await admin.PostAsJsonAsync("/api/admin/collections", new { name }, Ct)).EnsureSuccessStatusCode();
        for (var i = 0; i < 60; i++)
        {
            (await admin.PostAsJsonAsync($"/api/collections/{name}/documents", new { _id = $"d{i:D3}", n = i, title = $"todo {i}" }, Ct)).EnsureSuccessStatusCode();
        }

        await SignInAsync(server.AdminUrl);
        await Page.GetByRole(AriaRole.Link, new() { Name = "Documents" }).ClickAsync();
        await Expect(Heading(Page)).ToHaveTextAsync("Documents");
        await Page.GetByTestId("documents-collection").SelectOptionAsync(name);
        await Expect(Page).ToHaveURLAsync(new Regex($"/admin/collections/{name}/documents$"));

        // One page of 50, then the rest by the cursor; no count until asked. The table draws only the rows in its
        // view, so the loaded number is read from its status row, not by counting rows.
        var rows = Page.GetByTestId("documents-row");
        await Expect(Page.GetByTestId("documents-loaded")).ToHaveTextAsync("50 loaded; more below: scroll here or press Load more.");
        await Expect(rows.First).ToContainTextAsync("d000");
        await Expect(Page.GetByTestId("documents-count")).ToHaveCountAsync(0);
        await Page.GetByTestId("documents-more").ClickAsync();
        await Expect(Page.GetByTestId("documents-loaded")).ToHaveTextAsync("60 loaded, the end of the list.");
        await Expect(Page.GetByTestId("documents-more")).ToHaveCountAsync(0);

        // Server-side sort: descending by n puts d059 first.
        await Page.GetByTestId("sort-n").ClickAsync();
        await Page.GetByTestId("sort-n").ClickAsync();
        await Expect(rows.First).ToContainTextAsync("d059");

        // A filter the server refuses shows its problem under the box; a good one filters.
        await FillAsync(Page.GetByTestId("documents-filter"), """{"n":{"$bogus":1}}""");
        await Page.GetByTestId("documents-apply").ClickAsync();
        await Expect(Page.GetByTestId("documents-filter-error")).ToBeVisibleAsync();
        await FillAsync(Page.GetByTestId("documents-filter"), """{"n":{"$lt":5}}""");
        await Page.GetByTestId("documents-apply").ClickAsync();
        await Expect(rows).ToHaveCountAsync(5);
        await Expect(Page.GetByTestId("documents-filter-error")).ToHaveCountAsync(0);
        await Page.GetByTestId("documents-count-button").ClickAsync();
        await Expect(Page.GetByTestId("documents-count")).ToContainTextAsync("5 matching");

        // Edit with If-Match: a change made meanwhile is a conflict that shows the server's version.
        await Page.GetByRole(AriaRole.Button, new() { Name = "Open d000" }).ClickAsync();
        await Expect(Page.GetByTestId("documents-editor-json")).ToHaveValueAsync(new Regex("todo 0"));
        (await admin.PatchAsJsonAsync($"/api/collections/{name}/documents/d000", new { title = "changed elsewhere" }, Ct)).EnsureSuccessStatusCode();
        await FillAsync(Page.GetByTestId("documents-editor-json"), """{"n":0,"title":"mine"}""");
        await Page.GetByTestId("documents-save").ClickAsync();
        await Expect(Page.GetByTestId("documents-conflict")).ToContainTextAsync("changed elsewhere");
        await ScanAsync("documents-conflict");
        await Page.GetByTestId("documents-conflict-reload").ClickAsync();
        await FillAsync(Page.GetByTestId("documents-editor-json"), """{"n":0,"title":"mine"}""");
        await Page.GetByTestId("documents-save").ClickAsync();
        await Expect(Page.GetByTestId("documents-table")).ToContainTextAsync("mine");
        await Page.GetByTestId("documents-editor-json").PressAsync("Escape");
        await Expect(Page.GetByTestId("documents-editor")).ToHaveCountAsync(0);

        // Bulk update by the current filter: a dry run count, then the change.
        await FillAsync(Page.GetByTestId("documents-bulk-update"), """{"$set":{"archived":true}}""");
        await Page.GetByTestId("documents-bulk-update-dry").ClickAsync();
        await Expect(Page.GetByTestId("documents-bulk-plan")).ToContainTextAsync("Update 5 matching");
        await Page.GetByTestId("documents-bulk-confirm").ClickAsync();
        await Expect(Page.GetByTestId("documents-bulk-done")).ToContainTextAsync("Changed 5");
        await Expect(Page.GetByTestId("sort-archived")).ToBeVisibleAsync();
        await ScanAsync("documents");
    }

    [Fact]
    public async Task Documents_DrawOnlyTheRowsInView_AndLoadTheNextPagesAsTheEndScrollsIntoView()
    {
        const int total = 500;
        var name = "virt" + Guid.NewGuid().ToString("N")[..10];
        using (var admin = await server.Server.CreateAdminClientAsync(Ct))
        {
            (await admin.PostAsJsonAsync("/api/admin/collections", new { name }, Ct)).EnsureSuccessStatusCode();
            var ndjson = string.Concat(Enumerable.Range(0, total).Select(i => $"{{\"_id\":\"v{i:D3}\",\"n\":{i}}}\n"));
            using var content = new StringContent(ndjson, System.Text.Encoding.UTF8, "application/x-ndjson");
            var imported = await admin.PostAsync($"/api/admin/collections/{name}/import?format=ndjson", content, Ct);
            imported.EnsureSuccessStatusCode();
        }

        await SignInAsync(server.AdminUrl, path: $"collections/{name}/documents");
        await Expect(Heading(Page)).ToHaveTextAsync("Documents");
        var loaded = Page.GetByTestId("documents-loaded");
        await Expect(loaded).ToContainTextAsync("50 loaded");

        // Scroll the table's own box to its end until every page is in: each time the status row comes into view
        // the next keyset page loads, without pressing anything.
        var scroller = Page.Locator("[data-testid=documents-table] .mud-table-container");
        for (var i = 0; i < 40 && await loaded.TextContentAsync() != $"{total} loaded, the end of the list."; i++)
        {
            await scroller.EvaluateAsync("box => box.scrollTop = box.scrollHeight");
            await Page.WaitForTimeoutAsync(250);
        }

        await Expect(loaded).ToHaveTextAsync($"{total} loaded, the end of the list.");
        await scroller.EvaluateAsync("box => box.scrollTop = box.scrollHeight");
        await scroller.ScrollIntoViewIfNeededAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Open v499", Exact = true })).ToBeInViewportAsync();
        var drawn = await Page.GetByTestId("documents-row").CountAsync();
        Assert.InRange(drawn, 1, total / 5);
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Open v000", Exact = true })).ToHaveCountAsync(0);

        // The header stays at the top of the box while its rows scroll under it.
        var header = await Page.GetByTestId("sort-_id").BoundingBoxAsync();
        var box = await scroller.BoundingBoxAsync();
        Assert.NotNull(header);
        Assert.NotNull(box);
        Assert.InRange(header.Y - box.Y, -1, 40);

        // By keyboard: the last row's button takes focus and Enter opens it; Home scrolls the box back to the first
        // row, which is drawn again.
        var last = Page.GetByRole(AriaRole.Button, new() { Name = "Open v499", Exact = true });
        await last.FocusAsync();
        await Page.Keyboard.PressAsync("Enter");
        await Expect(Page.GetByTestId("documents-editor")).ToContainTextAsync("Document v499");
        await Page.GetByTestId("documents-cancel").ClickAsync();
        await last.FocusAsync();
        await Page.Keyboard.PressAsync("Home");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Open v000", Exact = true })).ToBeVisibleAsync();
        Assert.InRange(await Page.GetByTestId("documents-row").CountAsync(), 1, total / 5);

        // Tab walks the rows in order past the ones first drawn: each focus scrolls the box and the rows below are drawn.
        await Page.GetByRole(AriaRole.Button, new() { Name = "Open v000", Exact = true }).FocusAsync();
        for (var i = 1; i <= 60; i++)
        {
            await Page.Keyboard.PressAsync("Tab");
            await Expect(Page.GetByRole(AriaRole.Button, new() { Name = $"Open v{i:D3}", Exact = true })).ToBeFocusedAsync();
        }

        Assert.InRange(await Page.GetByTestId("documents-row").CountAsync(), 1, total / 5);

        // Tab from the last row drawn, pressed before Virtualize could draw the rows below it, goes to the next row
        // instead of leaving the table.
        for (var round = 0; round < 3; round++)
        {
            var lastDrawn = Page.GetByTestId("documents-row").Last.Locator("button");
            var id = await lastDrawn.TextContentAsync();
            Assert.NotNull(id);
            await lastDrawn.EvaluateAsync("button => button.focus()");
            await Page.Keyboard.PressAsync("Tab");
            var next = $"v{int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture) + 1:D3}";
            await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Open " + next, Exact = true })).ToBeFocusedAsync();
        }

        // And Shift+Tab from the first row drawn goes to the row above it.
        var firstDrawn = Page.GetByTestId("documents-row").First.Locator("button");
        var firstId = await firstDrawn.TextContentAsync();
        Assert.NotNull(firstId);
        Assert.NotEqual("v000", firstId);
        await firstDrawn.EvaluateAsync("button => button.focus()");
        await Page.Keyboard.PressAsync("Shift+Tab");
        var above = $"v{int.Parse(firstId[1..], System.Globalization.CultureInfo.InvariantCulture) - 1:D3}";
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Open " + above, Exact = true })).ToBeFocusedAsync();

        await ScanAsync("documents-virtualized", docsImage: false);
    }

    [Fact]
    public async Task Documents_ImportsAFileWithRowErrors_AndExportsTheFilter()
    {
        var name = "imp" + Guid.NewGuid().ToString("N")[..10];
        using (var admin = await server.Server.CreateAdminClientAsync(Ct))
        {
            (await admin.PostAsJsonAsync("/api/admin/collections", new { name }, Ct)).EnsureSuccessStatusCode();
        }

        await SignInAsync(server.AdminUrl, path: $"collections/{name}/documents");
        await Expect(Heading(Page)).ToHaveTextAsync("Documents");
        await Expect(Page.GetByTestId("documents-empty")).ToBeVisibleAsync();

        var rows = "{\"_id\":\"i1\",\"kind\":\"a\"}\n{not json\n{\"_id\":\"i2\",\"kind\":\"b\"}\n{\"_id\":\"i3\",\"kind\":\"a\"}\n";
        await Page.GetByTestId("documents-import-file").SetInputFilesAsync(new FilePayload
        {
            Name = "rows.ndjson",
            MimeType = "application/x-ndjson",
            Buffer = System.Text.Encoding.UTF8.GetBytes(rows),
        });
        await Page.GetByTestId("documents-import-start").ClickAsync();
        await Expect(Page.GetByTestId("documents-import-result")).ToContainTextAsync("Inserted 3, updated 0, failed 1");
        await Expect(Page.GetByTestId("documents-import-errors")).ToContainTextAsync("malformed_json");
        await Expect(Page.GetByTestId("documents-row")).ToHaveCountAsync(3);
        await ScanAsync("documents-import");

        await FillAsync(Page.GetByTestId("documents-filter"), """{"kind":"a"}""");
        await Page.GetByTestId("documents-apply").ClickAsync();
        await Expect(Page.GetByTestId("documents-row")).ToHaveCountAsync(2);
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.GetByTestId("documents-export-ndjson").ClickAsync());
        Assert.Equal($"{name}.ndjson", download.SuggestedFilename);
        Assert.DoesNotContain("token", download.Url, StringComparison.OrdinalIgnoreCase);
        var lines = (await File.ReadAllLinesAsync(await download.PathAsync(), Ct)).Where(l => l.Length > 0).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Contains("\"kind\":\"a\"", l, StringComparison.Ordinal));
    }
}
