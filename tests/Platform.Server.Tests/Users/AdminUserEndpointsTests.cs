using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Users;

public class AdminUserEndpointsTests(UserServerFixture fixture) : IClassFixture<UserServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonObject> CreateAsync(object body, HttpClient? client = null)
    {
        using var response = await (client ?? fixture.Admin).PostAsJsonAsync("/api/admin/users", body, Ct);
        return (await HttpAssert.StatusAsync(HttpStatusCode.Created, response))!;
    }

    [Fact]
    public async Task Create_Returns201WithTheUser_WhoCanSignIn()
    {
        var email = UserServerFixture.NewEmail();

        using var response = await fixture.Admin.PostAsJsonAsync(
            "/api/admin/users",
            new { email, password = AuthApi.Password, roles = new[] { "editor", "editor", "team:blue" }, data = new { plan = "pro" }, emailVerified = true },
            Ct);

        var user = (await HttpAssert.StatusAsync(HttpStatusCode.Created, response))!;
        Assert.Equal($"/api/admin/users/{user["id"]}", response.Headers.Location?.OriginalString);
        Assert.Equal(email, user["email"]!.GetValue<string>());
        Assert.True(user["emailVerified"]!.GetValue<bool>());
        Assert.Equal(["editor", "team:blue"], user["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("pro", user["data"]!["plan"]!.GetValue<string>());
        var login = await AuthApi.LoginAsync(fixture.Client(), email);
        Assert.Contains("\"roles\":[\"editor\",\"team:blue\"]", UserAuthEndpointsTests.JwtPayload(AuthApi.Access(login)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithoutPassword_CannotSignInUntilAReset()
    {
        var email = UserServerFixture.NewEmail();
        await CreateAsync(new { email }, fixture.Service);
        using var client = fixture.Client();

        using var login = await client.PostAsJsonAsync("/api/auth/login", new { email, password = AuthApi.Password }, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", login);

        using (await client.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct))
        {
        }

        using var reset = await client.PostAsJsonAsync("/api/auth/password/reset", new { token = fixture.Mail.SingleToken(email, "reset"), password = AuthApi.Password }, Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, reset);
        await AuthApi.LoginAsync(client, email);
    }

    [Theory]
    [InlineData("""{"email":"x@test.local","roles":"admin"}""", "invalid_role", "roles")]
    [InlineData("""{"email":"x@test.local","roles":["ok","has space"]}""", "invalid_role", "roles[1]")]
    [InlineData("""{"email":"x@test.local","roles":[5]}""", "invalid_role", "roles[0]")]
    [InlineData("""{"email":"x@test.local","anonymous":true}""", "read_only_field", "anonymous")]
    [InlineData("""{"email":"x@test.local","_id":"mine"}""", "read_only_field", "_id")]
    [InlineData("""{"email":"nope"}""", "validation_failed", "email")]
    [InlineData("""{"email":"x@test.local","password":"a"}""", "weak_password", "password")]
    public async Task Create_Is400NamingTheField_ForBadInput(string json, string code, string field)
    {
        using var response = await fixture.Admin.PostJsonAsync("/api/admin/users", json);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, response);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_Is409_ForATakenEmail()
    {
        var email = UserServerFixture.NewEmail();
        await CreateAsync(new { email });

        using var response = await fixture.Admin.PostAsJsonAsync("/api/admin/users", new { email }, Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "email_taken", response);
    }

    [Fact]
    public async Task Get_ReturnsTheUser_Or404()
    {
        var created = await CreateAsync(new { email = UserServerFixture.NewEmail() });

        using var found = await fixture.Service.GetAsync($"/api/admin/users/{created["id"]}", Ct);
        using var missing = await fixture.Admin.GetAsync("/api/admin/users/0000000000000000", Ct);

        Assert.Equal(created.ToJsonString(), (await HttpAssert.StatusAsync(HttpStatusCode.OK, found))!.ToJsonString());
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", missing);
    }

    [Fact]
    public async Task List_PagesWithACursor_AndSearchesByEmailPrefixOrId()
    {
        var prefix = "p" + Guid.NewGuid().ToString("N")[..10];
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await CreateAsync(new { email = $"{prefix}.{i}@test.local" }))["id"]!.GetValue<string>());
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var url = $"/api/admin/users?search={prefix.ToUpperInvariant()}&limit=2" + (cursor is null ? string.Empty : $"&cursor={cursor}");
            using var response = await fixture.Admin.GetAsync(url, Ct);
            var page = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!;
            var items = page["items"]!.AsArray();
            Assert.True(items.Count <= 2);
            seen.AddRange(items.Select(u => u!["id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null && pages < 10);

        // The list is in id order. Ids are GUID v7 (a millisecond, then random), so two users made in the same
        // millisecond may list in either order: expect id order, not creation order.
        Assert.Equal(ids.Order(StringComparer.Ordinal), seen);
        Assert.Equal(3, pages);

        using var byId = await fixture.Admin.GetAsync($"/api/admin/users?search={ids[3]}", Ct);
        var single = (await HttpAssert.StatusAsync(HttpStatusCode.OK, byId))!;
        Assert.Equal(ids[3], Assert.Single(single["items"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.Null(single["nextCursor"]);
    }

    [Theory]
    [InlineData("limit=0", "invalid_limit", "limit")]
    [InlineData("limit=1001", "invalid_limit", "limit")]
    [InlineData("limit=x", "invalid_limit", "limit")]
    [InlineData("cursor=%21%21", "invalid_cursor", "cursor")]
    public async Task List_Is400_ForBadParameters(string query, string code, string field)
    {
        using var response = await fixture.Admin.GetAsync($"/api/admin/users?{query}", Ct);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, response);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_Disabled_EndsSessionsAndRefusesLoginAndRefresh()
    {
        var email = UserServerFixture.NewEmail();
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, email);

        using var patch = await fixture.Admin.PatchAsJsonAsync($"/api/admin/users/{AuthApi.UserId(session)}", new { disabled = true }, Ct);

        Assert.True((await HttpAssert.StatusAsync(HttpStatusCode.OK, patch))!["disabled"]!.GetValue<bool>());
        using var login = await client.PostAsJsonAsync("/api/auth/login", new { email, password = AuthApi.Password }, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "user_disabled", login);
        using var refresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "user_disabled", refresh);
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", me);

        // A wrong password still answers like any wrong password: being disabled is told only to the owner.
        using var wrong = await client.PostAsJsonAsync("/api/auth/login", new { email, password = "Wr0ng-Password!" }, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", wrong);

        using var enable = await fixture.Admin.PatchAsJsonAsync($"/api/admin/users/{AuthApi.UserId(session)}", new { disabled = false }, Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, enable);
        await AuthApi.LoginAsync(client, email);
    }

    [Fact]
    public async Task Patch_ChangesEmailPasswordRolesAndData_InOneWrite()
    {
        var email = UserServerFixture.NewEmail();
        var newEmail = UserServerFixture.NewEmail();
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, email);
        using (var withData = await fixture.Client(AuthApi.Access(session)).PatchAsJsonAsync("/api/auth/me", new { data = new { a = 1, b = 2 } }, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, withData);
        }

        using var patch = await fixture.Service.SendJsonAsync(
            HttpMethod.Patch,
            $"/api/admin/users/{AuthApi.UserId(session)}",
            new JsonObject
            {
                ["email"] = newEmail,
                ["password"] = "Adm1n-Chosen!",
                ["roles"] = new JsonArray("vip"),
                ["data"] = new JsonObject { ["b"] = null, ["c"] = 3 },
            }.ToJsonString());

        var user = (await HttpAssert.StatusAsync(HttpStatusCode.OK, patch))!;
        Assert.Equal(newEmail, user["email"]!.GetValue<string>());
        Assert.Equal("vip", Assert.Single(user["roles"]!.AsArray())!.GetValue<string>());
        Assert.Equal("""{"a":1,"c":3}""", user["data"]!.ToJsonString());
        await AuthApi.LoginAsync(client, newEmail, "Adm1n-Chosen!");
        using var oldEmail = await client.PostAsJsonAsync("/api/auth/login", new { email, password = AuthApi.Password }, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", oldEmail);
        using var refresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", refresh);
    }

    [Fact]
    public async Task Patch_RefusesBadInput_AndChangesNothing()
    {
        var created = await CreateAsync(new { email = UserServerFixture.NewEmail(), roles = new[] { "a" } });
        var url = $"/api/admin/users/{created["id"]}";

        using var weak = await fixture.Admin.SendJsonAsync(HttpMethod.Patch, url, """{"roles":["b"],"password":"x"}""");
        using var emailVerified = await fixture.Admin.SendJsonAsync(HttpMethod.Patch, url, """{"emailVerified":true}""");
        using var missing = await fixture.Admin.SendJsonAsync(HttpMethod.Patch, "/api/admin/users/0000000000000000", """{"disabled":true}""");

        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "weak_password", weak);
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "read_only_field", emailVerified);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", missing);
        using var after = await fixture.Admin.GetAsync(url, Ct);
        Assert.Equal(created.ToJsonString(), (await HttpAssert.StatusAsync(HttpStatusCode.OK, after))!.ToJsonString());
    }

    [Fact]
    public async Task Patch_Is409_WhenTheNewEmailIsTaken()
    {
        var taken = UserServerFixture.NewEmail();
        await CreateAsync(new { email = taken });
        var other = await CreateAsync(new { email = UserServerFixture.NewEmail() });

        using var response = await fixture.Admin.PatchAsJsonAsync($"/api/admin/users/{other["id"]}", new { email = taken }, Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "email_taken", response);
    }

    [Fact]
    public async Task Delete_RemovesTheUser_AndEndsTheirSessions()
    {
        var email = UserServerFixture.NewEmail();
        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, email);
        var url = $"/api/admin/users/{AuthApi.UserId(session)}";

        using var delete = await fixture.Admin.DeleteAsync(url, Ct);

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, delete);
        using var get = await fixture.Admin.GetAsync(url, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", get);
        using var again = await fixture.Admin.DeleteAsync(url, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", again);
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", me);
        using var refresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", refresh);
        // The email is free again.
        await AuthApi.SignUpAsync(client, email);
    }

    [Fact]
    public async Task AdminUsersApi_Is401WhenSignedOut()
    {
        using var client = fixture.Client();

        using var response = await client.GetAsync("/api/admin/users", Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", response);
    }

    [Fact]
    public async Task SendPasswordReset_MailsALink_ThatSetsANewPassword_AndIsAudited()
    {
        var email = UserServerFixture.NewEmail();
        var user = await CreateAsync(new { email, password = AuthApi.Password });
        var id = user["id"]!.GetValue<string>();

        using var response = await fixture.Service.PostAsync($"/api/admin/users/{id}/password-reset", null, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var mail = Assert.Single(fixture.Mail.To(email));
        Assert.Contains("https://app.example.test/reset-password?token=", mail.Body, StringComparison.Ordinal);
        using var client = fixture.Client();
        using var reset = await client.PostAsJsonAsync("/api/auth/password/reset", new { token = fixture.Mail.SingleToken(email, "reset"), password = "An0ther-Passw0rd!" }, Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, reset);
        await AuthApi.LoginAsync(client, email, "An0ther-Passw0rd!");
        var audit = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/audit?target=users/{id}&action=users.password_reset", Ct));
        Assert.Equal("apikey:user-tests", Assert.Single(audit!["items"]!.AsArray())!["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task SendPasswordReset_RefusesUnknownAnonymousAndDisabledUsers_AndSendsNothing()
    {
        using var unknown = await fixture.Admin.PostAsync("/api/admin/users/nosuchuser123/password-reset", null, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", unknown);

        using var client = fixture.Client();
        using var signIn = await client.PostAsync("/api/auth/anonymous", null, Ct);
        var anonymous = (await HttpAssert.StatusAsync(HttpStatusCode.Created, signIn))!;
        using var noEmail = await fixture.Admin.PostAsync($"/api/admin/users/{AuthApi.UserId(anonymous)}/password-reset", null, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "user_has_no_email", noEmail);

        var email = UserServerFixture.NewEmail();
        var disabled = await CreateAsync(new { email, password = AuthApi.Password });
        var id = disabled["id"]!.GetValue<string>();
        using (var patch = await fixture.Admin.PatchAsJsonAsync($"/api/admin/users/{id}", new { disabled = true }, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, patch);
        }

        using var refused = await fixture.Admin.PostAsync($"/api/admin/users/{id}/password-reset", null, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "user_is_disabled", refused);
        Assert.Empty(fixture.Mail.To(email));
    }

    [Fact]
    public async Task SendPasswordReset_Is503_WhenTheMailCannotBeSent()
    {
        var email = UserServerFixture.NewEmail();
        var user = await CreateAsync(new { email });
        fixture.Mail.FailFor(email);

        using var response = await fixture.Admin.PostAsync($"/api/admin/users/{user["id"]}/password-reset", null, Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.ServiceUnavailable, "email_unavailable", response);
    }

    [Fact]
    public async Task RevokeSessions_EndsEverySession_ButKeepsTheAccount()
    {
        var email = UserServerFixture.NewEmail();
        using var client = fixture.Client();
        var first = await AuthApi.SignUpAsync(client, email);
        var second = await AuthApi.LoginAsync(client, email);
        var id = AuthApi.UserId(first);

        using var response = await fixture.Admin.PostAsync($"/api/admin/users/{id}/sessions/revoke", null, Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        foreach (var session in new[] { first, second })
        {
            using var me = await AuthApi.MeAsync(client, AuthApi.Access(session));
            await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", me);
            using var refresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
            Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        }

        // The account stays: signing in again starts a new session.
        var again = await AuthApi.LoginAsync(client, email);
        using var meAgain = await AuthApi.MeAsync(client, AuthApi.Access(again));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, meAgain);
        var audit = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/audit?target=users/{id}&action=users.sessions_revoke", Ct));
        Assert.Single(audit!["items"]!.AsArray());
    }

    [Fact]
    public async Task RevokeSessions_Is404_ForAnUnknownUser_And403_ForAnAppUser()
    {
        using var unknown = await fixture.Admin.PostAsync("/api/admin/users/nosuchuser123/sessions/revoke", null, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", unknown);

        using var client = fixture.Client();
        var session = await AuthApi.SignUpAsync(client, UserServerFixture.NewEmail());
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/admin/users/{AuthApi.UserId(session)}/sessions/revoke");
        request.Headers.Authorization = new("Bearer", AuthApi.Access(session));
        using var forbidden = await client.SendAsync(request, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", forbidden);
    }
}
