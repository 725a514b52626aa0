using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Auth;
using Platform.Server.Tests.Infrastructure;
using Platform.Server.Tests.Users;

namespace Platform.Server.Tests.Auth;

/// <summary>Access tokens the Bearer scheme has already validated (and so remembers) are still refused when they should be.</summary>
public class CachedTokenServerTests(ClockedUserServerFixture fixture) : IClassFixture<ClockedUserServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BearerScheme_ValidatesThroughTheCachingHandler()
    {
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());
        var handler = fixture.Server.Services.GetRequiredService<CachingJsonWebTokenHandler>();

        using var me = await AuthApi.MeAsync(client, AuthApi.Access(session));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, me);

        Assert.True(handler.Count > 0);
    }

    [Fact]
    public async Task RememberedAccessToken_IsRefused_OnceItsSessionHasEnded()
    {
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());
        using (var me = await AuthApi.MeAsync(client, AuthApi.Access(session)))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, me);
        }

        using var signedIn = fixture.Client(AuthApi.Access(session));
        using (var logout = await signedIn.PostAsync("/api/auth/logout", content: null, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.NoContent, logout);
        }

        using var after = await AuthApi.MeAsync(client, AuthApi.Access(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", after);
    }

    [Fact]
    public async Task RememberedAccessToken_IsRefused_OnceExpired()
    {
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());
        using (var me = await AuthApi.MeAsync(client, AuthApi.Access(session)))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, me);
        }

        fixture.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(31));

        using var expired = await AuthApi.MeAsync(client, AuthApi.Access(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", expired);
    }

    [Fact]
    public async Task TamperedCopyOfARememberedAccessToken_IsRefused()
    {
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());
        var token = AuthApi.Access(session);
        using (var me = await AuthApi.MeAsync(client, token))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, me);
        }

        var parts = token.Split('.');
        var tampered = $"{parts[0]}.{parts[1]}.{CachingJsonWebTokenHandlerTests.FlipMiddle(parts[2])}";

        using var refused = await AuthApi.MeAsync(client, tampered);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", refused);
    }
}
