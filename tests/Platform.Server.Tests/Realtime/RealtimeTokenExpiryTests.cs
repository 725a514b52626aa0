using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Auth;
using Platform.Server.Tests.Auth;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// DESIGN §8 and docs/realtime.md: a connection opened with an access token is closed when the token expires,
/// so a token that can no longer open a request cannot keep receiving events either.
/// </summary>
public sealed class RealtimeTokenExpiryTests
{
    [Fact]
    public async Task Connection_IsClosed_WhenItsAccessTokenExpires()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RealtimeTestServer.StartAsync(configureServices: services => services.AddSingleton<TimeProvider>(clock));
        var collection = await server.NewCollectionAsync(new { list = "auth.id == \"erin\"" });

        // A token issued so that it runs out 20 seconds from now on the real clock.
        var lifetime = server.Server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value.AccessTokenLifetime;
        var early = lifetime - TimeSpan.FromSeconds(20);
        clock.Advance(-early);
        var token = server.UserToken("erin");
        clock.Advance(early);

        await using var erin = await server.ConnectAsync(token);
        await erin.SubscribeAsync(collection);

        // SignalR checks the expiry about once a second; the bound is generous for a loaded machine.
        await erin.Closed.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }
}
