using System.Net;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Documents;

public sealed class BatchEndpointsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Batch_AppliesInOrder_AcrossCollections_LaterOpsSeeEarlierOnes()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await fixture.NewCollectionAsync(cancellationToken: ct);
        var b = await fixture.NewCollectionAsync(cancellationToken: ct);
        await fixture.Service.PostJsonAsync($"/api/collections/{b}/documents", """{ "_id": "old" }""");

        var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync("/api/batch", $$"""
            { "ops": [
              { "op": "create", "collection": "{{a}}", "data": { "_id": "x", "n": 1 } },
              { "op": "patch", "collection": "{{a}}", "id": "x", "data": { "$inc": { "n": 1 } } },
              { "op": "replace", "collection": "{{a}}", "id": "x", "data": { "n": 10 }, "ifMatch": "2" },
              { "op": "create", "collection": "{{b}}", "id": "y", "data": { "m": 1 } },
              { "op": "delete", "collection": "{{b}}", "id": "old" } ] }
            """));
        var results = result!["results"]!.AsArray();
        Assert.Equal([201, 200, 200, 201, 204], results.Select(r => r!["status"]!.GetValue<int>()));
        Assert.Equal(3, results[2]!["document"]!["_version"]!.GetValue<long>());
        Assert.Null(results[4]!["document"]);

        var x = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{a}/documents/x", ct));
        Assert.Equal(10, x!["n"]!.GetValue<int>());
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{b}/documents/y", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"/api/collections/{b}/documents/old", ct));
    }

    public static TheoryData<string, HttpStatusCode, string, int> FailingBatches => new()
    {
        // op 1 conflicts on id with op 0
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "create", "collection": "C", "data": { "_id": "k" } } ]""", HttpStatusCode.Conflict, "already_exists", 1 },
        // op 1 targets a missing document
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "delete", "collection": "C", "id": "nope" } ]""", HttpStatusCode.NotFound, "not_found", 1 },
        // op 2 has a stale precondition
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "patch", "collection": "C", "id": "k", "data": { "a": 1 } }, { "op": "patch", "collection": "C", "id": "k", "data": { "a": 2 }, "ifMatch": "1" } ]""", HttpStatusCode.PreconditionFailed, "version_mismatch", 2 },
        // op 1 breaks the schema
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "create", "collection": "C", "data": { "n": "not a number" } } ]""", HttpStatusCode.UnprocessableEntity, "schema_validation", 1 },
        // op 1 names an undefined collection
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "create", "collection": "nowhere", "data": {} } ]""", HttpStatusCode.NotFound, "collection_not_found", 1 },
        // op 1 is malformed
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "upsert", "collection": "C", "id": "k" } ]""", HttpStatusCode.BadRequest, "invalid_batch", 1 },
        // op 1 is a delete carrying data (it was ignored, and the document deleted)
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "delete", "collection": "C", "id": "existing", "data": { "a": 1 } } ]""", HttpStatusCode.BadRequest, "invalid_batch", 1 },
        // op 1 replaces an existing document with a body whose _id differs from the op's id
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "replace", "collection": "C", "id": "existing", "data": { "_id": "k2" } } ]""", HttpStatusCode.BadRequest, "id_mismatch", 1 },
        // op 1 does the same to a missing document: 400, not 404
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "replace", "collection": "C", "id": "nope", "data": { "_id": "k2" } } ]""", HttpStatusCode.BadRequest, "id_mismatch", 1 },
        // op 1 does it with upsert
        { """[ { "op": "create", "collection": "C", "data": { "_id": "k" } }, { "op": "replace", "collection": "C", "id": "nope", "upsert": true, "data": { "_id": "k2" } } ]""", HttpStatusCode.BadRequest, "id_mismatch", 1 },
        // op 0 has a bad update operator
        { """[ { "op": "patch", "collection": "C", "id": "existing", "data": { "$nope": { "a": 1 } } }, { "op": "create", "collection": "C", "data": { "_id": "k" } } ]""", HttpStatusCode.BadRequest, "unknown_operator", 0 },
    };

    [Theory]
    [MemberData(nameof(FailingBatches))]
    public async Task Batch_WithAFailingOp_AppliesNothing_AndNamesTheOp(string ops, HttpStatusCode status, string code, int opIndex)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(schema: new { type = "object", properties = new { n = new { type = "number" } } }, cancellationToken: ct);
        await fixture.Service.PostJsonAsync($"/api/collections/{c}/documents", """{ "_id": "existing" }""");

        var problem = await HttpAssert.ProblemAsync(status, code, await fixture.Service.PostJsonAsync("/api/batch", $$"""{ "ops": {{ops.Replace("\"C\"", $"\"{c}\"", StringComparison.Ordinal)}} }"""));
        Assert.Equal(opIndex, problem["opIndex"]!.GetValue<int>());
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"/api/collections/{c}/documents/k", ct));
        var existing = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{c}/documents/existing", ct));
        Assert.Equal(1, existing!["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Batch_Limits_And_Shape()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: TestContext.Current.CancellationToken);
        var ops = string.Join(",", Enumerable.Range(0, 501).Select(i => $$"""{ "op": "create", "collection": "{{c}}", "data": { "i": {{i}} } }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "too_many_operations", await fixture.Service.PostJsonAsync("/api/batch", $$"""{ "ops": [{{ops}}] }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_batch", await fixture.Service.PostJsonAsync("/api/batch", """{ "ops": [] }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_batch", await fixture.Service.PostJsonAsync("/api/batch", """{ }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "unknown_field", await fixture.Service.PostJsonAsync("/api/batch", """{ "ops": [], "x": 1 }"""));

        var exactly500 = string.Join(",", Enumerable.Range(0, 500).Select(i => $$"""{ "op": "create", "collection": "{{c}}", "data": { "i": {{i}} } }"""));
        var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync("/api/batch", $$"""{ "ops": [{{exactly500}}] }"""));
        Assert.Equal(500, result!["results"]!.AsArray().Count);
    }

    [Fact]
    public async Task Batch_ReplaceWithUpsert_CreatesMissing_AndUpsertElsewhereIs400()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync("/api/batch", $$"""
            { "ops": [ { "op": "replace", "collection": "{{c}}", "id": "u", "data": { "n": 1 }, "upsert": true },
                       { "op": "replace", "collection": "{{c}}", "id": "u", "data": { "n": 2 }, "upsert": true } ] }
            """));
        Assert.Equal([201, 200], result!["results"]!.AsArray().Select(r => r!["status"]!.GetValue<int>()));
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_batch", await fixture.Service.PostJsonAsync("/api/batch", $$"""
            { "ops": [ { "op": "patch", "collection": "{{c}}", "id": "u", "data": { "n": 3 }, "upsert": true } ] }
            """));
        Assert.Equal("ops[0].upsert", problem["field"]!.GetValue<string>());
        Assert.Equal(0, problem["opIndex"]!.GetValue<int>());
    }
}
