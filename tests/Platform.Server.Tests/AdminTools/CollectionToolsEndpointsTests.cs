using System.Net;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.AdminTools;

/// <summary><c>POST .../schema/check</c> and <c>POST .../rules/simulate</c> on a real server.</summary>
public sealed class CollectionToolsEndpointsTests(AdminToolsFixture fixture) : IClassFixture<AdminToolsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SchemaCheck_CountsFailingDocuments_AcrossPages_WithSamples()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        foreach (var (id, body) in new[] { ("a", """{"title":"x"}"""), ("b", """{"n":1}"""), ("c", """{"title":3}"""), ("d", """{"title":"y"}""") })
        {
            await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents", $$"""{"_id":"{{id}}",{{body[1..]}}"""));
        }

        var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/schema/check",
            """{"schema":{"type":"object","required":["title"],"properties":{"title":{"type":"string"}}}}"""));
        Assert.Equal(4, result!["checked"]!.GetValue<int>());
        Assert.Equal(2, result["failing"]!.GetValue<int>());
        Assert.True(result["complete"]!.GetValue<bool>());
        var samples = result["samples"]!.AsArray();
        Assert.Equal(["b", "c"], samples.Select(s => s!["id"]!.GetValue<string>()));
        Assert.Equal("title", samples[0]!["errors"]![0]!["path"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(samples[0]!["errors"]![0]!["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task SchemaCheck_StopsAtTheConfiguredLimit_AndSaysSo()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        for (var i = 0; i < 7; i++)
        {
            await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents", """{"n":1}""");
        }

        var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/schema/check", """{"schema":{"required":["title"]}}"""));
        Assert.Equal(5, result!["checked"]!.GetValue<int>());
        Assert.Equal(5, result["failing"]!.GetValue<int>());
        Assert.False(result["complete"]!.GetValue<bool>());
        Assert.Equal(2, result["samples"]!.AsArray().Count);
    }

    [Fact]
    public async Task SchemaCheck_BadInput_IsAProblemNamingTheField()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var url = $"/api/admin/collections/{name}/schema/check";
        Assert.Equal("schema", (await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_schema", await fixture.Admin.PostJsonAsync(url, "{}")))["field"]!.GetValue<string>());
        Assert.Equal("schema.type", (await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_schema", await fixture.Admin.PostJsonAsync(url, """{"schema":{"type":"array"}}""")))["field"]!.GetValue<string>());
        Assert.Equal("extra", (await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "unknown_field", await fixture.Admin.PostJsonAsync(url, """{"schema":{},"extra":1}""")))["field"]!.GetValue<string>());
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "malformed_json", await fixture.Admin.PostJsonAsync(url, """{"schema":}"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await fixture.Admin.PostJsonAsync("/api/admin/collections/nope-none/schema/check", """{"schema":{}}"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await fixture.Server.CreateClient().PostJsonAsync(url, """{"schema":{}}"""));
    }

    [Fact]
    public async Task Simulate_List_ReturnsTheFilterBoundToTheCaller()
    {
        var name = await CollectionWithRulesAsync("""{"list":"auth != null && doc.owner == auth.id","get":"doc.owner == auth.id || doc.public == true"}""");
        var result = await SimulateAsync(name, """{"operation":"list","auth":{"id":"u1","roles":["staff"]}}""");
        Assert.True(result["allowed"]!.GetValue<bool>());
        Assert.Contains("u1", result["filter"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("doc.owner == auth.id", result["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        var signedOut = await SimulateAsync(name, """{"operation":"list","auth":null}""");
        Assert.False(signedOut["allowed"]!.GetValue<bool>());
        Assert.Equal("""{"_id":{"$in":[]}}""", signedOut["filter"]!.ToJsonString());

        var one = await SimulateAsync(name, """{"operation":"list","auth":{"id":"u1"},"doc":{"_id":"x","owner":"u2"}}""");
        Assert.False(one["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Simulate_GetCreateUpdate_EvaluateTheRuleWithDocAndData()
    {
        var name = await CollectionWithRulesAsync("""{"get":"doc.owner == auth.id || doc.public == true","create":"auth != null && data.owner == auth.id","update":"doc.owner == auth.id && data.owner == doc.owner"}""");
        Assert.True((await SimulateAsync(name, """{"operation":"get","auth":null,"doc":{"public":true}}"""))["allowed"]!.GetValue<bool>());
        Assert.False((await SimulateAsync(name, """{"operation":"get","auth":{"id":"u1"},"doc":{"owner":"u2"}}"""))["allowed"]!.GetValue<bool>());
        Assert.True((await SimulateAsync(name, """{"operation":"create","auth":{"id":"u1"},"data":{"owner":"u1"}}"""))["allowed"]!.GetValue<bool>());
        Assert.False((await SimulateAsync(name, """{"operation":"update","auth":{"id":"u1"},"doc":{"owner":"u1"},"data":{"owner":"u2"}}"""))["allowed"]!.GetValue<bool>());

        var none = await SimulateAsync(name, """{"operation":"delete","auth":{"id":"u1"},"doc":{"owner":"u1"}}""");
        Assert.False(none["allowed"]!.GetValue<bool>());
        Assert.StartsWith("No rule: denied to clients", none["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_ProposedRules_AreUsedInsteadOfTheSavedOnes_AndNothingIsSaved()
    {
        var name = await CollectionWithRulesAsync("""{"get":"false"}""");
        var result = await SimulateAsync(name, """{"operation":"get","rules":{"get":"auth.roles.size() > 0 || 'admin' in auth.roles || true"},"auth":{"id":"u1"}}""", expectOk: false);
        Assert.Equal("rules.get", result["errors"]![0]!["path"]!.GetValue<string>());

        var allowed = await SimulateAsync(name, """{"operation":"get","rules":{"get":"'staff' in auth.roles"},"auth":{"id":"u1","roles":["staff"]}}""");
        Assert.True(allowed["allowed"]!.GetValue<bool>());
        var saved = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/collections/{name}", Ct));
        Assert.Equal("false", saved!["rules"]!["get"]!.GetValue<string>());
    }

    [Fact]
    public async Task Simulate_BadRules_Is400_WithPathAndPosition()
    {
        var name = await CollectionWithRulesAsync("{}");
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_rule",
            await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/rules/simulate", """{"operation":"list","rules":{"list":"doc.a == ","create":"doc.x == 1"}}"""));
        var errors = problem["errors"]!.AsArray();
        Assert.Equal(["rules.list", "rules.create"], errors.Select(e => e!["path"]!.GetValue<string>()));
        Assert.NotNull(errors[0]!["position"]);
    }

    [Fact]
    public async Task Simulate_UserEmail_LooksUpARealUser()
    {
        var name = await CollectionWithRulesAsync("""{"get":"auth.email == doc.email && auth.verified == false && 'editor' in auth.roles"}""");
        var email = $"sim-{Guid.NewGuid():N}@test.local";
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync("/api/admin/users", $$"""{"email":"{{email}}","password":"Passw0rd-long","roles":["editor"]}"""));
        Assert.True((await SimulateAsync(name, $$$"""{"operation":"get","auth":{"userEmail":"{{{email}}}"},"doc":{"email":"{{{email}}}"}}"""))["allowed"]!.GetValue<bool>());

        var missing = await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "user_not_found",
            await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/rules/simulate", """{"operation":"get","auth":{"userEmail":"nobody@test.local"}}"""));
        Assert.Equal("auth.userEmail", missing["field"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"operation":"read"}""", "invalid_operation", "operation")]
    [InlineData("""{}""", "invalid_operation", "operation")]
    [InlineData("""{"operation":"get","rules":"true"}""", "invalid_rule", "rules")]
    [InlineData("""{"operation":"get","rules":{"find":"true"}}""", "invalid_rule", "rules.find")]
    [InlineData("""{"operation":"get","auth":"u1"}""", "invalid_auth", "auth")]
    [InlineData("""{"operation":"get","auth":{"email":"a@b.c"}}""", "invalid_auth", "auth.id")]
    [InlineData("""{"operation":"get","auth":{"id":"u","roles":[1]}}""", "invalid_auth", "auth.roles[0]")]
    [InlineData("""{"operation":"get","auth":{"id":"u","verified":"yes"}}""", "invalid_auth", "auth.verified")]
    [InlineData("""{"operation":"get","auth":{"id":"u","admin":true}}""", "invalid_auth", "auth.admin")]
    [InlineData("""{"operation":"get","doc":[1]}""", "invalid_body", "doc")]
    [InlineData("""{"operation":"get","user":1}""", "unknown_field", "user")]
    public async Task Simulate_BadInput_IsAProblemNamingTheField(string body, string code, string field)
    {
        var name = await CollectionWithRulesAsync("""{"get":"true"}""");
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/rules/simulate", body));
        Assert.Equal(field, problem["field"]!.GetValue<string>());
    }

    private async Task<string> CollectionWithRulesAsync(string rules)
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..12];
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync("/api/admin/collections", $$"""{"name":"{{name}}","rules":{{rules}}}"""));
        return name;
    }

    private async Task<JsonObject> SimulateAsync(string name, string body, bool expectOk = true)
    {
        using var response = await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/rules/simulate", body);
        return expectOk ? (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))! : (await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, response))!;
    }
}
