using System.Net;
using System.Net.Http.Json;
using Platform.Server.Common;
using Platform.Server.Dashboard;
using Platform.Server.Hosting;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// The problems written outside an endpoint (request head limits, the rate limiter, the jobs dashboard, auth challenges)
/// go through one writer: the same members as the exception handler's, and a client whose <c>Accept</c> takes no JSON
/// gets the status with an empty body. Three of those places answered such a client 500 (the framework's
/// <c>WriteAsync</c> throws when no writer accepts the request).
/// </summary>
public sealed class ProblemWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProblemsWrittenBesideTheEndpoints_KeepTheirStatus_ForAClientThatTakesNoJson()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:RateLimit:AuthPerMinute"] = "1" });
        using var admin = await server.CreateAdminClientAsync(Ct);
        using var client = server.CreateClient();

        async Task AssertEmptyAsync(HttpStatusCode expected, HttpClient sender, HttpRequestMessage request)
        {
            request.Headers.Accept.ParseAdd("text/plain");
            using var response = await sender.SendAsync(request, Ct);
            Assert.Equal(expected, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
        }

        // Request head limits (before routing and the exception handler).
        using var longTarget = new HttpRequestMessage(HttpMethod.Get, "/api/x?q=" + new string('a', 9000));
        await AssertEmptyAsync(HttpStatusCode.RequestUriTooLong, client, longTarget);

        // Auth challenge.
        using var anonymous = new HttpRequestMessage(HttpMethod.Get, "/api/admin/apikeys");
        await AssertEmptyAsync(HttpStatusCode.Unauthorized, client, anonymous);

        // The jobs dashboard's own 415.
        using var stats = new HttpRequestMessage(HttpMethod.Post, DashboardEndpoints.JobsPath + "/stats");
        await AssertEmptyAsync(HttpStatusCode.UnsupportedMediaType, admin, stats);

        // The rate limiter: the admin client's login used the one attempt of the minute.
        using var login = new HttpRequestMessage(HttpMethod.Post, "/api/admin/auth/login") { Content = JsonContent.Create(new { email = BaasTestServer.AdminEmail, password = "x" }) };
        await AssertEmptyAsync(HttpStatusCode.TooManyRequests, client, login);
    }

    [Fact]
    public void Create_HasStatusTitleDetailCode_AndFieldOnlyWhenGiven()
    {
        var bare = ProblemWriter.Create(ErrorKind.NotFound, "some_code", "What went wrong.");
        Assert.Equal((404, "Not Found", "What went wrong."), (bare.Status, bare.Title, bare.Detail));
        Assert.Equal(["code"], bare.Extensions.Keys);
        Assert.Equal("some_code", bare.Extensions["code"]);

        var withField = ProblemWriter.Create(ErrorKind.NotFound, "some_code", "What went wrong.", "name");
        Assert.Equal("name", withField.Extensions["field"]);

        // A status without a reason phrase still has a title.
        Assert.Equal("Error", ProblemWriter.Create(599, "some_code", "What went wrong.").Title);
    }
}
