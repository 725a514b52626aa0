using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Documents;

public sealed class DocumentEndpointsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string Docs(string collection) => $"/api/collections/{collection}/documents";

    [Fact]
    public async Task Create_WithServerId_SetsSystemFields_LocationAndETag()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        var response = await fixture.Service.PostJsonAsync(Docs(c), """{ "title": "a", "_version": 99, "_createdBy": "evil" }""");
        var doc = await HttpAssert.StatusAsync(HttpStatusCode.Created, response);

        var id = doc!["_id"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{24}$", id);
        Assert.Equal(1, doc["_version"]!.GetValue<long>());
        Assert.Null(doc["_createdBy"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", doc["_createdAt"]!.GetValue<string>());
        Assert.Equal(doc["_createdAt"]!.GetValue<string>(), doc["_updatedAt"]!.GetValue<string>());
        Assert.Equal($"{Docs(c)}/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal("\"1\"", response.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Create_WithClientId_ThenDuplicate_Is409()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        var doc = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "my-id_1", "n": 1 }"""));
        Assert.Equal("my-id_1", doc!["_id"]!.GetValue<string>());
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "already_exists", await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "my-id_1", "n": 2 }"""));
        Assert.Equal("_id", problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_ETag_And_IfNoneMatch_Answers304()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }""");

        var response = await fixture.Service.GetAsync($"{Docs(c)}/d", ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, response);
        Assert.Equal("\"1\"", response.Headers.ETag!.Tag);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"{Docs(c)}/d");
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"1\""));
        Assert.Equal(HttpStatusCode.NotModified, (await fixture.Service.SendAsync(conditional, ct)).StatusCode);

        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/missing", ct));
    }

    [Fact]
    public async Task Put_Replaces_KeepsCreatedAt_BumpsVersion_AndHonoursIfMatch()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "a": 1, "b": 2 }"""));

        var replaced = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d", """{ "a": 10 }""", ifMatch: "\"1\""));
        Assert.Equal(10, replaced!["a"]!.GetValue<int>());
        Assert.False(replaced.ContainsKey("b"));
        Assert.Equal(2, replaced["_version"]!.GetValue<long>());
        Assert.Equal(created!["_createdAt"]!.GetValue<string>(), replaced["_createdAt"]!.GetValue<string>());

        var stale = await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d", """{ "a": 11 }""", ifMatch: "\"1\""));
        Assert.Equal(2, stale["currentVersion"]!.GetValue<long>());

        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "id_mismatch", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d", """{ "_id": "other", "a": 1 }"""));
    }

    [Theory]
    [InlineData("there", "")]
    [InlineData("absent", "")]
    [InlineData("absent", "?upsert=true")]
    [InlineData("there", "?upsert=true")]
    public async Task Put_BodyIdDifferentFromUrl_Is400NamingId_WhetherTheDocumentExists_IsMissing_OrWouldBeUpserted(string id, string query)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "there", "a": 1 }""");

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "id_mismatch", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/{id}{query}", """{ "_id": "other", "a": 2 }"""));
        Assert.Equal("_id", problem["field"]!.GetValue<string>());

        // Nothing was written: neither the URL's document nor the body's.
        var there = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/there", ct));
        Assert.Equal(1, there!["_version"]!.GetValue<long>());
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/absent", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/other", ct));

        // An _id that is no id at all is named the same way, also for a missing document.
        var invalid = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_id", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/{id}{query}", """{ "_id": 5 }"""));
        Assert.Equal("_id", invalid["field"]!.GetValue<string>());

        // The same _id as the URL's is fine.
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/there{query}", """{ "_id": "there", "a": 3 }"""));
    }

    [Fact]
    public async Task Put_Missing_Is404_UnlessUpsert()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/new", """{ "a": 1 }"""));
        var created = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/new?upsert=true", """{ "a": 1 }"""));
        Assert.Equal("new", created!["_id"]!.GetValue<string>());
        Assert.Equal(1, created["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Put_Upsert_WithIfMatchAny_ReplacesAnExistingDocument_But412sAMissingOne_CreatingNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/absent?upsert=true", """{ "a": 1 }""", ifMatch: "*"));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/absent", ct));

        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "there", "a": 1 }""");
        var replaced = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/there?upsert=true", """{ "a": 2 }""", ifMatch: "*"));
        Assert.Equal(2, replaced!["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Patch_MergePatch_NullDeletes_ObjectsMerge()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "a": 1, "b": 2, "nested": { "x": 1, "y": 2 } }""");
        var patched = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "b": null, "nested": { "y": 3 }, "c": [1] }"""));
        Assert.Equal("""{"_id":"d","a":1,"nested":{"x":1,"y":3},"c":[1]}""", WithoutTimes(patched!).ToJsonString());
        Assert.Equal(2, patched!["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Patch_Operators_AreApplied_AndBadOnesNamed()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1, "tags": ["a"], "name": "x" }""");
        var updated = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d",
            """{ "$inc": { "n": 2 }, "$push": { "tags": { "$each": ["b", "c"] } }, "$set": { "deep.er": true }, "$unset": { "name": "" } }"""));
        Assert.Equal(3, updated!["n"]!.GetValue<int>());
        Assert.Equal("""["a","b","c"]""", updated["tags"]!.ToJsonString());
        Assert.True(updated["deep"]!["er"]!.GetValue<bool>());
        Assert.False(updated.ContainsKey("name"));

        var bad = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_update", await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "$inc": { "tags": 1 } }"""));
        Assert.Equal("$inc.tags", bad["field"]!.GetValue<string>());
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "$rename": { "n": "m" } }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_update", await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "$set": { "a": 1 }, "b": 2 }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "$set": { "_version": 1 } }"""));

        // Nothing above was written: the document is still at version 2.
        var current = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", TestContext.Current.CancellationToken));
        Assert.Equal(2, current!["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task ConcurrentIncrements_WithoutIfMatch_AreAllApplied()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "counter", "n": 0 }""");
        var tasks = Enumerable.Range(0, 40).Select(_ => fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/counter", """{ "$inc": { "n": 1 } }"""));
        foreach (var response in await Task.WhenAll(tasks))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, response);
        }

        var doc = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/counter", TestContext.Current.CancellationToken));
        Assert.Equal(40, doc!["n"]!.GetValue<int>());
        Assert.Equal(41, doc["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Delete_Then404_AndIfMatch412()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d" }""");
        using (var stale = new HttpRequestMessage(HttpMethod.Delete, $"{Docs(c)}/d"))
        {
            stale.Headers.TryAddWithoutValidation("If-Match", "\"7\"");
            await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Service.SendAsync(stale, ct));
        }

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Service.DeleteAsync($"{Docs(c)}/d", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.DeleteAsync($"{Docs(c)}/d", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/d", ct));
    }

    [Fact]
    public async Task Schema_IntegerType_AcceptsIntegralNumbersWrittenWithAFractionOrExponent_OnEveryWrite()
    {
        // JSON Schema draft 6+: 1.0 and 1e2 are integers. NJsonSchema alone read them the draft-4 way and refused them.
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(schema: new { type = "object", properties = new { n = new { type = "integer" } } }, cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1.0 }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d", """{ "n": 1e2 }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "n": 2.0 }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "$set": { "n": 3.00 } }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync("/api/batch", $$"""
            { "ops": [ { "op": "create", "collection": "{{c}}", "data": { "_id": "e", "n": -4.0E0 } } ] }
            """));

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation", await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "n": 3.5 }"""));
        Assert.Equal("n", problem["errors"]![0]!["path"]!.GetValue<string>());
        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", ct));
        Assert.Equal(3, stored!["n"]!.GetValue<double>());
    }

    [Fact]
    public async Task Schema_Violations_Are422WithErrors_AndNothingIsWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(
            schema: new { type = "object", required = new[] { "title" }, properties = new { title = new { type = "string" }, n = new { type = "integer", minimum = 0 } } },
            cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation", await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": -1 }"""));
        var paths = problem["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("title", paths);
        Assert.Contains("n", paths);
        Assert.All(problem["errors"]!.AsArray(), e => Assert.False(string.IsNullOrEmpty(e!["message"]!.GetValue<string>())));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/d", ct));

        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "ok", "title": "t", "n": 1 }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation", await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/ok", """{ "$inc": { "n": -5 } }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation", await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/ok", """{ "title": null }"""));
    }

    [Fact]
    public async Task UniqueIndex_Violation_OnWrite_Is409()
    {
        var c = await fixture.NewCollectionAsync(indexes: [new { fields = new[] { "email" }, unique = true }], cancellationToken: TestContext.Current.CancellationToken);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "email": "a@x.io" }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "other": 1 }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "other": 2 }"""));
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "unique_violation", await fixture.Service.PostJsonAsync(Docs(c), """{ "email": "a@x.io" }"""));
        Assert.Equal("ux_email", problem["index"]!.GetValue<string>());
        Assert.Equal("email", problem["field"]!.GetValue<string>());
        Assert.Equal(["email"], problem["fields"]!.AsArray().Select(f => f!.GetValue<string>()));
    }

    [Fact]
    public async Task CompoundUniqueIndex_Violation_NamesEveryField_AlsoInABatch()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(indexes: [new { fields = new[] { "team_id", "-profile.handle" }, unique = true }], cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "a", "team_id": 1, "profile": { "handle": "x" } }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "b", "team_id": 2, "profile": { "handle": "x" } }"""));
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "unique_violation", await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/b", """{ "team_id": 1 }"""));
        Assert.Equal("team_id", problem["field"]!.GetValue<string>());
        Assert.Equal(["team_id", "profile.handle"], problem["fields"]!.AsArray().Select(f => f!.GetValue<string>()));

        var batch = $$$$"""{"ops":[{"op":"create","collection":"{{{{c}}}}","data":{"_id":"c","team_id":3}},{"op":"replace","collection":"{{{{c}}}}","id":"b","data":{"team_id":1,"profile":{"handle":"x"}}}]}""";
        problem = await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "unique_violation", await fixture.Service.PostJsonAsync("/api/batch", batch));
        Assert.Equal(1, problem["opIndex"]!.GetValue<int>());
        Assert.Equal(["team_id", "profile.handle"], problem["fields"]!.AsArray().Select(f => f!.GetValue<string>()));
    }

    public static TheoryData<string, HttpStatusCode, string, string?> BadBodies => new()
    {
        { "[]", HttpStatusCode.BadRequest, "invalid_body", "body" },
        { "\"text\"", HttpStatusCode.BadRequest, "invalid_body", "body" },
        { "{ \"a\": }", HttpStatusCode.BadRequest, "malformed_json", "body" },
        { "{ \"$where\": \"1\" }", HttpStatusCode.BadRequest, "invalid_field_name", "$where" },
        { "{ \"a.b\": 1 }", HttpStatusCode.BadRequest, "invalid_field_name", "a.b" },
        { "{ \"\": 1 }", HttpStatusCode.BadRequest, "invalid_field_name", null },
        { "{ \"_secret\": 1 }", HttpStatusCode.BadRequest, "invalid_field_name", "_secret" },
        { "{ \"x\": { \"_y\": 1 } }", HttpStatusCode.BadRequest, "invalid_field_name", "x._y" },
        { "{ \"_id\": \"has space\" }", HttpStatusCode.BadRequest, "invalid_id", "_id" },
        { "{ \"_id\": 5 }", HttpStatusCode.BadRequest, "invalid_id", "_id" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Create_BadBody_IsProblemNamingTheField(string body, HttpStatusCode status, string code, string? field)
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        var problem = await HttpAssert.ProblemAsync(status, code, await fixture.Service.PostJsonAsync(Docs(c), body));
        if (field is not null)
        {
            Assert.Equal(field, problem["field"]?.GetValue<string>());
        }
    }

    [Fact]
    public async Task Create_TooLargeOrTooDeep_IsRejected()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var big = "{ \"s\": \"" + new string('x', 1024 * 1024) + "\" }";
        await HttpAssert.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large", await fixture.Service.PostJsonAsync(Docs(c), big));

        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40);
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "document_too_deep", await fixture.Service.PostJsonAsync(Docs(c), deep));

        await HttpAssert.ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type",
            await fixture.Service.PostAsync(Docs(c), new StringContent("{}", System.Text.Encoding.UTF8, "text/plain"), ct));
    }

    [Fact]
    public async Task InvalidNames_And_UndefinedCollection()
    {
        var ct = TestContext.Current.CancellationToken;
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_collection_name", await fixture.Service.GetAsync("/api/collections/Bad!/documents", ct));
        var undefined = await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await fixture.Service.PostJsonAsync("/api/collections/undefined-one/documents", "{}"));
        Assert.Equal("collection", undefined["field"]!.GetValue<string>());
        var undefinedAdmin = await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "collection_not_found", await fixture.Admin.GetAsync("/api/admin/collections/undefined-one", ct));
        Assert.Equal("name", undefinedAdmin["field"]!.GetValue<string>());
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_id", await fixture.Service.GetAsync($"{Docs(c)}/bad%20id", ct));
    }

    [Fact]
    public async Task Anonymous_WithoutRules_Is401_Problem()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        using var anonymous = fixture.Server.CreateClient();
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.GetAsync(Docs(c), ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.PostJsonAsync(Docs(c), "{}"));
        var batch = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.PostJsonAsync("/api/batch", $$"""{ "ops": [ { "op": "create", "collection": "{{c}}", "data": {} } ] }"""));
        Assert.Equal(0, batch["opIndex"]!.GetValue<int>());
    }

    private static JsonObject WithoutTimes(JsonObject doc)
    {
        var copy = (JsonObject)doc.DeepClone();
        foreach (var name in new[] { "_createdAt", "_updatedAt", "_createdBy", "_version" })
        {
            copy.Remove(name);
        }

        return copy;
    }
}
