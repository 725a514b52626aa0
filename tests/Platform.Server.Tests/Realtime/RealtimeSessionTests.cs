using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Admin;
using Platform.Server.Auth;
using Platform.Server.Realtime;
using Platform.Server.Storage;
using Platform.Server.Tests.Infrastructure;
using Platform.Server.Tests.Users;
using Platform.Server.Users;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// Ended sessions end realtime connections: each of the five ways an app-user session ends, admin sign-out and
/// disabling, and an ending written by another node (found by the periodic check).
/// </summary>
public sealed class RealtimeSessionTests(UserServerFixture fixture) : IClassFixture<UserServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Logout_ClosesTheSessionsConnections_AndRefusesNewSubscriptions()
    {
        var (client, session, collection) = await SignedUpAsync();
        await using var hub = await ConnectAsync(AuthApi.Access(session));
        await hub.SubscribeAsync(collection);
        using var signedIn = fixture.Client(AuthApi.Access(session));

        using (var logout = await signedIn.PostAsync("/api/auth/logout", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        // Refused at once: the connection is being closed (or is closed already) when logout answers.
        var refused = await Record.ExceptionAsync(() => hub.SubscribeAsync(collection));
        Assert.NotNull(refused);
        if (refused is HubException hubError)
        {
            Assert.StartsWith("session_ended: ", HubClient.Refusal(hubError), StringComparison.Ordinal);
        }

        await AssertEndedAsync(hub);
        client.Dispose();
    }

    [Fact]
    public async Task DisablingTheUser_ClosesItsConnections()
    {
        var (client, session, collection) = await SignedUpAsync();
        await using var hub = await ConnectAsync(AuthApi.Access(session));
        await hub.SubscribeAsync(collection);

        using var patch = await fixture.Admin.PatchAsJsonAsync($"/api/admin/users/{AuthApi.UserId(session)}", new { disabled = true }, Ct);
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        await AssertEndedAsync(hub);
        client.Dispose();
    }

    [Fact]
    public async Task DeletingTheUser_ClosesItsConnections()
    {
        var (client, session, collection) = await SignedUpAsync();
        await using var hub = await ConnectAsync(AuthApi.Access(session));
        await hub.SubscribeAsync(collection);

        using var delete = await fixture.Admin.DeleteAsync($"/api/admin/users/{AuthApi.UserId(session)}", Ct);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        await AssertEndedAsync(hub);
        client.Dispose();
    }

    [Fact]
    public async Task PasswordReset_ClosesTheUsersConnections()
    {
        var (client, session, collection) = await SignedUpAsync();
        await using var hub = await ConnectAsync(AuthApi.Access(session));
        await hub.SubscribeAsync(collection);
        var email = session["user"]!["email"]!.GetValue<string>();
        using (var forgot = await client.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, forgot.StatusCode);
        }

        var token = fixture.Mail.SingleToken(email, "reset");
        using var reset = await client.PostAsJsonAsync("/api/auth/password/reset", new { token, password = "N3w-Password!" }, Ct);
        Assert.True(reset.IsSuccessStatusCode, await reset.Content.ReadAsStringAsync(Ct));

        await AssertEndedAsync(hub);
        client.Dispose();
    }

    [Fact]
    public async Task RefreshTokenReuse_ClosesTheSessionsConnections()
    {
        var (client, session, collection) = await SignedUpAsync();
        using var legitimate = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        var current = (await HttpAssert.StatusAsync(HttpStatusCode.OK, legitimate))!;
        await using var hub = await ConnectAsync(AuthApi.Access(current));
        await hub.SubscribeAsync(collection);

        using var attacker = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "refresh_token_reused", attacker);

        await AssertEndedAsync(hub);
        client.Dispose();
    }

    [Fact]
    public async Task SessionEndedOnAnotherNode_IsFoundByThePeriodicCheck()
    {
        var (client, session, collection) = await SignedUpAsync();
        await using var hub = await ConnectAsync(AuthApi.Access(session));
        await hub.SubscribeAsync(collection);
        var (otherClient, otherSession, _) = await SignedUpAsync();
        await using var other = await ConnectAsync(AuthApi.Access(otherSession));

        // Another node revokes the session: only the store knows, this node's cache still says "alive".
        var store = fixture.Server.Services.GetRequiredService<IDocumentStore>();
        var sid = JsonNode.Parse(UserAuthEndpointsTests.JwtPayload(AuthApi.Access(session)))!["sid"]!.GetValue<string>();
        var stored = (await store.GetAsync(SessionService.SessionsCollection, sid, Ct))!;
        await store.WriteAsync([SystemDocuments.Update(SessionService.SessionsCollection, stored, DateTimeOffset.UtcNow, d => d["revoked"] = true)], Ct);

        // One tick of the check (every Baas:Auth:SessionCheckInterval).
        var closed = await fixture.Server.Services.GetRequiredService<SessionWatcher>().CheckAsync(Ct);

        Assert.True(closed >= 1);
        await AssertEndedAsync(hub);
        Assert.Equal(HubConnectionState.Connected, other.Connection.State);
        client.Dispose();
        otherClient.Dispose();
    }

    [Fact]
    public async Task AdminSignOut_EndsItsTokens_ForHttpAndRealtime()
    {
        var (email, password) = await NewAdminAsync();
        var token = await AdminLoginAsync(email, password);
        await using var hub = await ConnectAsync(token);
        await hub.SubscribeAsync(await NewCollectionAsync());
        using var admin = fixture.Client(token);
        using (var me = await admin.GetAsync("/api/admin/auth/me", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        using (var logout = await admin.PostAsync("/api/admin/auth/logout", null, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        using (var me = await admin.GetAsync("/api/admin/auth/me", Ct))
        {
            await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", me);
        }

        await AssertEndedAsync(hub);

        // Signing in again gives a token that works.
        using var again = fixture.Client(await AdminLoginAsync(email, password));
        using var meAgain = await again.GetAsync("/api/admin/auth/me", Ct);
        Assert.Equal(HttpStatusCode.OK, meAgain.StatusCode);
    }

    [Fact]
    public async Task DisablingAnAdmin_EndsItsTokens_AndRefusesItsSignIn_UntilEnabled()
    {
        var (email, password) = await NewAdminAsync();
        var token = await AdminLoginAsync(email, password);
        using var admin = fixture.Client(token);
        var id = (await (await admin.GetAsync("/api/admin/auth/me", Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]!.GetValue<string>();
        await using var hub = await ConnectAsync(token);
        await hub.SubscribeAsync(await NewCollectionAsync());

        using (var patch = await fixture.Admin.PatchAsJsonAsync($"/api/admin/admins/{id}", new { disabled = true }, Ct))
        {
            var body = (await HttpAssert.StatusAsync(HttpStatusCode.OK, patch))!;
            Assert.True(body["disabled"]!.GetValue<bool>());
        }

        using (var me = await admin.GetAsync("/api/admin/auth/me", Ct))
        {
            await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", me);
        }

        await AssertEndedAsync(hub);
        using (var login = await fixture.Client().PostAsJsonAsync("/api/admin/auth/login", new { email, password }, Ct))
        {
            await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "admin_disabled", login);
        }

        using (var enable = await fixture.Admin.PatchAsJsonAsync($"/api/admin/admins/{id}", new { disabled = false }, Ct))
        {
            Assert.False((await HttpAssert.StatusAsync(HttpStatusCode.OK, enable))!["disabled"]!.GetValue<bool>());
        }

        using var again = fixture.Client(await AdminLoginAsync(email, password));
        using var meAgain = await again.GetAsync("/api/admin/auth/me", Ct);
        Assert.Equal(HttpStatusCode.OK, meAgain.StatusCode);
    }

    [Fact]
    public async Task PatchAdmin_RefusesBadInput_UnknownIds_AndDisablingOneself()
    {
        var (email, password) = await NewAdminAsync();
        using var admin = fixture.Client(await AdminLoginAsync(email, password));
        var id = (await (await admin.GetAsync("/api/admin/auth/me", Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]!.GetValue<string>();

        using var missing = await admin.PatchAsJsonAsync($"/api/admin/admins/{id}", new { }, Ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "validation_failed", missing);
        Assert.Equal("disabled", problem["field"]!.GetValue<string>());
        using var self = await admin.PatchAsJsonAsync($"/api/admin/admins/{id}", new { disabled = true }, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "cannot_disable_self", self);
        using var unknown = await admin.PatchAsJsonAsync("/api/admin/admins/nobody", new { disabled = true }, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "admin_not_found", unknown);
    }

    [Fact]
    public async Task AdminSignedOutOnAnotherNode_IsFoundByThePeriodicCheck()
    {
        var (email, password) = await NewAdminAsync();
        var token = await AdminLoginAsync(email, password);
        using var admin = fixture.Client(token);
        var id = (await (await admin.GetAsync("/api/admin/auth/me", Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]!.GetValue<string>();
        await using var hub = await ConnectAsync(token);
        await hub.SubscribeAsync(await NewCollectionAsync());

        // Another node signs the admin out: a new stamp in the store, nothing on this node.
        var store = fixture.Server.Services.GetRequiredService<IDocumentStore>();
        var stored = (await store.GetAsync(SystemDocuments.AdminsCollection, id, Ct))!;
        await store.WriteAsync([SystemDocuments.Update(SystemDocuments.AdminsCollection, stored, DateTimeOffset.UtcNow, d => d[AdminAccountService.TokenStampField] = "elsewhere")], Ct);

        await fixture.Server.Services.GetRequiredService<SessionWatcher>().CheckAsync(Ct);

        await AssertEndedAsync(hub);
    }

    [Fact]
    public async Task RevokingAServiceKey_ClosesItsConnections()
    {
        var (id, key) = await NewServiceKeyAsync();
        await using var hub = await ConnectWithKeyAsync(key);
        await hub.SubscribeAsync(await NewCollectionAsync());
        await using var other = await ConnectWithKeyAsync((await NewServiceKeyAsync()).Key);

        using (var revoke = await fixture.Admin.DeleteAsync($"/api/admin/apikeys/{id}", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        await AssertEndedAsync(hub);
        Assert.Equal(HubConnectionState.Connected, other.Connection.State);
    }

    [Fact]
    public async Task ServiceKeyRevokedOnAnotherNode_IsFoundByThePeriodicCheck()
    {
        var (id, key) = await NewServiceKeyAsync();
        await using var hub = await ConnectWithKeyAsync(key);
        await hub.SubscribeAsync(await NewCollectionAsync());

        // Another node revokes the key: its record is gone from the store, nothing happened on this node.
        var store = fixture.Server.Services.GetRequiredService<IDocumentStore>();
        await store.WriteAsync([new DeleteOperation(SystemDocuments.ApiKeysCollection, id)], Ct);

        var closed = await fixture.Server.Services.GetRequiredService<SessionWatcher>().CheckAsync(Ct);

        Assert.True(closed >= 1);
        await AssertEndedAsync(hub);
    }

    private async Task<(string Id, string Key)> NewServiceKeyAsync()
    {
        using var response = await fixture.Admin.PostAsJsonAsync("/api/admin/apikeys", new { name = "realtime-revoke" }, Ct);
        var created = (await HttpAssert.StatusAsync(HttpStatusCode.Created, response))!;
        return (created["id"]!.GetValue<string>(), created["key"]!.GetValue<string>());
    }

    private async Task<HubClient> ConnectWithKeyAsync(string key)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Server.BaseAddress, "/realtime"), HttpTransportType.WebSockets, options =>
                options.Headers[BaasAuthSchemes.ApiKeyHeader] = key)
            .Build();
        var client = new HubClient(connection);
        await connection.StartAsync(Ct);
        return client;
    }

    private async Task<(HttpClient Client, JsonObject Session, string Collection)> SignedUpAsync()
    {
        var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());
        return (client, session, await NewCollectionAsync());
    }

    private async Task<string> NewCollectionAsync()
    {
        var name = "rs" + Guid.NewGuid().ToString("N")[..12];
        using var response = await fixture.Admin.PostAsJsonAsync("/api/admin/collections", new { name, rules = new { list = "auth != null" } }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return name;
    }

    private async Task<(string Email, string Password)> NewAdminAsync()
    {
        var email = $"a{Guid.NewGuid():N}@test.local";
        const string password = "Adm1n-Password!";
        using var response = await fixture.Admin.PostAsJsonAsync("/api/admin/admins", new { email, password }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (email, password);
    }

    private async Task<string> AdminLoginAsync(string email, string password)
    {
        using var response = await fixture.Client().PostAsJsonAsync("/api/admin/auth/login", new { email, password }, Ct);
        return (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!["accessToken"]!.GetValue<string>();
    }

    private async Task<HubClient> ConnectAsync(string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Server.BaseAddress, "/realtime"), HttpTransportType.WebSockets, options =>
                options.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        var client = new HubClient(connection);
        await connection.StartAsync(Ct);
        return client;
    }

    private static async Task AssertEndedAsync(HubClient hub)
    {
        Assert.Equal(RealtimeDispatcher.SessionEndedReason, await hub.Resync.Task.WaitAsync(HubClient.Patience, Ct));
        await hub.Closed.Task.WaitAsync(HubClient.Patience, Ct);
    }
}
