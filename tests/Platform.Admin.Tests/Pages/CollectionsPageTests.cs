using System.Net;
using System.Text.Json.Nodes;
using Bunit;
using MudBlazor;
using Platform.Admin.Pages;
using Platform.Admin.Tests.Infrastructure;

namespace Platform.Admin.Tests.Pages;

/// <summary>The collections list and a collection's page (schema, indexes, rules, simulator, delete) over a stubbed API.</summary>
public sealed class CollectionsPageTests : DashboardTestContext
{
    private const string Todos = """
        { "name": "todos",
          "schema": { "type": "object", "properties": { "title": { "type": "string" } }, "required": ["title"] },
          "indexes": [ { "fields": ["ownerId", "-_createdAt"], "unique": false } ],
          "rules": { "list": "auth != null", "get": "true" } }
        """;

    private IRenderedComponent<CollectionDetail> RenderTodos()
    {
        Render<MudPopoverProvider>();
        Api.On(HttpMethod.Get, "/api/admin/collections/todos", HttpStatusCode.OK, JsonNode.Parse(Todos));
        var page = Render<CollectionDetail>(p => p.Add(c => c.Name, "todos"));
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=collection-tabs]")));
        return page;
    }

    [Fact]
    public async Task Collections_ListsIndexesAndRules_AndCountsOnlyWhenAsked()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(JsonNode.Parse(Todos)) })
            .On(HttpMethod.Post, "/api/collections/todos/query", HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":1234}"""));

        var page = Render<Collections>();

        page.WaitForAssertion(() => Assert.Contains("ownerId, -_createdAt", page.Find("[data-testid=collections-table]").TextContent, StringComparison.Ordinal));
        Assert.Contains("list, get", page.Find("[data-testid=collections-table]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(Api.Requests, r => r.PathAndQuery.Contains("/query", StringComparison.Ordinal));

        page.Find("[data-testid=count-todos] button").Click();

        page.WaitForAssertion(() => Assert.Equal("1,234", page.Find("[data-testid=count-todos]").TextContent.Trim()));
    }

    [Fact]
    public async Task Collections_CreatesOne_ThenOpensIt()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""))
            .On(HttpMethod.Post, "/api/admin/collections", HttpStatusCode.Created, JsonNode.Parse("""{"name":"notes"}"""));
        var page = Render<Collections>();
        page.WaitForAssertion(() => page.Find("[data-testid=collections-empty]"));

        page.Find("#new-collection-name").Input("notes");
        page.Find("[data-testid=new-collection]").Submit();

        page.WaitForAssertion(() => Assert.Equal("http://localhost/collections/notes", Navigation.Uri));
        var post = Assert.Single(Api.Requests, r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/collections");
        Assert.Equal("notes", JsonNode.Parse(post.Body!)!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rules_ShowTheServersErrorUnderTheRule_AtItsPosition()
    {
        await SignInAsync();
        var problem = StubApi.Problem(400, "invalid_rule", "A rule does not compile.");
        problem["errors"] = new JsonArray(new JsonObject { ["path"] = "rules.update", ["message"] = "Unexpected '!'.", ["position"] = 5 });
        Api.On(HttpMethod.Put, "/api/admin/collections/todos", HttpStatusCode.BadRequest, problem);
        var page = RenderTodos();
        page.OpenTab("Rules");

        Assert.Equal("auth != null", page.Find("#rule-list").GetAttribute("value"));
        page.Find("#rule-update").Input("auth ! null");
        page.Find("[data-testid=rules-save]").Click();

        page.WaitForAssertion(() => Assert.Contains("Unexpected '!'. (at character 6)", page.Find("[data-testid=rule-error-update]").TextContent, StringComparison.Ordinal));
        Assert.Equal("auth ! null\n     ^", page.Find("[data-testid=rule-error-update] pre").TextContent);
        var put = JsonNode.Parse(Assert.Single(Api.Requests, r => r.Method == HttpMethod.Put).Body!)!;
        Assert.Equal("auth ! null", put["rules"]!["update"]!.GetValue<string>());
        Assert.Equal("title", put["schema"]!["required"]![0]!.GetValue<string>());
        Assert.Equal("-_createdAt", put["indexes"]![0]!["fields"]![1]!.GetValue<string>());

        page.Find("#rule-update").Input("auth != null");
        Assert.Empty(page.FindAll("[data-testid=rule-error-update]"));
    }

    [Fact]
    public async Task Simulator_TestsTheRulesAsTyped_AndShowsTheFilter()
    {
        await SignInAsync();
        Api.On(HttpMethod.Post, "/api/admin/collections/todos/rules/simulate", HttpStatusCode.OK, JsonNode.Parse(
            """{"allowed":true,"reason":"The list rule allows it.","rule":"doc.ownerId == auth.id","filter":{"ownerId":"user-1"}}"""));
        var page = RenderTodos();
        page.OpenTab("Rules");
        page.Find("#rule-list").Input("doc.ownerId == auth.id");

        page.Find("[data-testid=sim-run]").Click();

        page.WaitForAssertion(() => Assert.Contains("Allowed", page.Find("[data-testid=sim-result]").TextContent, StringComparison.Ordinal));
        Assert.Contains("\"ownerId\": \"user-1\"", page.Find("[data-testid=sim-filter]").TextContent, StringComparison.Ordinal);
        var body = JsonNode.Parse(Assert.Single(Api.Requests, r => r.PathAndQuery.EndsWith("/rules/simulate", StringComparison.Ordinal)).Body!)!;
        Assert.Equal("get", body["operation"]!.GetValue<string>());
        Assert.Null(body["auth"]);
        Assert.Equal("doc.ownerId == auth.id", body["rules"]!["list"]!.GetValue<string>());
        Assert.Equal("user-1", body["doc"]!["ownerId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Schema_IsCheckedAgainstStoredDocuments_BeforeItIsSaved()
    {
        await SignInAsync();
        Api.On(HttpMethod.Post, "/api/admin/collections/todos/schema/check", HttpStatusCode.OK, JsonNode.Parse(
                """{"checked":3,"failing":1,"complete":true,"samples":[{"id":"d1","errors":[{"path":"title","message":"Required property."}]}]}"""))
            .On(HttpMethod.Put, "/api/admin/collections/todos", request => (HttpStatusCode.OK, JsonNode.Parse(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult())));
        var page = RenderTodos();

        page.Find("[data-testid=f-add]").Click();
        page.Find("[data-testid=schema-save]").Click();

        page.WaitForAssertion(() => Assert.Contains("1 of 3 stored documents would fail", page.Find("[data-testid=schema-check]").TextContent, StringComparison.Ordinal));
        Assert.Contains("d1: title: Required property.", page.Find("[data-testid=schema-check-samples]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(Api.Requests, r => r.Method == HttpMethod.Put);
        var check = JsonNode.Parse(Assert.Single(Api.Requests, r => r.PathAndQuery.EndsWith("/schema/check", StringComparison.Ordinal)).Body!)!;
        Assert.Equal("string", check["schema"]!["properties"]!["field1"]!["type"]!.GetValue<string>());

        page.Find("[data-testid=schema-confirm]").Click();

        page.WaitForAssertion(() => Assert.Single(Api.Requests, r => r.Method == HttpMethod.Put));
        var put = JsonNode.Parse(Api.Requests.Single(r => r.Method == HttpMethod.Put).Body!)!;
        Assert.True(JsonNode.DeepEquals(check["schema"], put["schema"]));
        Assert.Equal("auth != null", put["rules"]!["list"]!.GetValue<string>());
    }

    [Fact]
    public async Task Schema_JsonView_ShowsInvalidJsonInline_AndFeedsTheVisualView()
    {
        await SignInAsync();
        var page = RenderTodos();
        page.FindAll(".mud-tab").First(t => t.TextContent.Trim() == "JSON").Click();

        page.Find("#schema-json").Input("{ \"type\": \"object\", ");
        page.WaitForAssertion(() => Assert.Contains("Invalid JSON", page.Find("[data-testid=schema-json-error]").TextContent, StringComparison.Ordinal));
        Assert.True(page.Find("[data-testid=schema-save]").HasAttribute("disabled"));

        page.Find("#schema-json").Input("""{ "type": "object", "properties": { "due": { "type": "integer", "minimum": 0 } } }""");
        Assert.Empty(page.FindAll("[data-testid=schema-json-error]"));
        page.FindAll(".mud-tab").First(t => t.TextContent.Trim() == "Visual").Click();
        page.WaitForAssertion(() => Assert.Equal("due", page.Find("#f-0-name").GetAttribute("value")));
        Assert.Equal("0", page.Find("#f-0-min").GetAttribute("value"));
    }

    [Fact]
    public async Task Delete_NeedsTheNameTyped()
    {
        await SignInAsync();
        Api.On(HttpMethod.Delete, "/api/admin/collections/todos", HttpStatusCode.NoContent);
        var page = RenderTodos();
        page.OpenTab("Delete");

        Assert.True(page.Find("[data-testid=delete-collection]").HasAttribute("disabled"));
        page.Find("#delete-confirm").Input("todo");
        Assert.True(page.Find("[data-testid=delete-collection]").HasAttribute("disabled"));
        page.Find("#delete-confirm").Input("todos");
        page.Find("[data-testid=delete-collection]").Click();

        page.WaitForAssertion(() => Assert.Equal("http://localhost/collections", Navigation.Uri));
        Assert.Single(Api.Requests, r => r.Method == HttpMethod.Delete);
    }
}
