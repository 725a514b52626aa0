using System.Net;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Collections;

/// <summary>A server whose schema check of one document may take 1 ms in all (<c>Baas:Documents:SchemaTimeout</c>).</summary>
public sealed class SchemaBudgetFixture : ServerFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Baas:Documents:SchemaTimeout"] = "00:00:00.001",
    };
}

/// <summary>
/// The schema check of one document has one time budget: a <c>pattern</c> match has 1 s of its own, so a document holding
/// thousands of strings that each take just under it held a core for as many seconds per write.
/// </summary>
public sealed class SchemaBudgetTests(SchemaBudgetFixture fixture) : IClassFixture<SchemaBudgetFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Write_WhoseSchemaCheckOutlastsTheBudget_Is422SchemaValidation_AndNothingIsStored()
    {
        var name = await fixture.NewCollectionAsync(
            new { type = "object", properties = new { tags = new { type = "array", items = new { type = "string", pattern = "^[a-z]+$" } } } },
            cancellationToken: Ct);
        var tags = new JsonArray(Enumerable.Range(0, 20_000).Select(_ => (JsonNode?)JsonValue.Create("abc")).ToArray());
        var body = new JsonObject { ["_id"] = "big", ["tags"] = tags }.ToJsonString();

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation",
            await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents", body));
        // Where it stopped depends on the machine's speed (the root itself on a loaded one); SchemaValidatorTests pins the
        // path on a stepping clock.
        Assert.Matches(@"^(tags|\(document\))", problem["errors"]![0]!["path"]!.GetValue<string>());
        Assert.Contains("SchemaTimeout", problem["errors"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        using var read = await fixture.Service.GetAsync($"/api/collections/{name}/documents/big", Ct);
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }
}
