using System.Net;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// An over-long request target or header section is a problem+json naming the limit (414 <c>uri_too_long</c>, 431
/// <c>headers_too_large</c>), not Kestrel's bare status: Kestrel's hard limits are twice the documented ones.
/// </summary>
public sealed class RequestHeadLimitsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATargetOverTheLimit_Is414Problem_NamingTheLimit()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var path = $"/api/collections/{c}/documents?filter=";

        // Just under: an ordinary answer (the filter is a valid string comparison).
        var under = path + Uri.EscapeDataString("{\"s\":\"" + new string('a', 8192 - path.Length - 30) + "\"}");
        Assert.True(under.Length <= 8192);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync(under, Ct));

        var over = path + Uri.EscapeDataString("{\"s\":\"" + new string('a', 9000) + "\"}");
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.RequestUriTooLong, "uri_too_long", await fixture.Service.GetAsync(over, Ct));
        Assert.Equal(("target", 8192), (problem["field"]!.GetValue<string>(), problem["limit"]!.GetValue<int>()));
        Assert.Equal(over.Length, problem["size"]!.GetValue<int>());
    }

    [Fact]
    public async Task HeadersOverTheLimit_Are431Problem_NamingTheLimit()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.TryAddWithoutValidation("X-Padding", new string('p', 40 * 1024));
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.RequestHeaderFieldsTooLarge, "headers_too_large", await fixture.Service.SendAsync(request, Ct));
        Assert.Equal(("headers", 32 * 1024), (problem["field"]!.GetValue<string>(), problem["limit"]!.GetValue<int>()));
    }

    [Fact]
    public void HeaderBytes_CountEachLineAsHttp11SendsIt()
    {
        var headers = new Microsoft.AspNetCore.Http.HeaderDictionary { ["A"] = "xyz", ["Bb"] = new Microsoft.Extensions.Primitives.StringValues(["1", "22"]) };
        Assert.Equal((1 + 4 + 3) + (2 + 4 + 1) + (2 + 4 + 2), Platform.Server.Hosting.RequestHeadLimitsMiddleware.HeadersBytes(headers));
    }
}
