using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Realtime;
using Platform.Server.Tests.Auth;
using Platform.Server.Tests.Hosting;
using Platform.Server.Tests.Infrastructure;
using Platform.Server.Tests.Users;

namespace Platform.Server.Tests.Realtime;

/// <summary>A user server whose log entries the tests can read.</summary>
public sealed class RealtimeTicketServerFixture : UserServerFixture
{
    internal CapturingLoggerProvider Logs { get; } = new();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Logging:LogLevel:Platform.Server.Realtime.RealtimeTicketAuthenticationHandler"] = "Information",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Logs);
}

/// <summary>
/// DESIGN §10 (the admin token never in a URL) and docs/realtime.md, "Tickets": <c>POST /api/realtime/ticket</c> gives a
/// one-use ticket that opens one websocket as the caller it was made for, on real Kestrel.
/// </summary>
public sealed class RealtimeTicketTests(RealtimeTicketServerFixture fixture) : IClassFixture<RealtimeTicketServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ticket_OpensOneWebSocket_AsTheUserItWasMadeFor_AndNoSecond()
    {
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());
        var userId = AuthApi.UserId(session);
        var collection = await NewCollectionAsync($"auth.id == \"{userId}\"");

        using var issued = await TicketResponseAsync(fixture.Client(AuthApi.Access(session)));
        var body = (await HttpAssert.StatusAsync(HttpStatusCode.OK, issued))!;
        Assert.True(issued.Headers.CacheControl?.NoStore, "A ticket is a credential: the answer must not be stored.");
        var ticket = body["ticket"]!.GetValue<string>();
        Assert.StartsWith(BaasAuthSchemes.RealtimeTicketPrefix, ticket, StringComparison.Ordinal);
        var expiresAt = DateTimeOffset.Parse(body["expiresAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(31));

        // As a browser sends it: in the websocket URL, with no Authorization header at all.
        await using var hub = await ConnectWithTicketAsync(ticket);
        var subscribed = await hub.SubscribeAsync(collection);
        using var created = await fixture.Service.PostAsJsonAsync($"/api/collections/{collection}/documents", new { title = "seen" }, Ct);
        var id = (await HttpAssert.StatusAsync(HttpStatusCode.Created, created))!["_id"]!.GetValue<string>();
        await hub.ExpectAsync(subscribed.SubscriptionId, "added", id);

        await AssertRefusedAsync(() => ConnectWithTicketAsync(ticket));
    }

    [Fact]
    public async Task Ticket_ThroughNegotiation_IsSpentByTheConnection_NotByTheNegotiate()
    {
        var (ticket, _) = await AdminTicketAsync();

        // The .NET client (outside a browser) negotiates first and sends the same token to both requests, as a header.
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Server.BaseAddress, "/realtime"), options => options.AccessTokenProvider = () => Task.FromResult<string?>(ticket))
            .Build();
        await using (var hub = new HubClient(connection))
        {
            await connection.StartAsync(Ct);
            await hub.SubscribeAsync(await NewCollectionAsync("true"));
        }

        using var again = new HttpRequestMessage(HttpMethod.Post, "/realtime/negotiate?negotiateVersion=1");
        again.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ticket);
        using var negotiate = await fixture.Client().SendAsync(again, Ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", negotiate);
        Assert.Contains("used already", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ticket_IsNoCredential_ForTheRestApi()
    {
        var (ticket, _) = await AdminTicketAsync();
        using var client = fixture.Client(ticket);

        using var statistics = await client.GetAsync("/api/admin/realtime", Ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", statistics);
        Assert.Contains("realtime ticket", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        using var another = await client.PostAsync("/api/realtime/ticket", null, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", another);

        // Refusing it elsewhere did not spend it.
        await using var hub = await ConnectWithTicketAsync(ticket);
    }

    [Fact]
    public async Task Ticket_OnServerSentEventsOrLongPolling_IsRefused_AndNotSpent()
    {
        var (ticket, _) = await AdminTicketAsync();
        using var poll = await fixture.Client().GetAsync($"/realtime?id=whatever&access_token={ticket}", Ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", poll);
        Assert.Contains("websocket connection only", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        await using var hub = await ConnectWithTicketAsync(ticket);
    }

    [Fact]
    public async Task Ticket_OfAUserWhoSignedOut_IsRefused()
    {
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());
        using var signedIn = fixture.Client(AuthApi.Access(session));
        var ticket = (await TicketAsync(signedIn)).Ticket;

        using (var logout = await signedIn.PostAsync("/api/auth/logout", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        await AssertRefusedAsync(() => ConnectWithTicketAsync(ticket));
    }

    [Fact]
    public async Task Ticket_OfAnAdminSignedOutOnAnotherNode_IsRefused()
    {
        var (ticket, token) = await AdminTicketAsync();

        // Another node signs the admin out: only the store knows (a new token stamp), this node's cache still says "alive".
        using var me = await fixture.Client(token).GetAsync("/api/admin/auth/me", Ct);
        var id = (await HttpAssert.StatusAsync(HttpStatusCode.OK, me))!["id"]!.GetValue<string>();
        var store = fixture.Server.Services.GetRequiredService<Platform.Server.Storage.IDocumentStore>();
        var stored = (await store.GetAsync(SystemDocuments.AdminsCollection, id, Ct))!;
        await store.WriteAsync([SystemDocuments.Update(SystemDocuments.AdminsCollection, stored, DateTimeOffset.UtcNow, d => d[Platform.Server.Admin.AdminAccountService.TokenStampField] = "elsewhere")], Ct);

        await AssertRefusedAsync(() => ConnectWithTicketAsync(ticket));
    }

    [Fact]
    public async Task TicketConnection_IsClosed_WhenTheAdminSignsOut()
    {
        var (ticket, token) = await AdminTicketAsync();
        await using var hub = await ConnectWithTicketAsync(ticket);
        await hub.SubscribeAsync(await NewCollectionAsync("true"));

        using (var logout = await fixture.Client(token).PostAsync("/api/admin/auth/logout", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        Assert.Equal(RealtimeDispatcher.SessionEndedReason, await hub.Resync.Task.WaitAsync(HubClient.Patience, Ct));
        await hub.Closed.Task.WaitAsync(HubClient.Patience, Ct);
    }

    [Fact]
    public async Task ServiceKey_GetsATicket_ThatActsAsTheKey()
    {
        var ticket = (await TicketAsync(fixture.Service)).Ticket;
        var collection = await NewCollectionAsync(rule: null);

        // No list rule: only a privileged caller may watch, which the key is.
        await using var hub = await ConnectWithTicketAsync(ticket);
        await hub.SubscribeAsync(collection);
    }

    [Fact]
    public async Task TicketEndpoint_RefusesCallersWithoutValidCredentials()
    {
        using var anonymous = await fixture.Client().PostAsync("/api/realtime/ticket", null, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", anonymous);
        using var forged = await fixture.Client("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.").PostAsync("/api/realtime/ticket", null, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", forged);
    }

    [Fact]
    public async Task RefusedTicket_Is401ProblemJson_AndLogged_WithoutTheTicket()
    {
        var forged = BaasAuthSchemes.RealtimeTicketPrefix + new string('A', 43);
        var (spent, _) = await AdminTicketAsync();
        await using (await ConnectWithTicketAsync(spent))
        {
        }

        foreach (var ticket in new[] { forged, spent })
        {
            using var negotiate = await fixture.Client().PostAsync($"/realtime/negotiate?negotiateVersion=1&access_token={ticket}", null, Ct);
            await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", negotiate);
            await AssertRefusedAsync(() => ConnectWithTicketAsync(ticket));
        }

        var entries = fixture.Logs.Entries.Where(e => e.Message.StartsWith("Refused a realtime ticket", StringComparison.Ordinal)).ToList();
        Assert.Contains(entries, e => e.Message.Contains("not valid", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Message.Contains("used already", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.Message.Contains(forged, StringComparison.Ordinal) || e.Message.Contains(spent, StringComparison.Ordinal));
    }

    private async Task<(string Ticket, string AdminToken)> AdminTicketAsync()
    {
        var email = $"a{Guid.NewGuid():N}@test.local";
        const string password = "Adm1n-Password!";
        using (var created = await fixture.Admin.PostAsJsonAsync("/api/admin/admins", new { email, password }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var login = await fixture.Client().PostAsJsonAsync("/api/admin/auth/login", new { email, password }, Ct);
        var token = (await HttpAssert.StatusAsync(HttpStatusCode.OK, login))!["accessToken"]!.GetValue<string>();
        using var admin = fixture.Client(token);
        return ((await TicketAsync(admin)).Ticket, token);
    }

    private static async Task<RealtimeTicket> TicketAsync(HttpClient client)
    {
        using var response = await TicketResponseAsync(client);
        var body = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!;
        return new RealtimeTicket(body["ticket"]!.GetValue<string>(), DateTimeOffset.Parse(body["expiresAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Task<HttpResponseMessage> TicketResponseAsync(HttpClient client) => client.PostAsync("/api/realtime/ticket", null, Ct);

    private async Task<HubClient> ConnectWithTicketAsync(string ticket) =>
        await RealtimeTicketConnections.ConnectAsync(fixture.Server.BaseAddress, ticket);

    private static Task AssertRefusedAsync(Func<Task<HubClient>> connect) => RealtimeTicketConnections.AssertRefusedAsync(connect);

    private async Task<string> NewCollectionAsync(string? rule)
    {
        var name = "tk" + Guid.NewGuid().ToString("N")[..12];
        object rules = rule is null ? new { } : new { list = rule };
        using var response = await fixture.Admin.PostAsJsonAsync("/api/admin/collections", new { name, rules }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return name;
    }
}

/// <summary>Hub connections opened the way a browser opens them with a ticket: websocket only, the ticket in the URL.</summary>
internal static class RealtimeTicketConnections
{
    public static async Task<HubClient> ConnectAsync(Uri server, string ticket)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server, "/realtime?access_token=" + ticket), HttpTransportType.WebSockets, options => options.SkipNegotiation = true)
            .Build();
        var client = new HubClient(connection);
        try
        {
            await connection.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }

        return client;
    }

    /// <summary>The websocket handshake was answered 401 (the client reports it as a <see cref="System.Net.WebSockets.WebSocketException"/>).</summary>
    public static async Task AssertRefusedAsync(Func<Task<HubClient>> connect)
    {
        var error = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(async () => await (await connect()).DisposeAsync());
        Assert.Contains("'401'", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>A ticket past its lifetime (and the clock tolerance) is refused: the clock is moved, nothing waits.</summary>
public sealed class RealtimeTicketExpiryTests
{
    [Fact]
    public async Task ExpiredTicket_IsRefused()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RealtimeTestServer.StartAsync(configureServices: services => services.AddSingleton<TimeProvider>(clock));
        using var response = await server.Admin.PostAsync("/api/realtime/ticket", null, TestContext.Current.CancellationToken);
        var late = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!["ticket"]!.GetValue<string>();
        using var again = await server.Admin.PostAsync("/api/realtime/ticket", null, TestContext.Current.CancellationToken);
        var timely = (await HttpAssert.StatusAsync(HttpStatusCode.OK, again))!["ticket"]!.GetValue<string>();

        // Within the lifetime and the tolerance the second one still opens; past both, the first no longer does.
        var lifetime = server.Server.Services.GetRequiredService<IOptions<RealtimeOptions>>().Value.TicketLifetime;
        clock.Advance(lifetime + BaasTokenService.ClockSkew - TimeSpan.FromSeconds(1));
        await using (await RealtimeTicketConnections.ConnectAsync(server.Server.BaseAddress, timely))
        {
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        await RealtimeTicketConnections.AssertRefusedAsync(() => RealtimeTicketConnections.ConnectAsync(server.Server.BaseAddress, late));
    }

    [Fact]
    public async Task TicketConnection_IsClosed_WhenTheTokenItWasAskedWithExpires()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RealtimeTestServer.StartAsync(configureServices: services => services.AddSingleton<TimeProvider>(clock));
        var collection = await server.NewCollectionAsync(new { list = "auth.id == \"erin\"" });

        // A token that runs out 10 seconds from now on the real clock, as in RealtimeTokenExpiryTests.
        var lifetime = server.Server.Services.GetRequiredService<IOptions<AuthOptions>>().Value.AccessTokenLifetime;
        var early = lifetime - TimeSpan.FromSeconds(10);
        clock.Advance(-early);
        var token = server.UserToken("erin");
        clock.Advance(early);
        using var erin = server.Server.CreateClient();
        erin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await erin.PostAsync("/api/realtime/ticket", null, TestContext.Current.CancellationToken);
        var ticket = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!["ticket"]!.GetValue<string>();

        // The ticket lives 30 s, the connection it opened only as long as the token: it must not outlive what opened it.
        await using var hub = await RealtimeTicketConnections.ConnectAsync(server.Server.BaseAddress, ticket);
        await hub.SubscribeAsync(collection);
        await hub.Closed.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }
}
