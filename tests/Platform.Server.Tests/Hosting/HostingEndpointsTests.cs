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

    [Theory]
    [InlineData("POST", "/health")]
    [InlineData("DELETE", "/health")]
    [InlineData("PUT", "/health/ready")]
    public async Task Health_OtherMethods_Are405WithAllowGetAndHead(string method, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = fixture.Server.CreateClient();
        using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed", response);
        Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow);
        using var head = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, path), ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Theory]
    [InlineData("DELETE", "/api/collections/things/documents", new[] { "GET", "HEAD", "POST" })]
    [InlineData("GET", "/api/batch", new[] { "POST" })]
    public async Task MethodNotAllowed_ListsHead_WhereGetIsAllowed(string method, string path, string[] allow)
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = fixture.Server.CreateClient();
        using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed", response);
        Assert.Equal(allow, response.Content.Headers.Allow.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AddHeadToAllow_AddsItAfterGet_Once()
    {
        Microsoft.AspNetCore.Http.IHeaderDictionary headers = new Microsoft.AspNetCore.Http.HeaderDictionary { ["Allow"] = "POST, GET, DELETE" };
        Platform.Server.Hosting.HeadRequests.AddHeadToAllow(headers);
        Assert.Equal("POST, GET, HEAD, DELETE", headers.Allow.ToString());
        Platform.Server.Hosting.HeadRequests.AddHeadToAllow(headers);
        Assert.Equal("POST, GET, HEAD, DELETE", headers.Allow.ToString());
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

public sealed class ModelBoundBodyErrorsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task MalformedJson_OnAModelBoundEndpoint_IsProblemWithPosition()
    {
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "malformed_json",
            await fixture.Server.CreateClient().PostJsonAsync("/api/admin/auth/login", """{ "email": }"""));
        Assert.Equal("body", problem["field"]!.GetValue<string>());
        Assert.NotNull(problem["position"]);
    }

    [Fact]
    public async Task WrongType_OnAModelBoundEndpoint_NamesTheField()
    {
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_body",
            await fixture.Admin.PostJsonAsync("/api/admin/apikeys", """{ "name": 5 }"""));
        Assert.Equal("name", problem["field"]!.GetValue<string>());

        var array = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_body",
            await fixture.Server.CreateClient().PostJsonAsync("/api/admin/auth/login", "[1]"));
        Assert.Equal("body", array["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task WrongContentType_OnAModelBoundEndpoint_Is415Problem()
    {
        using var form = new StringContent("email=x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        await HttpAssert.ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type",
            await fixture.Server.CreateClient().PostAsync("/api/admin/auth/login", form, TestContext.Current.CancellationToken));
    }
}
