using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Users;

/// <summary>Forged and misused access tokens against <c>GET /api/auth/me</c> and the admin API.</summary>
public class AccessTokenAttackTests(UserServerFixture fixture) : IClassFixture<UserServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Me_Refuses_AnUnsignedAlgNoneToken()
    {
        var session = await AuthApi.SignUpAsync(fixture.Client(), UserServerFixture.NewEmail());
        var parts = AuthApi.Access(session).Split('.');
        var forged = $"{Encode("""{"alg":"none","typ":"JWT"}""")}.{parts[1]}.";

        await AssertRefusedAsync(forged);
    }

    [Fact]
    public async Task Me_Refuses_ATokenWhoseSubjectWasChanged()
    {
        var victim = await AuthApi.SignUpAsync(fixture.Client(), UserServerFixture.NewEmail());
        var attacker = await AuthApi.SignUpAsync(fixture.Client(), UserServerFixture.NewEmail());

        var forged = WithPayload(AuthApi.Access(attacker), payload => payload["sub"] = AuthApi.UserId(victim));

        await AssertRefusedAsync(forged);
    }

    [Fact]
    public async Task Me_Refuses_ATokenWhoseRolesWereChanged()
    {
        var session = await AuthApi.SignUpAsync(fixture.Client(), UserServerFixture.NewEmail());

        var forged = WithPayload(AuthApi.Access(session), payload =>
        {
            payload["roles"] = new JsonArray("admin");
            payload["role"] = "admin";
        });

        await AssertRefusedAsync(forged);
        using var admin = fixture.Client(forged);
        using var response = await admin.GetAsync("/api/admin/users", Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", response);
    }

    [Fact]
    public async Task Me_Refuses_ATokenSignedWithAnotherKey()
    {
        var session = await AuthApi.SignUpAsync(fixture.Client(), UserServerFixture.NewEmail());
        var claims = JsonNode.Parse(UserAuthEndpointsTests.JwtPayload(AuthApi.Access(session)))!.AsObject();
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var forged = handler.CreateToken(claims.ToJsonString(), new SigningCredentials(
            new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256));

        await AssertRefusedAsync(forged);
    }

    [Fact]
    public async Task Me_Refuses_ATokenWithTheSignatureOfAnotherToken()
    {
        var first = await AuthApi.SignUpAsync(fixture.Client(), UserServerFixture.NewEmail());
        var second = await AuthApi.SignUpAsync(fixture.Client(), UserServerFixture.NewEmail());
        var a = AuthApi.Access(first).Split('.');
        var b = AuthApi.Access(second).Split('.');

        await AssertRefusedAsync($"{a[0]}.{a[1]}.{b[2]}");
    }

    [Fact]
    public async Task AdminApi_Is403ForAppUserTokens()
    {
        var session = await AuthApi.SignUpAsync(fixture.Client(), UserServerFixture.NewEmail());
        using var client = fixture.Client(AuthApi.Access(session));

        using var users = await client.GetAsync("/api/admin/users", Ct);
        using var collections = await client.GetAsync("/api/admin/collections", Ct);
        using var me = await client.GetAsync("/api/admin/auth/me", Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", users);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", collections);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", me);
    }

    [Fact]
    public async Task AdminApi_Is403ForAUserWhoseRolesIncludeAdmin()
    {
        var email = UserServerFixture.NewEmail();
        var session = await AuthApi.SignUpAsync(fixture.Client(), email);
        using (var patch = await fixture.Admin.PatchAsJsonAsync($"/api/admin/users/{AuthApi.UserId(session)}", new { roles = new[] { "admin", "service" } }, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, patch);
        }

        var login = await AuthApi.LoginAsync(fixture.Client(), email);
        Assert.Contains("admin", login["user"]!["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        using var client = fixture.Client(AuthApi.Access(login));

        using var users = await client.GetAsync("/api/admin/users", Ct);
        using var keys = await client.GetAsync("/api/admin/apikeys", Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", users);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", keys);
    }

    private async Task AssertRefusedAsync(string token)
    {
        using var client = fixture.Client();
        using var response = await AuthApi.MeAsync(client, token);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", response);
    }

    private static string WithPayload(string token, Action<JsonObject> change)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(UserAuthEndpointsTests.JwtPayload(token))!.AsObject();
        change(payload);
        return $"{parts[0]}.{Encode(payload.ToJsonString())}.{parts[2]}";
    }

    private static string Encode(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
}
