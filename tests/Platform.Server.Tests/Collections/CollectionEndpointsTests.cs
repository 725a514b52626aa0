using System.Net;
using System.Net.Http.Json;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Collections;

public sealed class CollectionEndpointsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Base = "/api/admin/collections";

    [Fact]
    public async Task Create_ThenGetListUpdateDelete_RoundTripsTheDefinition()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "todos" + Guid.NewGuid().ToString("N")[..8];
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Base, $$"""
            { "name": "{{name}}",
              "schema": { "type": "object", "required": ["title"], "properties": { "title": { "type": "string" } } },
              "indexes": [ { "fields": ["ownerId", "-_createdAt"] }, { "fields": ["slug"], "unique": true } ],
              "rules": { "list": "true" } }
            """));
        Assert.Equal(name, created!["name"]!.GetValue<string>());
        Assert.Equal("-_createdAt", created["indexes"]![0]!["fields"]![1]!.GetValue<string>());
        Assert.True(created["indexes"]![1]!["unique"]!.GetValue<bool>());
        Assert.NotNull(created["createdAt"]);

        var read = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}", ct));
        Assert.Equal("true", read!["rules"]!["list"]!.GetValue<string>());

        var list = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync(Base, ct));
        Assert.Contains(list!["items"]!.AsArray(), item => item!["name"]!.GetValue<string>() == name);

        var updated = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "indexes": [ { "fields": ["priority"] } ] }"""));
        Assert.Single(updated!["indexes"]!.AsArray());
        Assert.Null(updated["schema"]);

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Admin.DeleteAsync($"{Base}/{name}", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await fixture.Admin.GetAsync($"{Base}/{name}", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await fixture.Service.GetAsync($"/api/collections/{name}/documents", ct));
    }

    [Fact]
    public async Task PutAndDelete_WithIfMatch_Are412OnAnotherVersion_AndChangeNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "etag" + Guid.NewGuid().ToString("N")[..8];
        using var created = await fixture.Admin.PostJsonAsync(Base, $$"""{ "name": "{{name}}", "rules": { "list": "true" } }""");
        await HttpAssert.StatusAsync(HttpStatusCode.Created, created);
        Assert.Equal("\"1\"", created.Headers.ETag!.ToString());
        using (var read = await fixture.Admin.GetAsync($"{Base}/{name}", ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, read);
            Assert.Equal("\"1\"", read.Headers.ETag!.ToString());
        }

        // Two admins edit version 1: the first save wins, the second is told, not applied over it.
        using var first = await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "rules": { "list": "auth != null" } }""", ifMatch: "\"1\"");
        await HttpAssert.StatusAsync(HttpStatusCode.OK, first);
        Assert.Equal("\"2\"", first.Headers.ETag!.ToString());
        var lost = await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}",
            """{ "rules": { "list": "true" }, "indexes": [ { "fields": ["n"] } ] }""", ifMatch: "\"1\""));
        Assert.Equal(2, lost["currentVersion"]!.GetValue<int>());
        await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await DeleteIfMatchAsync("\"1\""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_precondition", await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", "{}", ifMatch: "v1"));

        var after = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}", ct));
        Assert.Equal("auth != null", after!["rules"]!["list"]!.GetValue<string>());
        Assert.Empty(after["indexes"]!.AsArray());

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await DeleteIfMatchAsync("\"2\""));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await fixture.Admin.GetAsync($"{Base}/{name}", ct));

        async Task<HttpResponseMessage> DeleteIfMatchAsync(string etag)
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, $"{Base}/{name}");
            request.Headers.TryAddWithoutValidation("If-Match", etag);
            return await fixture.Admin.SendAsync(request, ct);
        }
    }

    [Fact]
    public async Task List_ItemsCarryTheVersionOfEachDefinition_AsTheSingleAnswerDoes_AndABodyReadBackIsSavedAsIs()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "listver" + Guid.NewGuid().ToString("N")[..8];
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Base, $$"""{ "name": "{{name}}" }"""));
        Assert.Equal(1, created!["version"]!.GetValue<long>());
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "rules": { "list": "true" } }"""));

        var list = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync(Base, ct));
        var item = Assert.Single(list!["items"]!.AsArray(), i => i!["name"]!.GetValue<string>() == name)!.AsObject();
        Assert.Equal(2, item["version"]!.GetValue<long>());
        using var single = await fixture.Admin.GetAsync($"{Base}/{name}", ct);
        var read = await HttpAssert.StatusAsync(HttpStatusCode.OK, single);
        Assert.Equal(("\"2\"", 2L), (single.Headers.ETag!.ToString(), read!["version"]!.GetValue<long>()));

        // The item sent back as it was read saves (version is read-only, like the timestamps; If-Match is the condition).
        item["rules"]!["list"] = "auth != null";
        using var saved = await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", item.ToJsonString(), ifMatch: "\"2\"");
        Assert.Equal(3, (await HttpAssert.StatusAsync(HttpStatusCode.OK, saved))!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Create_Twice_Is409()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "collection_exists", await fixture.Admin.PostJsonAsync(Base, $$"""{ "name": "{{name}}" }"""));
    }

    [Fact]
    public async Task Delete_RemovesTheDocumentsToo()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents", """{ "_id": "a", "n": 1 }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Admin.DeleteAsync($"{Base}/{name}", ct));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Base, $$"""{ "name": "{{name}}" }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"/api/collections/{name}/documents/a", ct));
    }

    [Fact]
    public async Task UniqueIndex_OverDuplicates_Is409_AndLeavesTheDefinitionUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = await fixture.NewCollectionAsync(cancellationToken: ct);
        await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents", """{ "email": "a@x.io" }""");
        await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents", """{ "email": "a@x.io" }""");

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "unique_violation",
            await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "indexes": [ { "fields": ["email"], "unique": true } ] }"""));
        Assert.Equal("ux_email", problem["index"]!.GetValue<string>());
        Assert.Equal("email", problem["field"]!.GetValue<string>());

        var read = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}", ct));
        Assert.Empty(read!["indexes"]!.AsArray());
    }

    [Fact]
    public async Task ServiceKey_MayManageCollections_AnonymousMayNot()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "svc" + Guid.NewGuid().ToString("N")[..8];
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Base, $$"""{ "name": "{{name}}" }"""));
        using var anonymous = fixture.Server.CreateClient();
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.GetAsync(Base, ct));
    }

    public static TheoryData<string, string, string> BadDefinitions => new()
    {
        { """{ "name": "Bad Name" }""", "invalid_collection_name", "name" },
        { """{ "name": "_users" }""", "invalid_collection_name", "name" },
        { """{ }""", "invalid_definition", "name" },
        { """{ "name": "ok", "color": "red" }""", "unknown_field", "color" },
        { """{ "name": "ok", "schema": 5 }""", "invalid_schema", "schema" },
        { """{ "name": "ok", "schema": { "type": "array" } }""", "invalid_schema", "schema.type" },
        { """{ "name": "ok", "schema": { "$ref": "http://evil.example/s.json" } }""", "invalid_schema", "schema.$ref" },
        { """{ "name": "ok", "schema": { "properties": { "a": { "type": "string", "pattern": "[" } } } }""", "invalid_schema", "schema.properties.a.pattern" },
        { """{ "name": "ok", "schema": { "properties": { "a": { "pattern": 5 } } } }""", "invalid_schema", "schema.properties.a.pattern" },
        { """{ "name": "ok", "schema": { "patternProperties": { "(x": {} } } }""", "invalid_schema", "schema.patternProperties.(x" },
        { """{ "name": "ok", "schema": { "properties": { "a": { "type": "strin" } } } }""", "invalid_schema", "schema.properties.a.type" },
        { """{ "name": "ok", "schema": { "properties": { "a": { "items": { "type": ["string", 5] } } } } }""", "invalid_schema", "schema.properties.a.items.type" },
        { """{ "name": "ok", "schema": { "$ref": "#" } }""", "invalid_schema", "schema.$ref" },
        { """{ "name": "ok", "schema": { "allOf": [ { "$ref": "#/allOf/0" } ] } }""", "invalid_schema", "schema.allOf[0].$ref" },
        { """{ "name": "ok", "schema": { "properties": { "a": { "$ref": "#/properties/a" } } } }""", "invalid_schema", "schema.properties.a.$ref" },
        { """{ "name": "ok", "schema": { "$ref": "#/definitions/a", "definitions": { "a": { "$ref": "#/definitions/b" }, "b": { "not": { "$ref": "#/definitions/a" } } } } }""", "invalid_schema", "schema.definitions.b.not.$ref" },
        { """{ "name": "ok", "schema": { "$ref": "#/elsewhere", "elsewhere": { "anyOf": [ { "$ref": "#" } ] } } }""", "invalid_schema", "schema.$ref.anyOf[0].$ref" },
        { """{ "name": "ok", "indexes": {} }""", "invalid_index", "indexes" },
        { """{ "name": "ok", "indexes": [ { "fields": [] } ] }""", "invalid_index", "indexes[0].fields" },
        { """{ "name": "ok", "indexes": [ { "fields": ["a..b"] } ] }""", "invalid_path", "indexes[0].fields[0]" },
        { """{ "name": "ok", "indexes": [ { "fields": ["$a"] } ] }""", "invalid_path", "indexes[0].fields[0]" },
        { """{ "name": "ok", "indexes": [ { "fields": ["a"], "unique": "yes" } ] }""", "invalid_index", "indexes[0].unique" },
        { """{ "name": "ok", "indexes": [ { "fields": ["a"] }, { "fields": ["a"] } ] }""", "invalid_index", "indexes[1]" },
        { """{ "name": "ok", "indexes": [ { "fields": ["a", "-b"], "unique": true }, { "fields": ["c"] }, { "fields": ["a", "-b"] } ] }""", "invalid_index", "indexes[2]" },
        { """{ "name": "ok", "rules": { "read": "true" } }""", "invalid_rule", "rules.read" },
        { """{ "name": "ok", "rules": { "list": 1 } }""", "invalid_rule", "rules.list" },
        { """{ "name": "ok", "rules": { "list": "user.id == 1" } }""", "invalid_rule", "rules.list" },
        { """{ "name": "ok", "rules": { "get": "true", "list": "doc.owner == auth.uid" } }""", "invalid_rule", "rules.list" },
        { """{ "name": "ok", "rules": { "get": "true", "create": "doc.ownerId == auth.id" } }""", "invalid_rule", "rules.create" },
    };

    [Theory]
    [MemberData(nameof(BadDefinitions))]
    public async Task Create_WithBadDefinition_Is400NamingTheField(string body, string code, string field)
    {
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, await fixture.Admin.PostJsonAsync(Base, body));
        Assert.Equal(field, problem["field"]?.GetValue<string>());
    }

    [Fact]
    public async Task Create_SchemaWithMoreRefsThanMaxSchemaRefs_Is400NamingTheFirstBeyond_AndOneFewerIsSaved()
    {
        // A chain of 20,000 took seconds to compile at every save and every load of the definition; the default limit is 1,000.
        var ct = TestContext.Current.CancellationToken;
        var name = "refs" + Guid.NewGuid().ToString("N")[..8];
        var refused = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_schema", await fixture.Admin.PostJsonAsync(Base, Chain(name, refs: 1_001)));
        Assert.Equal("schema.definitions.d999.$ref", refused["field"]!.GetValue<string>());
        Assert.Contains("Baas:Collections:MaxSchemaRefs", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await fixture.Admin.GetAsync($"{Base}/{name}", ct));

        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Base, Chain(name, refs: 1_000)));
        var check = await fixture.Admin.PostJsonAsync($"{Base}/{name}/schema/check", "{\"schema\":" + System.Text.Json.Nodes.JsonNode.Parse(Chain(name, refs: 1_001))!["schema"]!.ToJsonString() + "}");
        Assert.Equal("schema.definitions.d999.$ref", (await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_schema", check))["field"]!.GetValue<string>());
    }

    // properties.a refers to d0, and d0 .. d(refs-2) each to the next: refs $ref keywords in document order.
    private static string Chain(string name, int refs)
    {
        var definitions = string.Join(",", Enumerable.Range(0, refs).Select(i => i < refs - 1 ? $"\"d{i}\":{{\"$ref\":\"#/definitions/d{i + 1}\"}}" : $"\"d{i}\":{{\"type\":\"string\"}}"));
        return $"{{\"name\":\"{name}\",\"schema\":{{\"type\":\"object\",\"properties\":{{\"a\":{{\"$ref\":\"#/definitions/d0\"}}}},\"definitions\":{{{definitions}}}}}}}";
    }

    [Fact]
    public async Task Create_SchemaThatRecursesThroughAValue_OrNamesPropertiesLikeKeywords_IsSavedAndApplied()
    {
        var name = "tree" + Guid.NewGuid().ToString("N")[..8];
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Base, $$"""
            { "name": "{{name}}",
              "schema": { "required": ["type"],
                          "properties": { "type": { "type": "string", "pattern": "^[a-z]+$" },
                                          "pattern": { "type": "integer" },
                                          "children": { "type": "array", "items": { "$ref": "#" } } } } }
            """));

        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents",
            """{ "type": "root", "pattern": 1, "children": [ { "type": "leaf", "children": [ { "type": "deeper" } ] } ] }"""));
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation", await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents",
            """{ "type": "root", "children": [ { "type": "leaf", "children": [ { "type": "NOT LOWER" } ] } ] }"""));
        Assert.StartsWith("children[0]", problem["field"]?.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_WithASchemaThatCannotBeApplied_Is400_AndKeepsTheOldDefinition()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = await fixture.NewCollectionAsync(cancellationToken: ct);
        var before = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}", ct));

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_schema", await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}",
            """{ "schema": { "properties": { "a": { "pattern": "(unclosed" } } }, "rules": { "list": "false" } }"""));
        Assert.Equal("schema.properties.a.pattern", problem["field"]?.GetValue<string>());
        var after = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}", ct));
        Assert.Equal(before!.ToJsonString(), after!.ToJsonString());

        // The dashboard's check before a save refuses it the same way.
        var check = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_schema", await fixture.Admin.PostJsonAsync($"{Base}/{name}/schema/check",
            """{ "schema": { "$ref": "#" } }"""));
        Assert.Equal("schema.$ref", check["field"]?.GetValue<string>());
    }

    [Fact]
    public async Task Create_WithBadRules_Is400ListingEveryRuleWithItsPosition()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "rules" + Guid.NewGuid().ToString("N")[..8];
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_rule", await fixture.Admin.PostJsonAsync(Base, $$"""
            { "name": "{{name}}",
              "rules": { "list": "auth != null && doc.a == doc.b", "get": "true", "create": "data.x == 'open", "update": "doc.x = 1" } }
            """));

        Assert.Equal("rules.list", problem["field"]?.GetValue<string>());
        Assert.Equal(22, problem["position"]?.GetValue<int>());
        var errors = problem["errors"]!.AsArray().Select(e => e!.AsObject()).ToList();
        Assert.Equal(["rules.list", "rules.create", "rules.update"], errors.Select(e => e["path"]!.GetValue<string>()));
        Assert.Equal([22, 10, 6], errors.Select(e => e["position"]!.GetValue<int>()));
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e["message"]!.GetValue<string>())));
        Assert.Contains("query filter", errors[0]["message"]!.GetValue<string>(), StringComparison.Ordinal);

        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await fixture.Admin.GetAsync($"{Base}/{name}", ct));
    }

    [Fact]
    public async Task Put_WithBadRule_Is400_AndKeepsTheOldRules()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = "rules" + Guid.NewGuid().ToString("N")[..8];
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Base, $$"""
            { "name": "{{name}}", "rules": { "list": "auth != null && doc.ownerId == auth.id", "create": "auth != null && data.ownerId == auth.id" } }
            """));

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_rule",
            await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "rules": { "list": "data.ownerId == auth.id" } }"""));
        var error = Assert.Single(problem["errors"]!.AsArray())!;
        Assert.Equal("rules.list", error["path"]!.GetValue<string>());
        Assert.Equal(0, error["position"]!.GetValue<int>());

        var read = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}", ct));
        Assert.Equal("auth != null && doc.ownerId == auth.id", read!["rules"]!["list"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_WithWrongContentTypeOrMalformedJson_IsProblem()
    {
        var ct = TestContext.Current.CancellationToken;
        await HttpAssert.ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type",
            await fixture.Admin.PostAsync(Base, new StringContent("name=x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"), ct));
        var malformed = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "malformed_json", await fixture.Admin.PostJsonAsync(Base, """{ "name": "x", }"""));
        Assert.NotNull(malformed["position"]);
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_body", await fixture.Admin.PostJsonAsync(Base, "[1]"));
    }

    [Fact]
    public async Task Put_NameMismatch_Is400()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_definition",
            await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "name": "other" }"""));
        Assert.Equal("name", problem["field"]?.GetValue<string>());
    }

    [Fact]
    public async Task Put_Undefined_Is404_WithTheCodeOfGetAndDelete()
    {
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found",
            await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/nosuch{Guid.NewGuid():N}"[..40], "{}"));
    }

    [Fact]
    public async Task Get_ReturnsJsonWithTheSchema()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = await fixture.NewCollectionAsync(schema: new { type = "object", properties = new { n = new { type = "integer" } } }, cancellationToken: ct);
        var read = await fixture.Admin.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>($"{Base}/{name}", ct);
        Assert.Equal("integer", read!["schema"]!["properties"]!["n"]!["type"]!.GetValue<string>());
    }
}
