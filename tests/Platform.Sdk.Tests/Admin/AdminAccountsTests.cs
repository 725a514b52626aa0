using Microsoft.Extensions.DependencyInjection;
using Platform.Sdk.Tests.Infrastructure;
using Platform.Server.Admin;

namespace Platform.Sdk.Tests.Admin;

/// <summary>What the dashboard needs from the SDK: first-admin setup, admin accounts, the signed-in admin, health.</summary>
public sealed class AdminAccountsTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetupAsync_CreatesTheFirstAdmin_AndSignsIn_Once()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Admin:Email"] = null, ["Baas:Admin:Password"] = null });
        var token = server.Services.GetRequiredService<AdminSetup>().Token!;
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = server.BaseAddress });

        var wrong = await Assert.ThrowsAsync<BaasException>(() => client.Admin.SetupAsync("wrong", "first@test.local", "First-Passw0rd", Ct));
        Assert.Equal((403, "invalid_setup_token"), (wrong.Status, wrong.Code));
        var weak = await Assert.ThrowsAsync<BaasException>(() => client.Admin.SetupAsync(token, "first@test.local", "short", Ct));
        Assert.Equal((400, "password"), (weak.Status, weak.Field));

        var session = await client.Admin.SetupAsync(token, "first@test.local", "First-Passw0rd", Ct);
        Assert.Equal("first@test.local", session.Admin.Email);
        Assert.False(string.IsNullOrEmpty(session.AccessToken));
        Assert.Equal("first@test.local", (await client.Admin.GetMeAsync(Ct)).Email);

        var again = await Assert.ThrowsAsync<BaasException>(() => client.Admin.SetupAsync(token, "second@test.local", "Second-Passw0rd", Ct));
        Assert.Equal((409, "setup_completed"), (again.Status, again.Code));
    }

    [Fact]
    public async Task Admins_ListAndCreate_AsAnAdmin()
    {
        using var client = fixture.CreateClient(o => o.ApiKey = null);
        await client.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword, Ct);
        var email = $"admin-{Guid.NewGuid():N}@test.local";

        var created = await client.Admin.Admins.CreateAsync(email, "Another-Passw0rd", Ct);

        Assert.Equal(email, created.Email);
        Assert.False(string.IsNullOrEmpty(created.Id));
        Assert.NotEqual(default, created.CreatedAt);
        var admins = await client.Admin.Admins.ListAsync(Ct);
        Assert.Contains(admins, a => a.Email == email);
        Assert.Contains(admins, a => a.Email == BaasTestServer.AdminEmail);
        var taken = await Assert.ThrowsAsync<BaasException>(() => client.Admin.Admins.CreateAsync(email, "Another-Passw0rd", Ct));
        Assert.Equal((409, "email_taken", "email"), (taken.Status, taken.Code, taken.Field));
    }

    [Fact]
    public async Task Admins_DisableAndEnable_AnotherAdmin()
    {
        using var client = fixture.CreateClient(o => o.ApiKey = null);
        var me = await client.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword, Ct);
        var email = $"admin-{Guid.NewGuid():N}@test.local";
        var other = await client.Admin.Admins.CreateAsync(email, "Another-Passw0rd", Ct);
        Assert.False(other.Disabled);

        var disabled = await client.Admin.Admins.SetDisabledAsync(other.Id, true, Ct);

        Assert.True(disabled.Disabled);
        Assert.True((await client.Admin.Admins.ListAsync(Ct)).Single(a => a.Id == other.Id).Disabled);
        using var theirs = fixture.CreateClient(o => o.ApiKey = null);
        var refused = await Assert.ThrowsAsync<BaasException>(() => theirs.Admin.SignInAsync(email, "Another-Passw0rd", Ct));
        Assert.Equal((403, "admin_disabled"), (refused.Status, refused.Code));
        var self = await Assert.ThrowsAsync<BaasException>(() => client.Admin.Admins.SetDisabledAsync(me.Admin.Id, true, Ct));
        Assert.Equal((409, "cannot_disable_self"), (self.Status, self.Code));

        Assert.False((await client.Admin.Admins.SetDisabledAsync(other.Id, false, Ct)).Disabled);
        await theirs.Admin.SignInAsync(email, "Another-Passw0rd", Ct);
    }

    [Fact]
    public async Task Admins_AreNotForServiceKeys()
    {
        var denied = await Assert.ThrowsAsync<BaasException>(() => fixture.Client.Admin.Admins.ListAsync(Ct));
        Assert.Equal(403, denied.Status);
    }

    [Fact]
    public async Task GetMeAsync_WithoutSignIn_Is401()
    {
        using var client = fixture.CreateClient(o => o.ApiKey = null);
        var ex = await Assert.ThrowsAsync<BaasException>(() => client.Admin.GetMeAsync(Ct));
        Assert.Equal(401, ex.Status);
    }

    [Fact]
    public async Task GetHealthAsync_IsReady_WithoutCredentials()
    {
        using var client = fixture.CreateClient(o => o.ApiKey = null);
        Assert.Equal(new BaasHealth(true, 200), await client.GetHealthAsync(Ct));
    }

    [Fact]
    public async Task GetHealthAsync_UnreachableServer_Throws()
    {
        using var client = new BaasClient(new BaasClientOptions { BaseUrl = new Uri("http://127.0.0.1:9/") });
        var ex = await Assert.ThrowsAsync<BaasException>(() => client.GetHealthAsync(Ct));
        Assert.Equal(0, ex.Status);
    }
}
