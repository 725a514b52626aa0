using System.Net;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Documents;

/// <summary>A server whose batch answers echo at most 1 MiB of documents.</summary>
public sealed class SmallBatchResponseFixture : ServerFixture
{
    public const long MaxResponseBytes = 1024 * 1024;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Baas:Batch:MaxResponseBytes"] = MaxResponseBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>Issue 11 item 4: a batch's answer is bounded (500 patches of a 1 MiB document once answered 500 MB).</summary>
public sealed class BatchResponseBoundsTests(SmallBatchResponseFixture fixture) : IClassFixture<SmallBatchResponseFixture>
{
    private static string PatchOps(string collection, int count) =>
        "{\"ops\":[" + string.Join(",", Enumerable.Range(0, count).Select(i => $$$"""{"op":"patch","collection":"{{{collection}}}","id":"big","data":{"n":{{{i}}}}}""")) + "]}";

    private async Task<string> BigDocumentAsync(CancellationToken ct)
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var doc = new JsonObject { ["_id"] = "big", ["payload"] = new string('x', 200 * 1024) };
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{c}/documents", doc.ToJsonString()));
        return c;
    }

    [Fact]
    public async Task ManyPatchesOfALargeDocument_EchoDocumentsOnlyWithinMaxResponseBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await BigDocumentAsync(ct);

        using var response = await fixture.Service.PostJsonAsync("/api/batch", PatchOps(c, 50));
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(text.Length < SmallBatchResponseFixture.MaxResponseBytes + (64 * 1024), $"the answer has {text.Length} bytes");

        var results = JsonNode.Parse(text)!["results"]!.AsArray();
        Assert.Equal(50, results.Count);
        var echoed = results.TakeWhile(r => r!["document"] is not null).Count();
        Assert.InRange(echoed, 1, 5);
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i]!;
            Assert.Equal(200, result["status"]!.GetValue<int>());
            Assert.Equal("big", result["id"]!.GetValue<string>());
            Assert.Equal(i + 2, result["version"]!.GetValue<long>());
            Assert.Equal(i < echoed, result["document"] is not null);
        }

        // Everything was written, echoed or not.
        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{c}/documents/big", ct));
        Assert.Equal(49, stored!["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task ReturnMinimal_EchoesNoDocument()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await BigDocumentAsync(ct);
        var body = $$$"""{"ops":[{"op":"create","collection":"{{{c}}}","data":{"_id":"n1","a":1}},{"op":"delete","collection":"{{{c}}}","id":"big"}]}""";
        var answer = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync("/api/batch?return=minimal", body));
        var results = answer!["results"]!.AsArray();
        Assert.Equal("""{"status":201,"id":"n1","version":1}""", results[0]!.ToJsonString());
        Assert.Equal("""{"status":204,"id":"big"}""", results[1]!.ToJsonString());
    }

    [Fact]
    public async Task ReturnOtherThanMinimalOrFull_Is400_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var body = $$$"""{"ops":[{"op":"create","collection":"{{{c}}}","data":{"a":1}}]}""";
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_return", await fixture.Service.PostJsonAsync("/api/batch?return=", body));
        Assert.Equal("return", problem["field"]!.GetValue<string>());
        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{c}/documents?count=true", ct));
        Assert.Equal(0, page!["count"]!.GetValue<int>());
    }
}
