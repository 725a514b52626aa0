using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Admin;

public class AdminAuthEndpointsTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private BaasTestServer Server => fixture.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Login_ReturnsAdminTokenAndLifetime_ForTheSeededAdmin()
    {
        using var client = Server.CreateClient();

        using var response = await client.PostJsonAsync("/api/admin/auth/login", new { email = BaasTestServer.AdminEmail, password = BaasTestServer.AdminPassword });

        var body = await ProblemAssert.ReadObjectAsync(response, HttpStatusCode.OK);
        Assert.Equal(BaasTestServer.AdminEmail, body["admin"]!["email"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["admin"]!["id"]!.GetValue<string>()));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", body["admin"]!["createdAt"]!.GetValue<string>());
        Assert.Equal(8 * 3600, body["expiresIn"]!.GetValue<int>());
        Assert.Null(body["admin"]!["passwordHash"]);
        Assert.Equal(3, body["accessToken"]!.GetValue<string>().Split('.').Length);
    }

    [Fact]
    public async Task Login_NormalizesTheEmail()
    {
        using var client = Server.CreateClient();

        using var response = await client.PostJsonAsync("/api/admin/auth/login", new { email = "  ADMIN@Test.Local ", password = BaasTestServer.AdminPassword });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Login_AnswersTheSame401_ForAWrongPasswordAndAnUnknownEmail()
    {
        using var client = Server.CreateClient();

        using var wrong = await client.PostJsonAsync("/api/admin/auth/login", new { email = BaasTestServer.AdminEmail, password = "not-the-password" });
        using var unknown = await client.PostJsonAsync("/api/admin/auth/login", new { email = "nobody@test.local", password = "not-the-password" });

        var wrongBody = await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized, "invalid_credentials");
        var unknownBody = await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.Unauthorized, "invalid_credentials");
        wrongBody.Remove("traceId");
        unknownBody.Remove("traceId");
        Assert.Equal(wrongBody.ToJsonString(), unknownBody.ToJsonString());
    }

    [Fact]
    public async Task Login_Is400NamingTheField_WhenThePasswordIsMissing()
    {
        using var client = Server.CreateClient();

        using var response = await client.PostJsonAsync("/api/admin/auth/login", new { email = BaasTestServer.AdminEmail });

        var body = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("password", body["field"]!.GetValue<string>());
        Assert.Equal("password", body["errors"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Login_Is400UnknownField_NamingIt()
    {
        // As the app users' login: a field the server does not read (here a "remember me") is named, not silently dropped.
        using var client = Server.CreateClient();

        using var response = await client.PostJsonAsync("/api/admin/auth/login", new { email = BaasTestServer.AdminEmail, password = BaasTestServer.AdminPassword, rememberMe = true });

        var body = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "unknown_field");
        Assert.Equal("rememberMe", body["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Me_ReturnsTheSignedInAdmin()
    {
        using var client = await Server.CreateAdminClientAsync(Ct);

        using var response = await client.GetAsync("/api/admin/auth/me", Ct);

        var body = await ProblemAssert.ReadObjectAsync(response, HttpStatusCode.OK);
        Assert.Equal(BaasTestServer.AdminEmail, body["email"]!.GetValue<string>());
        Assert.NotNull(body["id"]);
        Assert.NotNull(body["createdAt"]);
    }

    [Fact]
    public async Task Me_Is401Problem_WithoutCredentials()
    {
        using var client = Server.CreateClient();

        using var response = await client.GetAsync("/api/admin/auth/me", Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Me_Is401Problem_WithATamperedToken()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var token = admin.DefaultRequestHeaders.Authorization!.Parameter!;
        using var client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token[..^4] + (token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA"));

        using var response = await client.GetAsync("/api/admin/auth/me", Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Tokens_AreAcceptedByAnotherNodeOnTheSameStore()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));
        await using var first = await BaasTestServer.StartAsync(dataDir: dataDir);
        await using var second = await BaasTestServer.StartAsync(dataDir: dataDir);
        using var signedInOnFirst = await first.CreateAdminClientAsync(Ct);
        using var client = second.CreateClient();
        client.DefaultRequestHeaders.Authorization = signedInOnFirst.DefaultRequestHeaders.Authorization;

        using var response = await client.GetAsync("/api/admin/auth/me", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

public class AdminTokenLifetimeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AdminToken_IsRejectedByTheServer_OnceExpiredBeyondTheClockSkew()
    {
        var clock = new Platform.Server.Tests.Auth.ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await BaasTestServer.StartAsync(
            configureServices: services => services.AddSingleton<TimeProvider>(clock));
        using var client = await server.CreateAdminClientAsync(Ct);

        clock.Advance(TimeSpan.FromHours(8) + TimeSpan.FromSeconds(29));
        using var withinSkew = await client.GetAsync("/api/admin/auth/me", Ct);
        clock.Advance(TimeSpan.FromSeconds(2));
        using var expired = await client.GetAsync("/api/admin/auth/me", Ct);

        Assert.Equal(HttpStatusCode.OK, withinSkew.StatusCode);
        await ProblemAssert.IsProblemAsync(expired, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Contains("invalid_token", expired.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }
}
