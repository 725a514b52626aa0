using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Sdk.Admin;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Admin;

/// <summary>The admin API through the SDK: sign-in, collections, service keys.</summary>
public sealed class AdminTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignInAsync_UsesTheAdminToken_UntilSignOut()
    {
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = fixture.BaseUrl });
        var anonymous = await Assert.ThrowsAsync<BaasException>(() => client.Admin.Collections.ListAsync(Ct));
        Assert.Equal(401, anonymous.Status);

        var session = await client.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword, Ct);
        Assert.Equal(BaasTestServer.AdminEmail, session.Admin.Email);
        Assert.False(string.IsNullOrEmpty(session.AccessToken));
        Assert.True(session.ExpiresIn > TimeSpan.Zero);
        await client.Admin.Collections.ListAsync(Ct);

        client.Admin.SignOut();
        Assert.Equal(401, (await Assert.ThrowsAsync<BaasException>(() => client.Admin.Collections.ListAsync(Ct))).Status);
    }

    [Fact]
    public async Task SignOutAsync_EndsTheAdminsTokensOnTheServer()
    {
        // A fresh admin: signing out ends every token of the admin, and other tests use the seeded one.
        using var seeded = await fixture.Server.CreateAdminClientAsync(Ct);
        var email = $"a{Guid.NewGuid():N}@test.local";
        const string password = "Adm1n-Password!";
        using (var created = await seeded.PostAsJsonAsync("/api/admin/admins", new { email, password }, Ct))
        {
            created.EnsureSuccessStatusCode();
        }

        using var client = new BaasClient(new BaasClientOptions { BaseUrl = fixture.BaseUrl });
        var session = await client.Admin.SignInAsync(email, password, Ct);
        await client.Admin.SignOutAsync(Ct);

        Assert.Equal(401, (await Assert.ThrowsAsync<BaasException>(() => client.Admin.Collections.ListAsync(Ct))).Status);
        using var stolen = fixture.Server.CreateClient();
        stolen.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", session.AccessToken);
        using var me = await stolen.GetAsync("/api/admin/auth/me", Ct);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Fact]
    public async Task SignOutAsync_KeepsTheTokenOfASignInThatFinishedMeanwhile()
    {
        var handler = new SignInDuringLogoutHandler();
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = new Uri("http://baas.test/"), HttpMessageHandler = handler });
        handler.Client = client;
        await client.Admin.SignInAsync("admin@test.local", "Adm1n-Password!", Ct);

        await client.Admin.SignOutAsync(Ct);

        await client.Admin.GetMeAsync(Ct);
        Assert.Contains("logout: Bearer t1", handler.Seen);
        Assert.Equal("me: Bearer t2", handler.Seen[^1]);
    }

    [Fact]
    public async Task SignInAsync_WithWrongPassword_Is401()
    {
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = fixture.BaseUrl });
        var ex = await Assert.ThrowsAsync<BaasException>(() => client.Admin.SignInAsync(BaasTestServer.AdminEmail, "wrong-password", Ct));
        Assert.Equal((401, "invalid_credentials"), (ex.Status, ex.Code));
    }

    [Fact]
    public async Task Collections_CreateGetListUpdateDelete()
    {
        var collections = fixture.Client.Admin.Collections;
        var name = "admin-" + Guid.NewGuid().ToString("N")[..8];
        var created = await collections.CreateAsync(new CollectionDefinition
        {
            Name = name,
            Schema = JsonNode.Parse("""{"type":"object","required":["title"]}""")!.AsObject(),
            Indexes = { new IndexDefinition("done", "-priority"), new IndexDefinition("slug") { Unique = true } },
            Rules = { ["list"] = "true" },
        }, Ct);
        Assert.Equal(name, created.Name);
        Assert.Equal(["done", "-priority"], created.Indexes[0].Fields);
        Assert.True(created.Indexes[1].Unique);
        Assert.Equal("true", created.Rules["list"]);
        Assert.NotEqual(default, created.CreatedAt);

        var exists = await Assert.ThrowsAsync<BaasException>(() => collections.CreateAsync(new CollectionDefinition { Name = name }, Ct));
        Assert.Equal(409, exists.Status);

        var read = await collections.GetAsync(name, Ct);
        Assert.Equal("title", read!.Schema!["required"]![0]!.GetValue<string>());
        Assert.Contains(await collections.ListAsync(Ct), c => c.Name == name);

        var updated = await collections.UpdateAsync(new CollectionDefinition { Name = name }, Ct);
        Assert.Null(updated.Schema);
        Assert.Empty(updated.Indexes);

        // With the schema gone, a document without a title is accepted.
        var docs = fixture.Client.Collection<JsonObject>(name);
        await docs.AddAsync(new JsonObject { ["x"] = 1 }, Ct);

        Assert.True(await collections.DeleteAsync(name, Ct));
        Assert.False(await collections.DeleteAsync(name, Ct));
        Assert.Null(await collections.GetAsync(name, Ct));
    }

    [Fact]
    public async Task Collections_UpdateAndDelete_WithTheVersionRead_AreRefused412_AfterAnotherSave()
    {
        // Without an expected version the SDK could not send If-Match: the second admin's save silently replaced the first's.
        var collections = fixture.Client.Admin.Collections;
        var name = "edit-" + Guid.NewGuid().ToString("N")[..8];
        var created = await collections.CreateAsync(new CollectionDefinition { Name = name }, Ct);
        Assert.Equal(1, created.Version);
        var opened = await collections.GetAsync(name, Ct);
        Assert.Equal(1, opened!.Version);

        var first = await collections.UpdateAsync(new CollectionDefinition { Name = name, Rules = { ["get"] = "true" } }, opened.Version, Ct);
        Assert.Equal(2, first.Version);
        var stale = await Assert.ThrowsAsync<BaasException>(() => collections.UpdateAsync(new CollectionDefinition { Name = name, Rules = { ["list"] = "true" } }, opened.Version, Ct));
        Assert.Equal(412, stale.Status);
        Assert.Equal("version_mismatch", stale.Code);
        Assert.Equal(2, stale.Problem!["currentVersion"]!.GetValue<long>());
        var kept = await collections.GetAsync(name, Ct);
        Assert.Equal("true", kept!.Rules["get"]);
        Assert.False(kept.Rules.ContainsKey("list"));

        var refused = await Assert.ThrowsAsync<BaasException>(() => collections.DeleteAsync(name, opened.Version, Ct));
        Assert.Equal(412, refused.Status);
        Assert.NotNull(await collections.GetAsync(name, Ct));

        // The overloads without a version still save and delete unconditionally, as before.
        Assert.Equal(3, (await collections.UpdateAsync(new CollectionDefinition { Name = name }, Ct)).Version);
        Assert.True(await collections.DeleteAsync(name, kept.Version + 1, Ct));
        Assert.False(await collections.DeleteAsync(name, 1, Ct));
    }

    [Fact]
    public async Task Collections_ListAsync_ItemsCarryTheirVersions_SoAnItemListedCanBeSavedConditionally()
    {
        var collections = fixture.Client.Admin.Collections;
        var name = "listed-" + Guid.NewGuid().ToString("N")[..8];
        await collections.CreateAsync(new CollectionDefinition { Name = name }, Ct);
        await collections.UpdateAsync(new CollectionDefinition { Name = name, Rules = { ["get"] = "true" } }, Ct);

        var listed = Assert.Single(await collections.ListAsync(Ct), c => c.Name == name);
        Assert.Equal(2, listed.Version);
        listed.Rules["list"] = "true";
        Assert.Equal(3, (await collections.UpdateAsync(listed, listed.Version, Ct)).Version);
        var stale = await Assert.ThrowsAsync<BaasException>(() => collections.UpdateAsync(listed, listed.Version, Ct));
        Assert.Equal(("version_mismatch", 3L), (stale.Code, stale.Problem!["currentVersion"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Collections_BadDefinition_Is400_WithField()
    {
        var ex = await Assert.ThrowsAsync<BaasException>(() => fixture.Client.Admin.Collections.CreateAsync(new CollectionDefinition { Name = "Bad Name" }, Ct));
        Assert.Equal(400, ex.Status);
        Assert.Equal("name", ex.Field);
    }

    [Fact]
    public async Task ApiKeys_CreateListUseRevoke()
    {
        var keys = fixture.Client.Admin.ApiKeys;
        var created = await keys.CreateAsync("worker", Ct);
        Assert.Equal("worker", created.Name);
        Assert.False(string.IsNullOrEmpty(created.Key));

        var listed = Assert.Single(await keys.ListAsync(Ct), k => k.Id == created.Id);
        Assert.Equal("worker", listed.Name);

        using var worker = fixture.CreateClient(o => o.ApiKey = created.Key);
        await worker.Admin.Collections.ListAsync(Ct);

        Assert.True(await keys.RevokeAsync(created.Id, Ct));
        Assert.False(await keys.RevokeAsync(created.Id, Ct));
        Assert.Equal(401, (await Assert.ThrowsAsync<BaasException>(() => worker.Admin.Collections.ListAsync(Ct))).Status);
        Assert.DoesNotContain(await keys.ListAsync(Ct), k => k.Id == created.Id);
    }
}

/// <summary>Answers sign-ins with t1, t2, ...; while a logout is under way, the client signs in again.</summary>
internal sealed class SignInDuringLogoutHandler : HttpMessageHandler
{
    private int _logins;

    public BaasClient? Client { get; set; }

    public List<string> Seen { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        var name = path.EndsWith("/login", StringComparison.Ordinal) ? "login" : path.EndsWith("/logout", StringComparison.Ordinal) ? "logout" : "me";
        Seen.Add(name + ": " + request.Headers.Authorization);
        var admin = new JsonObject { ["id"] = "a1", ["email"] = "admin@test.local", ["createdAt"] = "2026-01-02T03:04:05Z" };
        switch (name)
        {
            case "login":
                var token = "t" + Interlocked.Increment(ref _logins);
                return Json(new JsonObject { ["admin"] = admin, ["accessToken"] = token, ["expiresIn"] = 28800 });
            case "logout":
                await Client!.Admin.SignInAsync("admin@test.local", "Adm1n-Password!", cancellationToken);
                return new HttpResponseMessage(System.Net.HttpStatusCode.NoContent) { RequestMessage = request };
            default:
                return Json(admin);
        }

        HttpResponseMessage Json(JsonObject body) => new(System.Net.HttpStatusCode.OK)
        {
            RequestMessage = request,
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
    }
}
