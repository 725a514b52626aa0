using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Tests.Auth;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Users;

/// <summary>A server on a clock the tests move: lockout after 3 wrong passwords for 5 minutes; sessions checked on every request.</summary>
public sealed class ClockedUserServerFixture : UserServerFixture
{
    internal ManualTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Baas:Auth:Lockout:MaxFailedAttempts"] = "3",
        ["Baas:Auth:Lockout:Duration"] = "00:05:00",
        ["Baas:Auth:RefreshTokenLifetime"] = "1.00:00:00",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

/// <summary>Lockout and token expiry, driven by the injected clock instead of waiting.</summary>
public class UserClockTests(ClockedUserServerFixture fixture) : IClassFixture<ClockedUserServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Login_LocksTheAccountAfterRepeatedFailures_UntilTheLockoutEnds()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);

        for (var i = 0; i < 2; i++)
        {
            using var wrong = await client.PostAsJsonAsync("/api/auth/login", new { email, password = "Wr0ng-Password!" }, Ct);
            await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", wrong);
        }

        using var locking = await client.PostAsJsonAsync("/api/auth/login", new { email, password = "Wr0ng-Password!" }, Ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "locked_out", locking);
        Assert.Equal(300, problem["retryAfter"]!.GetValue<int>());
        Assert.Equal("300", Assert.Single(locking.Headers.GetValues("Retry-After")));

        fixture.Clock.Advance(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(50));
        using var stillLocked = await client.PostAsJsonAsync("/api/auth/login", new { email, password = AuthApi.Password }, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "locked_out", stillLocked);
        Assert.Equal("10", Assert.Single(stillLocked.Headers.GetValues("Retry-After")));

        fixture.Clock.Advance(TimeSpan.FromSeconds(11));
        await AuthApi.LoginAsync(client, email);
    }

    [Fact]
    public async Task Login_ForgetsEarlierFailures_AfterASuccessfulSignIn()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 2; i++)
            {
                using var wrong = await client.PostAsJsonAsync("/api/auth/login", new { email, password = "Wr0ng-Password!" }, Ct);
                await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", wrong);
            }

            await AuthApi.LoginAsync(client, email);
        }
    }

    [Fact]
    public async Task PasswordReset_LiftsALockout()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await client.PostAsJsonAsync("/api/auth/login", new { email, password = "Wr0ng-Password!" }, Ct);
        }

        using (await client.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct))
        {
        }

        using var reset = await client.PostAsJsonAsync("/api/auth/password/reset", new { token = fixture.Mail.SingleToken(email, "reset"), password = "N3w-Password!" }, Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, reset);

        await AuthApi.LoginAsync(client, email, "N3w-Password!");
    }

    [Fact]
    public async Task AccessToken_IsRefusedOnceExpired_AndRefreshGivesAWorkingOne()
    {
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());

        // 15 minutes of lifetime plus the 30 s of allowed clock skew.
        fixture.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(31));

        using var expired = await AuthApi.MeAsync(client, AuthApi.Access(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", expired);
        using var refresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        var next = (await HttpAssert.StatusAsync(HttpStatusCode.OK, refresh))!;
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(next));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, me);
    }

    [Fact]
    public async Task RefreshToken_IsRefusedOnceExpired()
    {
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());

        fixture.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        using var refresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", refresh);
    }
}
