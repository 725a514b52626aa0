using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Admin;
using Platform.Server.Tests.Auth;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Admin;

/// <summary>A server on a clock the tests move, locking admins after 3 wrong passwords for 5 minutes.</summary>
public sealed class ClockedAdminServerFixture : IAsyncLifetime
{
    internal ManualTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public BaasTestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await BaasTestServer.StartAsync(
        new Dictionary<string, string?>
        {
            ["Baas:Auth:Lockout:MaxFailedAttempts"] = "3",
            ["Baas:Auth:Lockout:Duration"] = "00:05:00",
        },
        configureServices: services => services.AddSingleton<TimeProvider>(Clock));

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Admins lock out after repeated wrong passwords like app users (Baas:Auth:Lockout).</summary>
public class AdminLockoutTests(ClockedAdminServerFixture fixture) : IClassFixture<ClockedAdminServerFixture>
{
    private const string Password = "Lockout-Passw0rd!";
    private const string WrongPassword = "Wr0ng-Passw0rd!";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> NewAdminAsync()
    {
        var email = $"lock-{Guid.NewGuid():N}@test.local";
        Assert.NotNull(await fixture.Server.Services.GetRequiredService<AdminAccountService>().CreateAsync(email, Password, null, Ct));
        return email;
    }

    private Task<HttpResponseMessage> LoginAsync(HttpClient client, string email, string password) =>
        client.PostJsonAsync("/api/admin/auth/login", new { email, password });

    [Fact]
    public async Task Login_LocksTheAdminAfterRepeatedWrongPasswords_UntilTheLockoutEnds()
    {
        using var client = fixture.Server.CreateClient();
        var email = await NewAdminAsync();

        for (var i = 0; i < 2; i++)
        {
            using var wrong = await LoginAsync(client, email, WrongPassword);
            await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        using var locking = await LoginAsync(client, email, WrongPassword);
        var problem = await ProblemAssert.IsProblemAsync(locking, HttpStatusCode.Unauthorized, "locked_out");
        Assert.Equal(300, problem["retryAfter"]!.GetValue<int>());
        Assert.Equal("300", Assert.Single(locking.Headers.GetValues("Retry-After")));

        // The right password does not open a locked account.
        fixture.Clock.Advance(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(50));
        using var stillLocked = await LoginAsync(client, email, Password);
        var still = await ProblemAssert.IsProblemAsync(stillLocked, HttpStatusCode.Unauthorized, "locked_out");
        Assert.Equal(10, still["retryAfter"]!.GetValue<int>());
        Assert.Equal("10", Assert.Single(stillLocked.Headers.GetValues("Retry-After")));

        fixture.Clock.Advance(TimeSpan.FromSeconds(11));
        using var open = await LoginAsync(client, email, Password);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
    }

    [Fact]
    public async Task Login_ForgetsEarlierWrongPasswords_AfterASuccessfulSignIn()
    {
        using var client = fixture.Server.CreateClient();
        var email = await NewAdminAsync();

        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 2; i++)
            {
                using var wrong = await LoginAsync(client, email, WrongPassword);
                await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized, "invalid_credentials");
            }

            using var right = await LoginAsync(client, email, Password);
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        }
    }

    [Fact]
    public async Task Login_CountsParallelWrongPasswords()
    {
        using var client = fixture.Server.CreateClient();
        var email = await NewAdminAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var response = await LoginAsync(client, email, WrongPassword);
            return (JsonObject)(await ProblemAssert.ReadObjectAsync(response, HttpStatusCode.Unauthorized));
        }));

        Assert.Contains(answers, a => a["code"]!.GetValue<string>() == "locked_out");
        using var right = await LoginAsync(client, email, Password);
        await ProblemAssert.IsProblemAsync(right, HttpStatusCode.Unauthorized, "locked_out");
    }

    [Fact]
    public async Task Lockout_OfOneAdmin_LeavesOtherAdminsSigningIn()
    {
        using var client = fixture.Server.CreateClient();
        var locked = await NewAdminAsync();
        var other = await NewAdminAsync();

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await LoginAsync(client, locked, WrongPassword);
        }

        using var lockedAnswer = await LoginAsync(client, locked, Password);
        await ProblemAssert.IsProblemAsync(lockedAnswer, HttpStatusCode.Unauthorized, "locked_out");
        using var otherAnswer = await LoginAsync(client, other, Password);
        Assert.Equal(HttpStatusCode.OK, otherAnswer.StatusCode);
    }
}
