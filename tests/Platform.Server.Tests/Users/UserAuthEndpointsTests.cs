using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;
using Platform.Server.Users;

namespace Platform.Server.Tests.Users;

public class UserAuthEndpointsTests(UserServerFixture fixture) : IClassFixture<UserServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignUp_Returns201WithUserAndTokens()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();

        using var response = await client.PostAsJsonAsync("/api/auth/signup", new { email = "  " + email.ToUpperInvariant(), password = AuthApi.Password, data = new { name = "Ada" } }, Ct);

        var body = (await HttpAssert.StatusAsync(HttpStatusCode.Created, response))!;
        var user = body["user"]!.AsObject();
        Assert.Equal(email, user["email"]!.GetValue<string>());
        Assert.False(user["emailVerified"]!.GetValue<bool>());
        Assert.False(user["anonymous"]!.GetValue<bool>());
        Assert.False(user["disabled"]!.GetValue<bool>());
        Assert.Empty(user["roles"]!.AsArray());
        Assert.Equal("Ada", user["data"]!["name"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", user["createdAt"]!.GetValue<string>());
        // Sign-up answers a session: it is the user's first sign-in (it was null until a later login).
        var lastLogin = user["lastLoginAt"]!.GetValue<string>();
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", lastLogin);
        Assert.True(string.CompareOrdinal(lastLogin, user["createdAt"]!.GetValue<string>()) >= 0, $"lastLoginAt {lastLogin} before createdAt");
        Assert.Null(user["passwordHash"]);
        Assert.Equal(900, body["expiresIn"]!.GetValue<int>());
        Assert.Equal(3, AuthApi.Access(body).Split('.').Length);
        Assert.True(AuthApi.Refresh(body).Length >= 43);
    }

    [Fact]
    public async Task SignUpLoginMe_WorkTogether()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        var signup = await AuthApi.SignUpAsync(client, email);

        var login = await AuthApi.LoginAsync(client, email);
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(login));

        var user = (await HttpAssert.StatusAsync(HttpStatusCode.OK, me))!;
        Assert.Equal(AuthApi.UserId(signup), user["id"]!.GetValue<string>());
        Assert.Equal(email, user["email"]!.GetValue<string>());
        Assert.NotNull(user["lastLoginAt"]);
    }

    [Fact]
    public async Task SignUp_Is409EmailTaken_WhenTheEmailIsRegistered()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);

        using var again = await client.PostAsJsonAsync("/api/auth/signup", new { email = email.ToUpperInvariant(), password = "An0ther-Password" }, Ct);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "email_taken", again);
        Assert.Equal("email", problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task SignUp_Is400WeakPassword_ListingIdentityErrors()
    {
        using var client = fixture.Client();

        using var response = await client.PostAsJsonAsync("/api/auth/signup", new { email = UserServerFixture.NewEmail(), password = "aaa" }, Ct);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "weak_password", response);
        Assert.Equal("password", problem["field"]!.GetValue<string>());
        var errors = problem["errors"]!.AsArray();
        Assert.True(errors.Count >= 2, errors.ToJsonString());
        Assert.All(errors, e => Assert.Equal("password", e!["path"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("""{"email":"not-an-email","password":"Corr3ct-Horse!"}""", "validation_failed", "email")]
    [InlineData("""{"password":"Corr3ct-Horse!"}""", "validation_failed", "email")]
    [InlineData("""{"email":"a@test.local"}""", "validation_failed", "password")]
    [InlineData("""{"email":"a@test.local","password":"Corr3ct-Horse!","roles":["admin"]}""", "read_only_field", "roles")]
    [InlineData("""{"email":"a@test.local","password":"Corr3ct-Horse!","emailVerified":true}""", "read_only_field", "emailVerified")]
    [InlineData("""{"email":"a@test.local","password":"Corr3ct-Horse!","nickname":"x"}""", "unknown_field", "nickname")]
    [InlineData("""{"email":"a@test.local","password":"Corr3ct-Horse!","data":[1]}""", "invalid_body", "data")]
    [InlineData("""{"email":5,"password":"Corr3ct-Horse!"}""", "invalid_body", "email")]
    [InlineData("""{"email":""", "malformed_json", "body")]
    [InlineData("""{"data":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}""", "json_too_deep", "body")]
    public async Task SignUp_Is400NamingTheField_ForBadInput(string json, string code, string field)
    {
        using var client = fixture.Client();

        using var response = await client.PostJsonAsync("/api/auth/signup", json);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, response);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Login_AnswersIdentically_ForUnknownEmailAndWrongPassword()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);

        using var wrong = await client.PostAsJsonAsync("/api/auth/login", new { email, password = "Wr0ng-Password!" }, Ct);
        using var unknown = await client.PostAsJsonAsync("/api/auth/login", new { email = UserServerFixture.NewEmail(), password = "Wr0ng-Password!" }, Ct);

        var wrongBody = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", wrong);
        var unknownBody = await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", unknown);
        wrongBody.Remove("traceId");
        unknownBody.Remove("traceId");
        Assert.Equal(wrongBody.ToJsonString(), unknownBody.ToJsonString());
        Assert.Equal(
            wrong.Headers.Select(h => h.Key).Order(StringComparer.Ordinal),
            unknown.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Anonymous_Returns201WithAnAnonymousUser()
    {
        using var client = fixture.Client();

        using var response = await client.PostAsync("/api/auth/anonymous", null, Ct);

        var body = (await HttpAssert.StatusAsync(HttpStatusCode.Created, response))!;
        Assert.True(body["user"]!["anonymous"]!.GetValue<bool>());
        Assert.Null(body["user"]!["email"]);
        Assert.NotNull(body["user"]!["lastLoginAt"]);
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(body));
        Assert.True((await HttpAssert.StatusAsync(HttpStatusCode.OK, me))!["anonymous"]!.GetValue<bool>());
    }

    [Fact]
    public async Task SignUp_UpgradesTheAnonymousCaller_KeepingIdAndData()
    {
        using var client = fixture.Client();
        using var anonymous = await client.PostAsync("/api/auth/anonymous", null, Ct);
        var anon = (await HttpAssert.StatusAsync(HttpStatusCode.Created, anonymous))!;
        using (var patch = await fixture.Client(AuthApi.Access(anon)).PatchAsJsonAsync("/api/auth/me", new { data = new { cart = 3 } }, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, patch);
        }

        var email = UserServerFixture.NewEmail();
        using var upgraded = fixture.Client(AuthApi.Access(anon));
        using var response = await upgraded.PostAsJsonAsync("/api/auth/signup", new { email, password = AuthApi.Password, data = new { name = "Ada" } }, Ct);

        var body = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!;
        Assert.Equal(AuthApi.UserId(anon), AuthApi.UserId(body));
        Assert.False(body["user"]!["anonymous"]!.GetValue<bool>());
        Assert.Equal(email, body["user"]!["email"]!.GetValue<string>());
        Assert.Equal(3, body["user"]!["data"]!["cart"]!.GetValue<int>());
        Assert.Equal("Ada", body["user"]!["data"]!["name"]!.GetValue<string>());

        // The anonymous session is over; the account signs in with its new credentials.
        using var oldRefresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(anon));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", oldRefresh);
        var login = await AuthApi.LoginAsync(client, email);
        Assert.Equal(AuthApi.UserId(anon), AuthApi.UserId(login));
    }

    [Fact]
    public async Task SignUp_Is401_WithAnInvalidBearerToken()
    {
        using var client = fixture.Client("not.a.token");

        using var response = await client.PostAsJsonAsync("/api/auth/signup", new { email = UserServerFixture.NewEmail(), password = AuthApi.Password }, Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", response);
    }

    [Fact]
    public async Task PatchMe_MergesData()
    {
        using var anonymous = fixture.Client();
        var session = await AuthApi.SignUpAsync(anonymous, UserServerFixture.NewEmail());
        using var client = fixture.Client(AuthApi.Access(session));
        using (var first = await client.PatchAsJsonAsync("/api/auth/me", new { data = new { name = "Ada", city = "London" } }, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, first);
        }

        using var second = await client.SendJsonAsync(HttpMethod.Patch, "/api/auth/me", """{"data":{"city":null,"lang":"en"}}""");

        var user = (await HttpAssert.StatusAsync(HttpStatusCode.OK, second))!;
        Assert.Equal("""{"name":"Ada","lang":"en"}""", user["data"]!.ToJsonString());
    }

    // Profile keys follow the field-name rules of documents (but for "_"): a NUL key was stored on SQLite and a 500 on MongoDB.
    [Theory]
    [InlineData("""{"data":{"a\u0000b":1}}""", "data.a\\u0000b")]
    [InlineData("""{"data":{"$set":{"x":1}}}""", "data.$set")]
    [InlineData("""{"data":{"a.b":1}}""", "data.a.b")]
    [InlineData("""{"data":{"ok":{"":1}}}""", "data.ok.")]
    [InlineData("""{"data":{"list":[{"q\"":1}]}}""", "data.list[0].q\"")]
    public async Task PatchMe_DataKeyBreakingTheFieldNameRules_Is400NamingIt_AndChangesNothing(string body, string field)
    {
        using var anonymous = fixture.Client();
        var session = await AuthApi.SignUpAsync(anonymous, UserServerFixture.NewEmail());
        using var client = fixture.Client(AuthApi.Access(session));

        using var response = await client.SendJsonAsync(HttpMethod.Patch, "/api/auth/me", body);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_field_name", response);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(session));
        Assert.Equal("{}", (await HttpAssert.StatusAsync(HttpStatusCode.OK, me))!["data"]!.ToJsonString());
        using var allowed = await client.SendJsonAsync(HttpMethod.Patch, "/api/auth/me", """{"data":{"_private":{"ünï":"😀"}}}""");
        await HttpAssert.StatusAsync(HttpStatusCode.OK, allowed);
    }

    [Fact]
    public async Task PatchMe_Is413_WhenTheMergedDataWouldGrowPastTheLimit()
    {
        using var anonymous = fixture.Client();
        var session = await AuthApi.SignUpAsync(anonymous, UserServerFixture.NewEmail());
        using var client = fixture.Client(AuthApi.Access(session));
        var half = new string('x', UserData.MaxBytes / 2);
        using (var first = await client.PatchAsJsonAsync("/api/auth/me", new { data = new { a = half } }, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, first);
        }

        using var second = await client.PatchAsJsonAsync("/api/auth/me", new { data = new { b = half } }, Ct);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "data_too_large", second);
        Assert.Equal("data", problem["field"]!.GetValue<string>());
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(session));
        Assert.Null((await HttpAssert.StatusAsync(HttpStatusCode.OK, me))!["data"]!["b"]);
    }

    [Theory]
    [InlineData("""{"roles":["admin"]}""", "read_only_field", "roles")]
    [InlineData("""{"data":{"a":1},"emailVerified":true}""", "read_only_field", "emailVerified")]
    [InlineData("""{"_id":"someone-else"}""", "read_only_field", "_id")]
    [InlineData("""{"disabled":false}""", "read_only_field", "disabled")]
    [InlineData("""{"email":"x@test.local"}""", "read_only_field", "email")]
    [InlineData("""{"anonymous":false}""", "read_only_field", "anonymous")]
    [InlineData("""{"_version":7}""", "read_only_field", "_version")]
    [InlineData("""{"profile":{}}""", "unknown_field", "profile")]
    [InlineData("""{"data":"x"}""", "invalid_body", "data")]
    public async Task PatchMe_RefusesEverythingButData_NamingTheField(string json, string code, string field)
    {
        using var anonymous = fixture.Client();
        var session = await AuthApi.SignUpAsync(anonymous, UserServerFixture.NewEmail());
        using var client = fixture.Client(AuthApi.Access(session));

        using var response = await client.SendJsonAsync(HttpMethod.Patch, "/api/auth/me", json);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, response);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(session));
        var user = (await HttpAssert.StatusAsync(HttpStatusCode.OK, me))!;
        Assert.Empty(user["roles"]!.AsArray());
        Assert.False(user["emailVerified"]!.GetValue<bool>());
        Assert.Empty(user["data"]!.AsObject());
    }

    [Fact]
    public async Task Me_Is401WhenSignedOut_And403ForAdmins()
    {
        using var anonymous = fixture.Client();

        using var signedOut = await anonymous.GetAsync("/api/auth/me", Ct);
        using var admin = await fixture.Admin.GetAsync("/api/auth/me", Ct);
        using var service = await fixture.Service.GetAsync("/api/auth/me", Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", signedOut);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", admin);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", service);
    }

    [Fact]
    public async Task ForgotPassword_Answers202Identically_ForKnownAndUnknownEmails()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        var unknownEmail = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);

        using var known = await client.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct);
        using var unknown = await client.PostAsJsonAsync("/api/auth/password/forgot", new { email = unknownEmail }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        Assert.Equal(await known.Content.ReadAsStringAsync(Ct), await unknown.Content.ReadAsStringAsync(Ct));
        Assert.Equal(
            known.Headers.Select(h => h.Key).Order(StringComparer.Ordinal),
            unknown.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
        Assert.Single(fixture.Mail.To(email));
        Assert.Empty(fixture.Mail.To(unknownEmail));
    }

    [Fact]
    public async Task ForgotPassword_Answers202_EvenWhenTheMailCannotBeSent()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);
        fixture.Mail.FailFor(email);

        using var response = await client.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(fixture.Mail.To(email));
    }

    [Fact]
    public async Task ResetPassword_SetsTheNewPassword_AndEndsEverySession()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        var session = await AuthApi.SignUpAsync(client, email);
        using (var forgot = await client.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, forgot.StatusCode);
        }

        var mail = Assert.Single(fixture.Mail.To(email));
        var token = fixture.Mail.SingleToken(email, "reset");
        Assert.Contains($"https://app.example.test/reset-password?token={Uri.EscapeDataString(token)}", mail.Body, StringComparison.Ordinal);

        using var reset = await client.PostAsJsonAsync("/api/auth/password/reset", new { token, password = "N3w-Password!" }, Ct);

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, reset);
        using var oldPassword = await client.PostAsJsonAsync("/api/auth/login", new { email, password = AuthApi.Password }, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", oldPassword);
        await AuthApi.LoginAsync(client, email, "N3w-Password!");
        using var refresh = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_refresh_token", refresh);
        using var me = await AuthApi.MeAsync(client, AuthApi.Access(session));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", me);

        // The token is spent: the password change renewed the security stamp it was bound to.
        using var again = await client.PostAsJsonAsync("/api/auth/password/reset", new { token, password = "Th1rd-Password!" }, Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_token", again);
    }

    [Fact]
    public async Task ResetPassword_AcceptsTheNewPasswordAsNewPassword_ButNotBothNames()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);
        using (await client.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct))
        {
        }

        var token = fixture.Mail.SingleToken(email, "reset");
        using var both = await client.PostAsJsonAsync("/api/auth/password/reset", new { token, password = "N3w-Password!", newPassword = "N3w-Password!" }, Ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_body", both);
        Assert.Equal("newPassword", problem["field"]!.GetValue<string>());
        await AuthApi.LoginAsync(client, email);

        using var reset = await client.PostAsJsonAsync("/api/auth/password/reset", new { token, newPassword = "N3w-Password!" }, Ct);

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, reset);
        await AuthApi.LoginAsync(client, email, "N3w-Password!");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("dXNlcjp0b2tlbg")]
    public async Task ResetPassword_Is400InvalidToken_ForTokensNotIssuedHere(string token)
    {
        using var client = fixture.Client();

        using var response = await client.PostAsJsonAsync("/api/auth/password/reset", new { token, password = "N3w-Password!" }, Ct);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, token.Length == 0 ? "validation_failed" : "invalid_token", response);
        Assert.Equal("token", problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task ResetPassword_Is400WeakPassword_AndKeepsTheOldOne()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);
        using (await client.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct))
        {
        }

        var token = fixture.Mail.SingleToken(email, "reset");

        using var reset = await client.PostAsJsonAsync("/api/auth/password/reset", new { token, password = "short" }, Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "weak_password", reset);
        await AuthApi.LoginAsync(client, email);
    }

    [Fact]
    public async Task VerifyEmail_MarksTheEmailVerified_AndTheNextTokensSaySo()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        var session = await AuthApi.SignUpAsync(client, email);
        using var signedIn = fixture.Client(AuthApi.Access(session));

        using var request = await signedIn.PostAsync("/api/auth/verify-email/request", null, Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Accepted, request);
        var token = fixture.Mail.SingleToken(email, "verify");
        Assert.Contains("https://app.example.test/verify-email?token=", Assert.Single(fixture.Mail.To(email)).Body, StringComparison.Ordinal);

        using var confirm = await client.PostAsJsonAsync("/api/auth/verify-email/confirm", new { token }, Ct);

        var user = (await HttpAssert.StatusAsync(HttpStatusCode.OK, confirm))!;
        Assert.True(user["emailVerified"]!.GetValue<bool>());
        using var refreshed = await AuthApi.RefreshAsync(client, AuthApi.Refresh(session));
        var next = (await HttpAssert.StatusAsync(HttpStatusCode.OK, refreshed))!;
        Assert.True(next["user"]!["emailVerified"]!.GetValue<bool>());
        Assert.Contains("\"email_verified\":true", JwtPayload(AuthApi.Access(next)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyEmail_RefusesAPasswordResetToken()
    {
        using var client = fixture.Client();
        var email = UserServerFixture.NewEmail();
        await AuthApi.SignUpAsync(client, email);
        using (await client.PostAsJsonAsync("/api/auth/password/forgot", new { email }, Ct))
        {
        }

        var resetToken = fixture.Mail.SingleToken(email, "reset");

        using var confirm = await client.PostAsJsonAsync("/api/auth/verify-email/confirm", new { token = resetToken }, Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_token", confirm);
    }

    [Fact]
    public async Task VerifyEmailRequest_Is400ForAnonymousUsers()
    {
        using var client = fixture.Client();
        using var anonymous = await client.PostAsync("/api/auth/anonymous", null, Ct);
        var session = (await HttpAssert.StatusAsync(HttpStatusCode.Created, anonymous))!;

        using var response = await fixture.Client(AuthApi.Access(session)).PostAsync("/api/auth/verify-email/request", null, Ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "email_required", response);
    }

    internal static string JwtPayload(string token) =>
        System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(token.Split('.')[1]));
}
