using System.Net;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Platform.Admin.Components;
using Platform.Admin.Pages;
using Platform.Admin.Services;
using Platform.Admin.Tests.Infrastructure;
using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Tests.Pages;

/// <summary>The documents page over the real service and SDK and a stubbed API.</summary>
public sealed class DocumentsPageTests : DashboardTestContext
{
    private static JsonObject Doc(string id, long version, string title) => new()
    {
        ["_id"] = id,
        ["_version"] = version,
        ["_createdAt"] = "2026-01-02T03:04:05Z",
        ["_updatedAt"] = "2026-01-02T03:04:05Z",
        ["title"] = title,
    };

    private async Task<IRenderedComponent<Documents>> OpenTodosAsync(Func<JsonObject, (HttpStatusCode, JsonNode?)> query)
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[{"name":"todos"}]}"""))
            .On(HttpMethod.Get, "/api/admin/collections/todos", HttpStatusCode.OK, JsonNode.Parse("""{"name":"todos"}"""))
            .On(HttpMethod.Post, "/api/collections/todos/query", request =>
                query(JsonNode.Parse(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult())!.AsObject()));
        return Render<Documents>(p => p.Add(x => x.Name, "todos"));
    }

    [Fact]
    public async Task ListsOnePage_WithDiscoveredColumns_ThenLoadsMoreByCursor_WithoutCounting()
    {
        var page = await OpenTodosAsync(body => body["cursor"] is null
            ? (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Doc("a", 1, "first"), Doc("b", 1, "second")), ["nextCursor"] = "c1" })
            : (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Doc("c", 1, "third")) }));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=documents-row]").Count));
        Assert.NotNull(page.Find("[data-testid=sort-title]"));
        page.Find("[data-testid=documents-more]").Click();

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=documents-row]").Count));
        Assert.Empty(page.FindAll("[data-testid=documents-more]"));
        var queries = Api.Requests.Where(r => r.PathAndQuery == "/api/collections/todos/query").Select(r => JsonNode.Parse(r.Body!)!).ToList();
        Assert.Equal(2, queries.Count);
        Assert.All(queries, q => Assert.Null(q["count"]));
        Assert.All(queries, q => Assert.Equal(DocumentsService.PageSize, q["limit"]!.GetValue<int>()));
        Assert.Equal("c1", queries[1]["cursor"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheEndOfTheListInView_LoadsTheNextKeysetPage_UntilTheLast_AndARowClickOpensIt()
    {
        var page = await OpenTodosAsync(body => body["cursor"]?.GetValue<string>() switch
        {
            null => (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Doc("a", 1, "first"), Doc("b", 1, "second")), ["nextCursor"] = "c1" }),
            "c1" => (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Doc("c", 1, "third")), ["nextCursor"] = "c2" }),
            _ => (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Doc("d", 1, "fourth")) }),
        });
        page.WaitForAssertion(() => Assert.Equal("2 loaded; more below: scroll here or press Load more.", page.Find("[data-testid=documents-loaded]").TextContent));
        var table = page.FindComponent<DocumentsTable>();

        // What the script calls when the status row after the last rendered row scrolls into view.
        Assert.True(await page.InvokeAsync(() => table.Instance.EndInViewAsync()));
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=documents-row]").Count));
        Assert.True(await page.InvokeAsync(() => table.Instance.EndInViewAsync()));
        page.WaitForAssertion(() => Assert.Equal("4 loaded, the end of the list.", page.Find("[data-testid=documents-loaded]").TextContent));
        Assert.False(await page.InvokeAsync(() => table.Instance.EndInViewAsync()));
        var cursors = Api.Requests.Where(r => r.PathAndQuery == "/api/collections/todos/query").Select(r => JsonNode.Parse(r.Body!)!["cursor"]?.GetValue<string>()).ToList();
        Assert.Equal([null, "c1", "c2"], cursors);
        Assert.Empty(page.FindAll("[data-testid=documents-more]"));

        // A click anywhere on a row opens it, as its id button does.
        Api.On(HttpMethod.Get, "/api/collections/todos/documents/c", HttpStatusCode.OK, Doc("c", 1, "third"));
        page.FindAll("[data-testid=documents-row]")[2].QuerySelectorAll("td")[2].Click();
        page.WaitForAssertion(() => Assert.Contains("Document c", page.Find("[data-testid=documents-editor]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sorting_AndCounting_AreServerSide_AndTheCountOnlyOnClick()
    {
        var page = await OpenTodosAsync(body => body["count"] is not null
            ? (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(), ["count"] = 12345 })
            : (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Doc("a", 1, "first")), ["nextCursor"] = "c1" }));
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=documents-row]")));

        page.Find("[data-testid=sort-title]").Click();
        page.WaitForAssertion(() => Assert.Contains("▲", page.Find("[data-testid=sort-title]").TextContent, StringComparison.Ordinal));
        page.Find("[data-testid=sort-title]").Click();
        page.WaitForAssertion(() => Assert.Contains("▼", page.Find("[data-testid=sort-title]").TextContent, StringComparison.Ordinal));
        page.Find("[data-testid=documents-count-button]").Click();

        page.WaitForAssertion(() => Assert.Contains("12,345", page.Find("[data-testid=documents-count]").TextContent, StringComparison.Ordinal));
        var queries = Api.Requests.Where(r => r.PathAndQuery == "/api/collections/todos/query").Select(r => JsonNode.Parse(r.Body!)!).ToList();
        Assert.Equal("title", queries[1]["sort"]![0]!.GetValue<string>());
        Assert.Equal("-title", queries[2]["sort"]![0]!.GetValue<string>());
        Assert.Null(queries[2]["cursor"]);
        Assert.Single(queries, q => q["count"] is not null);
    }

    [Fact]
    public async Task ABadFilter_ShowsTheServersProblem_UnderTheBox()
    {
        var page = await OpenTodosAsync(body => body["filter"]!.AsObject().Count == 0
            ? (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray() })
            : (HttpStatusCode.BadRequest, new JsonObject
            {
                ["status"] = 400,
                ["code"] = "unknown_operator",
                ["detail"] = "Unknown operator $bogus.",
                ["errors"] = new JsonArray(new JsonObject { ["path"] = "filter.done", ["message"] = "no such operator", ["position"] = 9 }),
            }));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=documents-empty]")));

        page.Find("[data-testid=documents-filter]").Change("""{"done":{"$bogus":1}}""");
        page.Find("[data-testid=documents-filter-form]").Submit();

        page.WaitForAssertion(() =>
        {
            var error = page.Find("[data-testid=documents-filter-error]").TextContent;
            Assert.Contains("Unknown operator $bogus.", error, StringComparison.Ordinal);
            Assert.Contains("filter.done", error, StringComparison.Ordinal);
            Assert.Contains("position 9", error, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task InvalidJsonInTheFilter_IsShown_AndNotSent()
    {
        var page = await OpenTodosAsync(_ => (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray() }));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=documents-empty]")));
        var before = Api.Requests.Count;

        page.Find("[data-testid=documents-filter]").Change("{\"done\":");
        page.Find("[data-testid=documents-filter-form]").Submit();

        page.WaitForAssertion(() => Assert.Contains("Not valid JSON", page.Find("[data-testid=documents-filter-error]").TextContent, StringComparison.Ordinal));
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task Saving_SendsIfMatch_AndAConflictShowsTheServerVersion_WithoutOverwriting()
    {
        var reads = 0;
        string? ifMatch = null;
        var page = await OpenTodosAsync(_ => (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Doc("a", 1, "first")) }));
        Api.On(HttpMethod.Get, "/api/collections/todos/documents/a", _ => (HttpStatusCode.OK, Interlocked.Increment(ref reads) == 1 ? Doc("a", 1, "first") : Doc("a", 2, "changed elsewhere")))
            .On(HttpMethod.Put, "/api/collections/todos/documents/a", request =>
            {
                ifMatch = request.Headers.IfMatch.ToString();
                return (HttpStatusCode.PreconditionFailed, StubApi.Problem(412, "version_mismatch", "The document changed; it is at version 2."));
            });
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=documents-row]")));

        page.Find("[data-testid=documents-row] button").Click();
        page.WaitForAssertion(() => Assert.Contains("first", page.Find("[data-testid=documents-editor-json]").GetAttribute("value") ?? page.Find("[data-testid=documents-editor-json]").TextContent, StringComparison.Ordinal));
        page.Find("[data-testid=documents-editor-json]").Change("""{"title":"mine"}""");
        page.Find("[data-testid=documents-save]").Click();

        page.WaitForAssertion(() => Assert.Contains("changed elsewhere", page.Find("[data-testid=documents-conflict]").TextContent, StringComparison.Ordinal));
        Assert.Equal("\"1\"", ifMatch);
        Assert.Contains("mine", page.Find("[data-testid=documents-editor-json]").GetAttribute("value") ?? "", StringComparison.Ordinal);
        Assert.Contains("first", page.Find("[data-testid=documents-table]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_AsksFirst_ThenDeletesWithIfMatch()
    {
        string? ifMatch = null;
        var page = await OpenTodosAsync(_ => (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Doc("a", 4, "first")) }));
        Api.On(HttpMethod.Get, "/api/collections/todos/documents/a", HttpStatusCode.OK, Doc("a", 4, "first"))
            .On(HttpMethod.Delete, "/api/collections/todos/documents/a", request =>
            {
                ifMatch = request.Headers.IfMatch.ToString();
                return (HttpStatusCode.NoContent, null);
            });
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=documents-row]")));
        page.Find("[data-testid=documents-row] button").Click();
        page.WaitForAssertion(() => page.Find("[data-testid=documents-delete]").Click());
        Assert.Null(ifMatch);

        page.Find("[data-testid=documents-delete-confirm]").Click();

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=documents-row]")));
        Assert.Equal("\"4\"", ifMatch);
        Assert.Empty(page.FindAll("[data-testid=documents-editor]"));
    }

    [Fact]
    public async Task BulkUpdate_DryRunsFirst_ThenRunsOnConfirm()
    {
        var page = await OpenTodosAsync(_ => (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(Doc("a", 1, "first")) }));
        Api.On(HttpMethod.Post, "/api/admin/collections/todos/bulk", request =>
        {
            var body = JsonNode.Parse(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult())!;
            Assert.Equal("update", body["action"]!.GetValue<string>());
            Assert.True(body["update"]!["$set"]!["archived"]!.GetValue<bool>());
            return body["dryRun"]!.GetValue<bool>()
                ? (HttpStatusCode.OK, JsonNode.Parse("""{"matched":7,"modified":0,"dryRun":true}"""))
                : (HttpStatusCode.OK, JsonNode.Parse("""{"matched":7,"modified":7,"dryRun":false}"""));
        });
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=documents-row]")));

        page.Find("[data-testid=documents-bulk-update]").Change("""{"$set":{"archived":true}}""");
        page.Find("[data-testid=documents-bulk-update-dry]").Click();
        page.WaitForAssertion(() => Assert.Contains("Update 7 matching", page.Find("[data-testid=documents-bulk-plan]").TextContent, StringComparison.Ordinal));
        Assert.Single(Api.Requests, r => r.PathAndQuery.EndsWith("/bulk", StringComparison.Ordinal));

        page.Find("[data-testid=documents-bulk-confirm]").Click();

        page.WaitForAssertion(() => Assert.Contains("Changed 7", page.Find("[data-testid=documents-bulk-done]").TextContent, StringComparison.Ordinal));
        Assert.Equal(2, Api.Requests.Count(r => r.PathAndQuery.EndsWith("/bulk", StringComparison.Ordinal)));
    }

    [Fact]
    public void Columns_ComeFromTheSchema_ElseFromTheLoadedDocuments()
    {
        var docs = new[]
        {
            new Document<JsonObject>("a", 1, default, default, null, new JsonObject { ["x"] = 1, ["y"] = 2 }),
            new Document<JsonObject>("b", 1, default, default, null, new JsonObject { ["z"] = 3, ["x"] = 4 }),
        };
        var schema = JsonNode.Parse("""{"type":"object","properties":{"title":{"type":"string"},"done":{"type":"boolean"}}}""")!.AsObject();

        Assert.Equal(["title", "done"], DocumentsService.Columns(schema, docs));
        Assert.Equal(["x", "y", "z"], DocumentsService.Columns(null, docs));
        Assert.Equal("", DocumentsService.Cell(null));
        Assert.Equal("{\"a\":1}", DocumentsService.Cell(new JsonObject { ["a"] = 1 }));
        Assert.Equal(80, DocumentsService.Cell(new string('x', 200)).Length);
    }

    [Fact]
    public async Task Import_SendsTheFileInTheChosenMode_AndShowsTheRowErrors()
    {
        string? uploaded = null;
        var page = await OpenTodosAsync(_ => (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray() }));
        Api.On(HttpMethod.Post, "/api/admin/collections/todos/import?format=ndjson&mode=upsert", request =>
        {
            uploaded = request.Content!.ReadAsStringAsync().GetAwaiter().GetResult();
            return (HttpStatusCode.OK, JsonNode.Parse("""{"inserted":1,"updated":0,"failed":1,"errors":[{"row":2,"code":"malformed_json","message":"Not JSON."}],"complete":true}"""));
        });
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=documents-empty]")));

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("{\"title\":\"a\"}\n{oops\n", "rows.ndjson"));
        page.Find("[data-testid=documents-import-mode]").Change(nameof(Platform.Sdk.Admin.ImportMode.Upsert));
        page.Find("[data-testid=documents-import-start]").Click();

        page.WaitForAssertion(() => Assert.Contains("Inserted 1, updated 0, failed 1.", page.Find("[data-testid=documents-import-result]").TextContent, StringComparison.Ordinal));
        Assert.Contains("malformed_json", page.Find("[data-testid=documents-import-errors]").TextContent, StringComparison.Ordinal);
        Assert.Equal("{\"title\":\"a\"}\n{oops\n", uploaded);
    }

    [Fact]
    public async Task Export_FetchesTheCurrentFilter_AndSavesItThroughTheBrowser()
    {
        JSInterop.SetupVoid("baasAdmin.saveFile", _ => true).SetVoidResult();
        var page = await OpenTodosAsync(_ => (HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray() }));
        var filter = Uri.EscapeDataString("""{"done":true}""");
        Api.On(HttpMethod.Get, $"/api/admin/collections/todos/export?format=csv&filter={filter}", HttpStatusCode.OK, JsonValue.Create("_id,done"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=documents-empty]")));
        page.Find("[data-testid=documents-filter]").Change("""{"done":true}""");
        page.Find("[data-testid=documents-filter-form]").Submit();
        page.WaitForAssertion(() => Assert.Equal(2, Api.Requests.Count(r => r.PathAndQuery == "/api/collections/todos/query")));

        page.Find("[data-testid=documents-export-csv]").Click();

        page.WaitForAssertion(() =>
        {
            var save = Assert.Single(JSInterop.Invocations, i => i.Identifier == "baasAdmin.saveFile");
            Assert.Equal("todos.csv", save.Arguments[0]);
            Assert.Equal("text/csv", save.Arguments[1]);
        });
        Assert.DoesNotContain(Api.Requests, r => r.PathAndQuery.Contains("token", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ProgressStream_ReportsWhatWasRead()
    {
        var reports = new List<long>();
        await using var stream = new ProgressStream(new MemoryStream(new byte[1000]), reports.Add, length: 1000);
        var buffer = new byte[300];
        while (await stream.ReadAsync(buffer, Xunit.TestContext.Current.CancellationToken) > 0)
        {
        }

        Assert.Equal([300, 600, 900, 1000, 1000], reports);
        Assert.Equal(ImportFormat.Csv, DocumentsService.FormatOf("people.CSV"));
        Assert.Equal(ImportFormat.Json, DocumentsService.FormatOf("a.json"));
        Assert.Equal(ImportFormat.Ndjson, DocumentsService.FormatOf("a.jsonl"));
        Assert.Equal("1.5 KiB", Formats.Bytes(1536));
    }
}
