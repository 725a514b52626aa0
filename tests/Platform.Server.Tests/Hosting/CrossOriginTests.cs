using System.ComponentModel.DataAnnotations;
using System.Net;
using Platform.Server.Hosting;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// Browser apps on other origins (docs/deployment.md, "Browsers on other origins"): any origin by default, as
/// Firebase, Supabase and PocketBase answer, a listed set with credentials, or none.
/// </summary>
public sealed class CrossOriginTests
{
    private const string Page = "https://app.example.com";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Default_AnswersAnyOriginsPreflight_BeforeCredentialsOrRateLimits_AndExposesTheHeadersPagesRead()
    {
        await using var server = await BaasTestServer.StartAsync();
        using var http = server.CreateClient();

        using var preflight = await http.SendAsync(Preflight("/api/auth/login", "POST", "content-type"), Ct);
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("*", Single(preflight, "Access-Control-Allow-Origin"));
        Assert.Contains("POST", Single(preflight, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        Assert.Contains("content-type", Single(preflight, "Access-Control-Allow-Headers"), StringComparison.OrdinalIgnoreCase);

        // A refused request still carries the header, so the page can read the problem (and a 429's Retry-After).
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        request.Headers.Add("Origin", Page);
        using var refused = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("*", Single(refused, "Access-Control-Allow-Origin"));
        var exposed = Single(refused, "Access-Control-Expose-Headers");
        Assert.Contains("ETag", exposed, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Retry-After", exposed, StringComparison.OrdinalIgnoreCase);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Credentials"));

        // Also a request refused before authentication: a query parameter given twice.
        using var repeated = new HttpRequestMessage(HttpMethod.Get, "/api/collections/notes/documents?limit=1&limit=2");
        repeated.Headers.Add("Origin", Page);
        using var duplicate = await http.SendAsync(repeated, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Equal("*", Single(duplicate, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task ListedOrigins_AreAnsweredWithCredentials_AndOthersGetNoCorsHeaders()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Cors:AllowedOrigins"] = Page + ", http://localhost:5173",
        });
        using var http = server.CreateClient();

        using var listed = await http.SendAsync(Preflight("/realtime/negotiate", "POST", "x-requested-with"), Ct);
        Assert.Equal(Page, Single(listed, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Single(listed, "Access-Control-Allow-Credentials"));

        using var other = await http.SendAsync(Preflight("/realtime/negotiate", "POST", "x-requested-with", "https://evil.example"), Ct);
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task EmptySetting_TurnsCrossOriginAccessOff()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Cors:AllowedOrigins"] = "" });
        using var http = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("Origin", Page);

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("https://app.example.com/")]
    [InlineData("https://app.example.com/path")]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    [InlineData("*, https://app.example.com")]
    public void Validate_RefusesWhatIsNotAnOrigin(string origins)
    {
        var options = new CrossOriginOptions { AllowedOrigins = origins };
        Assert.NotEmpty(options.Validate(new ValidationContext(options)));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("")]
    [InlineData("https://app.example.com")]
    [InlineData("http://localhost:5173, https://app.example.com:8443")]
    public void Validate_AcceptsOrigins(string origins)
    {
        var options = new CrossOriginOptions { AllowedOrigins = origins };
        Assert.Empty(options.Validate(new ValidationContext(options)));
    }

    private static HttpRequestMessage Preflight(string path, string method, string headers, string origin = Page)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", headers);
        return request;
    }

    private static string Single(HttpResponseMessage response, string header) =>
        string.Join(", ", response.Headers.TryGetValues(header, out var values) ? values : []);
}
