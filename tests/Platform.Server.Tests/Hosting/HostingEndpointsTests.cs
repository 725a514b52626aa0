using System.Net;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

public sealed class HostingEndpointsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Health_And_Ready_Answer200_WithoutCredentials()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = fixture.Server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health", ct)).StatusCode);
        var ready = await anonymous.GetAsync("/health/ready", ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task OpenApi_DescribesTheDataApi()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = fixture.Server.CreateClient();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json", ct))!.AsObject();
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/collections/{collection}/documents", paths);
        Assert.Contains("/api/collections/{collection}/documents/{id}", paths);
        Assert.Contains("/api/collections/{collection}/query", paths);
        Assert.Contains("/api/batch", paths);
        Assert.Contains("/api/admin/collections", paths);
        Assert.Contains("/api/admin/auth/login", paths);
        Assert.Equal("QueryDocuments", document["paths"]!["/api/collections/{collection}/documents"]!["get"]!["operationId"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownRoute_And_WrongMethod_AreProblemsWithCodes()
    {
        var ct = TestContext.Current.CancellationToken;
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync("/api/nothing-here", ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed", await fixture.Service.PatchAsync("/api/batch", null, ct));
    }
}
