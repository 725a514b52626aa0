using System.Net;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Admin;

public class ApiKeyEndpointsTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private BaasTestServer Server => fixture.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient ServiceClient(string key)
    {
        var client = Server.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private async Task<(string Id, string Key)> CreateKeyAsync(HttpClient client, string name)
    {
        using var response = await client.PostJsonAsync("/api/admin/apikeys", new { name });
        var body = await ProblemAssert.ReadObjectAsync(response, HttpStatusCode.Created);
        return (body["id"]!.GetValue<string>(), body["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_Returns201WithTheKeyOnce_AndListShowsOnlyItsPrefix()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var name = "ci-" + Guid.NewGuid().ToString("N");

        using var created = await admin.PostJsonAsync("/api/admin/apikeys", new { name });
        var body = await ProblemAssert.ReadObjectAsync(created, HttpStatusCode.Created);
        var id = body["id"]!.GetValue<string>();
        var key = body["key"]!.GetValue<string>();
        using var list = await admin.GetAsync("/api/admin/apikeys", Ct);
        var listed = (await ProblemAssert.ReadObjectAsync(list, HttpStatusCode.OK))["items"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == id)!;

        Assert.Matches("^baas_sk_[A-Za-z0-9_-]{43}$", key);
        Assert.Equal(name, body["name"]!.GetValue<string>());
        Assert.NotNull(body["createdAt"]);
        Assert.EndsWith("/api/admin/apikeys/" + id, created.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(name, listed["name"]!.GetValue<string>());
        Assert.Equal(key[..12], listed["prefix"]!.GetValue<string>());
        Assert.Null(listed["key"]);
        Assert.Null(listed["keyHash"]);
        Assert.DoesNotContain(key, listed.ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public async Task Create_Is400NamingTheField_ForABlankName(string? name)
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);

        using var response = await admin.PostJsonAsync("/api/admin/apikeys", new { name });

        var body = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("name", body["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_Is400UnknownField_NamingIt_AndCreatesNoKey()
    {
        // Was 201: an admin who sent an expiry got a key that never expires, with nothing saying the field was ignored.
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var name = "ci-" + Guid.NewGuid().ToString("N");

        using var response = await admin.PostJsonAsync("/api/admin/apikeys", new { name, expiresAt = "2027-01-01T00:00:00Z" });

        var body = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "unknown_field");
        Assert.Equal("expiresAt", body["field"]!.GetValue<string>());
        using var list = await admin.GetAsync("/api/admin/apikeys", Ct);
        Assert.DoesNotContain((await ProblemAssert.ReadObjectAsync(list, HttpStatusCode.OK))["items"]!.AsArray(), i => i!["name"]!.GetValue<string>() == name);
    }

    [Theory]
    [InlineData("ci\u0000key")]
    [InlineData("ci\nkey")]
    [InlineData("\u202eyek-ic")]
    [InlineData("ci\u200bkey")]
    public async Task Create_Is400NamingTheField_ForANameWithControlOrInvisibleCharacters(string name)
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);

        using var response = await admin.PostJsonAsync("/api/admin/apikeys", new { name });

        var body = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("name", body["field"]!.GetValue<string>());
        Assert.Contains("invisible", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_Is400_ForANameOver100Characters()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);

        using var response = await admin.PostJsonAsync("/api/admin/apikeys", new { name = new string('n', 101) });

        var body = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("name", body["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task ServiceKey_CanUseTheAdminApi_UntilRevoked_ThenGets401AtOnce()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var (id, key) = await CreateKeyAsync(admin, "revoke-me");
        using var service = ServiceClient(key);

        using var before = await service.GetAsync("/api/admin/apikeys", Ct);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using var revoke = await admin.DeleteAsync($"/api/admin/apikeys/{id}", Ct);
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        using var after = await service.GetAsync("/api/admin/apikeys", Ct);
        await ProblemAssert.IsProblemAsync(after, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task ServiceKey_CanCreateAndRevokeKeys()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var (_, key) = await CreateKeyAsync(admin, "automation");
        using var service = ServiceClient(key);

        var (otherId, _) = await CreateKeyAsync(service, "made-by-a-key");
        using var revoke = await service.DeleteAsync($"/api/admin/apikeys/{otherId}", Ct);

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
    }

    [Fact]
    public async Task Revoke_Is404Problem_ForAnUnknownId()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);

        using var response = await admin.DeleteAsync("/api/admin/apikeys/" + Guid.NewGuid().ToString("N"), Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("/api/admin/auth/me")]
    [InlineData("/api/admin/admins")]
    public async Task ServiceKey_Gets403Problem_OnAdminAccountEndpoints(string url)
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var (_, key) = await CreateKeyAsync(admin, "no-admin-accounts");
        using var service = ServiceClient(key);

        using var response = await service.GetAsync(url, Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task ServiceKey_Gets403Problem_CreatingAnAdmin()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var (_, key) = await CreateKeyAsync(admin, "no-admin-create");
        using var service = ServiceClient(key);

        using var response = await service.PostJsonAsync("/api/admin/admins", new { email = "sneaky@test.local", password = "Sneaky-Passw0rd" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
    }

    [Theory]
    [InlineData("baas_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("garbage")]
    public async Task UnknownOrMalformedKey_Gets401Problem(string key)
    {
        using var service = ServiceClient(key);

        using var response = await service.GetAsync("/api/admin/apikeys", Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task TwoKeyHeaders_Get401Problem_EvenWhenOneIsValid()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var (_, key) = await CreateKeyAsync(admin, "twice");
        using var service = Server.CreateClient();
        service.DefaultRequestHeaders.Add("X-Api-Key", [key, ApiKeyServiceKeyLike()]);

        using var response = await service.GetAsync("/api/admin/apikeys", Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    private static string ApiKeyServiceKeyLike() => Platform.Server.Auth.ApiKeyService.GenerateKey();

    [Fact]
    public async Task List_Is401Problem_ForAnonymousCallers()
    {
        using var client = Server.CreateClient();

        using var response = await client.GetAsync("/api/admin/apikeys", Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }
}
