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
    public async Task Collections_ListsIndexesAndRules_AndCountsEveryCollection_WithoutBeingAsked()
    {
        await SignInAsync();
        var todosCount = new TaskCompletionSource<(HttpStatusCode, JsonNode?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Api.On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray(JsonNode.Parse(Todos), JsonNode.Parse("""{"name":"notes"}""")) })
            .OnLater(HttpMethod.Post, "/api/collections/todos/query", _ => todosCount.Task)
            .On(HttpMethod.Post, "/api/collections/notes/query", HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":5}"""));

        var page = Render<Collections>();

        page.WaitForAssertion(() => Assert.Contains("ownerId, -_createdAt", page.Find("[data-testid=collections-table]").TextContent, StringComparison.Ordinal));
        Assert.Contains("list, get", page.Find("[data-testid=collections-table]").TextContent, StringComparison.Ordinal);
        page.WaitForAssertion(() => Assert.Equal("5", page.Find("[data-testid=count-notes]").TextContent.Trim()));
        Assert.Equal("counting…", page.Find("[data-testid=count-todos]").TextContent.Trim());

        todosCount.SetResult((HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":1234}""")));

        page.WaitForAssertion(() => Assert.Equal("1,234", page.Find("[data-testid=count-todos]").TextContent.Trim()));
        Assert.Empty(page.FindAll("[data-testid=collections-table] button"));
        var count = JsonNode.Parse(Api.Requests.Single(r => r.PathAndQuery == "/api/collections/todos/query").Body!)!;
        Assert.True(count["count"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Collections_ARefusedCount_ShowsWhyInItsCell_AndCanBeCountedAgain()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[{"name":"huge"},{"name":"small"}]}"""))
            .On(HttpMethod.Post, "/api/collections/huge/query", HttpStatusCode.UnprocessableEntity, StubApi.Problem(422, "query_timeout", "The query ran past its time budget of 5000 ms and was stopped."))
            .On(HttpMethod.Post, "/api/collections/small/query", HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":2}"""));

        var page = Render<Collections>();

        page.WaitForAssertion(() => Assert.Contains("not counted: took longer than the server's query time limit", page.Find("[data-testid=count-huge]").TextContent, StringComparison.Ordinal));
        Assert.Contains("time budget of 5000 ms", page.Find("[data-testid=count-huge] .count-refused").GetAttribute("title"), StringComparison.Ordinal);
        page.WaitForAssertion(() => Assert.Equal("2", page.Find("[data-testid=count-small]").TextContent.Trim()));
        Assert.Empty(page.FindAll("[role=alert]"));

        Api.On(HttpMethod.Post, "/api/collections/huge/query", HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":9876543}"""));
        page.Find("[data-testid=count-huge] button").Click();

        page.WaitForAssertion(() => Assert.Equal("9,876,543", page.Find("[data-testid=count-huge]").TextContent.Trim()));
        Assert.Equal(2, Api.Requests.Count(r => r.PathAndQuery == "/api/collections/huge/query"));
        Assert.Equal(1, Api.Requests.Count(r => r.PathAndQuery == "/api/collections/small/query"));
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

    [Fact]
    public async Task Rules_SavedAfterAnotherAdminsSave_AreRefused_KeptAsTyped_AndSavedOnTheReloadedVersion()
    {
        // Without If-Match the save overwrote the other admin's schema change unseen (the definition was sent whole).
        await SignInAsync();
        var version = 3;
        var theirs = JsonNode.Parse(Todos)!.AsObject();
        theirs["schema"]!["required"] = new JsonArray("title", "due");
        var puts = 0;
        Render<MudPopoverProvider>();
        Api.On(HttpMethod.Get, "/api/admin/collections/todos", _ => (HttpStatusCode.OK, version == 3 ? JsonNode.Parse(Todos) : theirs.DeepClone()))
            .WithETag(HttpMethod.Get, "/api/admin/collections/todos", () => $"\"{version}\"")
            .On(HttpMethod.Put, "/api/admin/collections/todos", request => ++puts == 1
                ? (HttpStatusCode.PreconditionFailed, StubApi.VersionMismatch(4))
                : (HttpStatusCode.OK, JsonNode.Parse(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult())))
            .WithETag(HttpMethod.Put, "/api/admin/collections/todos", () => "\"5\"");
        var page = Render<CollectionDetail>(p => p.Add(c => c.Name, "todos"));
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=collection-tabs]")));
        version = 4;
        page.OpenTab("Rules");

        page.Find("#rule-update").Input("auth != null");
        page.Find("[data-testid=rules-save]").Click();

        page.WaitForAssertion(() => Assert.Contains("changed by someone else since you opened it", page.Find("[data-testid=edit-conflict]").TextContent, StringComparison.Ordinal));
        Assert.Contains("you opened version 3; it is now at version 4", page.Find("[data-testid=edit-conflict]").TextContent, StringComparison.Ordinal);
        Assert.Equal("\"3\"", Api.IfMatches.Single(r => r.Method == HttpMethod.Put).IfMatch);
        Assert.Equal("auth != null", page.Find("#rule-update").GetAttribute("value"));

        page.Find("[data-testid=conflict-reload]").Click();

        page.WaitForAssertion(() => Assert.Contains("Your edits to the rules are kept", page.Find("[data-testid=edit-conflict-reloaded]").TextContent, StringComparison.Ordinal));
        Assert.Equal("auth != null", page.Find("#rule-update").GetAttribute("value"));
        page.Find("[data-testid=rules-save]").Click();

        page.WaitForAssertion(() => Assert.Equal(2, Api.IfMatches.Count(r => r.Method == HttpMethod.Put)));
        Assert.Equal("\"4\"", Api.IfMatches.Last(r => r.Method == HttpMethod.Put).IfMatch);
        var put = JsonNode.Parse(Api.Requests.Last(r => r.Method == HttpMethod.Put).Body!)!;
        Assert.Equal("auth != null", put["rules"]!["update"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(theirs["schema"], put["schema"]), "the other admin's schema is kept: " + put["schema"]);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=edit-conflict-reloaded]")));
    }

    [Fact]
    public async Task Delete_AfterAnotherAdminsSave_IsRefused_AndSaysSo()
    {
        await SignInAsync();
        Api.WithETag(HttpMethod.Get, "/api/admin/collections/todos", () => "\"7\"")
            .On(HttpMethod.Delete, "/api/admin/collections/todos", HttpStatusCode.PreconditionFailed,
                StubApi.VersionMismatch(8));
        var page = RenderTodos();
        page.OpenTab("Delete");

        page.Find("#delete-confirm").Input("todos");
        page.Find("[data-testid=delete-collection]").Click();

        page.WaitForAssertion(() => Assert.Contains("it is now at version 8", page.Find("[data-testid=edit-conflict]").TextContent, StringComparison.Ordinal));
        Assert.Equal("\"7\"", Api.IfMatches.Single(r => r.Method == HttpMethod.Delete).IfMatch);
        Assert.NotEqual("http://localhost/collections", Navigation.Uri);
    }
}
