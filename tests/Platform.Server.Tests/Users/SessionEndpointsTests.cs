using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Users;

/// <summary>Refresh-token rotation, reuse detection and logout, as an attacker holding an old token would try them.</summary>
public class SessionEndpointsTests(UserServerFixture fixture) : IClassFixture<UserServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpClient Client, string Email, JsonObject Session)> SignedUpAsync()
    {
        var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        return (client, email, await AuthApi.SignUpAsync(client, email));
    }

    [Fact]
    public async Task Refresh_ReturnsANewPairInTheSameSession()
    {
        var (client, _, session) = await SignedUpAsync();

        using var response = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));

        var next = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!;
        Assert.NotEqual(AuthApi.Refresh(session), AuthApi.Refresh(next));
        Assert.NotEqual(AuthApi.Access(session), AuthApi.Access(next));
        Assert.Equal(AuthApi.UserId(session), AuthApi.UserId(next));
        Assert.Equal(900, next["expiresIn"]!.GetValue<int>());
        Assert.Equal(Sid(session), Sid(next));
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(next));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, me);
    }

    [Fact]
    public async Task Refresh_StolenOldTokenUsedAfterTheLegitimateRefresh_EndsTheWholeSession()
    {
        var (client, _, session) = await SignedUpAsync();
        using var legitimate = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        var current = (await HttpAssert.StatusAsync(HttpStatusCode.OK, legitimate))!;

        using var attacker = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "refresh_token_reused", attacker);
        Assert.Equal("refreshToken", problem["field"]!.GetValue<string>());
        using var legitimateAgain = await AuthApi.RefreshAsync(client, AuthApi.Refresh(current));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", legitimateAgain);
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(current));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", me);
    }

    [Fact]
    public async Task Refresh_StolenTokenUsedFirst_EndsTheSessionWhenTheOwnerComesBack()
    {
        var (client, _, session) = await SignedUpAsync();
        using var attacker = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        var stolen = (await HttpAssert.StatusAsync(HttpStatusCode.OK, attacker))!;

        using var owner = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "refresh_token_reused", owner);
        using var attackerAgain = await AuthApi.RefreshAsync(client, AuthApi.Refresh(stolen));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", attackerAgain);
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(stolen));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", me);
    }

    [Fact]
    public async Task Refresh_ConcurrentUsesOfOneToken_NeverBothSucceed()
    {
        var (client, _, session) = await SignedUpAsync();

        var responses = await Task.WhenAll(
            AuthApi.RefreshAsync(client, AuthApi.Refresh(session)),
            AuthApi.RefreshAsync(client, AuthApi.Refresh(session)));

        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) <= 1);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.Unauthorized);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Theory]
    [InlineData("not-a-refresh-token")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Refresh_Is401_ForUnknownTokens(string token)
    {
        using var client = fixture.Client();

        using var response = await AuthApi.RefreshAsync(client, token);

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", response);
    }

    [Fact]
    public async Task Refresh_Is400_WithoutAToken()
    {
        using var client = fixture.Client();

        using var response = await client.PostJsonAsync("/api/auth/refresh", "{}");

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "validation_failed", response);
        Assert.Equal("refreshToken", problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Logout_EndsTheSession_SoItsRefreshTokenAndAccessTokenAreRefused()
    {
        var (client, _, session) = await SignedUpAsync();
        using var signedIn = fixture.Client(AuthApi.Access(session));

        using var logout = await signedIn.PostAsync("/api/auth/logout", null, Ct);

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, logout);
        using var replay = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", replay);
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", me);
    }

    [Fact]
    public async Task Logout_LeavesOtherSessionsOfTheUser()
    {
        var (client, email, session) = await SignedUpAsync();
        var other = await AuthApi.LoginAsync(client, email);

        using var logout = await fixture.Client(AuthApi.Access(session)).PostAsync("/api/auth/logout", null, Ct);

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, logout);
        using var refresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(other));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, refresh);
    }

    [Fact]
    public async Task Logout_WithARefreshToken_EndsThatSessionToo_OnlyForItsOwner()
    {
        var (client, email, session) = await SignedUpAsync();
        var second = await AuthApi.LoginAsync(client, email);
        var (_, _, stranger) = await SignedUpAsync();

        using var logout = await fixture.Client(AuthApi.Access(session))
            .PostAsJsonAsync("/api/auth/logout", new { refreshToken = AuthApi.Refresh(second) }, Ct);
        using var strangerLogout = await fixture.Client(AuthApi.Access(stranger))
            .PostAsJsonAsync("/api/auth/logout", new { refreshToken = "whatever" }, Ct);

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, logout);
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, strangerLogout);
        using var refresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(second));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", refresh);
    }

    [Fact]
    public async Task Logout_Is401WhenSignedOut()
    {
        using var client = fixture.Client();

        using var response = await client.PostAsync("/api/auth/logout", null, Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", response);
    }

    private static string Sid(JsonObject session) =>
        JsonNode.Parse(UserAuthEndpointsTests.JwtPayload(AuthApi.Access(session)))!["sid"]!.GetValue<string>();
}
