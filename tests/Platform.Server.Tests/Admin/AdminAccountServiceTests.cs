using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Platform.Server.Admin;
using Platform.Server.Tests.Auth;

namespace Platform.Server.Tests.Admin;

public class AdminAccountServiceTests
{
    private readonly InMemoryDocumentStore _store = new();
    private readonly AdminAccountService _accounts;

    public AdminAccountServiceTests()
    {
        // Few iterations: these tests are about the account logic, not PBKDF2's cost.
        var hasher = new PasswordHasher<AdminAccount>(Options.Create(new PasswordHasherOptions { IterationCount = 1000 }));
        _accounts = new AdminAccountService(_store, hasher, new ManualTimeProvider(), TestAdminGuard.Create(_store));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateAsync_StoresANormalizedEmailAndAHash_NotThePassword()
    {
        await _accounts.InitializeAsync(Ct);

        var admin = await _accounts.CreateAsync(" Boss@Test.Local", "Boss-Passw0rd", "creator", Ct);

        Assert.NotNull(admin);
        Assert.Equal("boss@test.local", admin.Email);
        Assert.Equal("2026-01-02T03:04:05.678Z", admin.CreatedAt);
        var stored = await _store.GetAsync("_admins", admin.Id, Ct);
        Assert.StartsWith("AQAAAA", stored!["passwordHash"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("Boss-Passw0rd", stored.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("creator", stored["_createdBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateAsync_ReturnsNull_ForAnEmailInUse()
    {
        await _accounts.InitializeAsync(Ct);
        await _accounts.CreateAsync("boss@test.local", "Boss-Passw0rd", null, Ct);

        Assert.Null(await _accounts.CreateAsync("BOSS@test.local", "Other-Passw0rd", null, Ct));
    }

    [Fact]
    public async Task CreateAsync_Throws_ForInvalidInput()
    {
        await _accounts.InitializeAsync(Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => _accounts.CreateAsync("boss@test.local", "short", null, Ct));
    }

    [Fact]
    public async Task VerifyCredentialsAsync_ReturnsTheAdmin_OnlyForTheRightPassword()
    {
        await _accounts.InitializeAsync(Ct);
        var admin = await _accounts.CreateAsync("boss@test.local", "Boss-Passw0rd", null, Ct);

        Assert.Equal(admin, (await _accounts.VerifyCredentialsAsync(" BOSS@test.local ", "Boss-Passw0rd", Ct)).Admin);
        Assert.Null((await _accounts.VerifyCredentialsAsync("boss@test.local", "boss-passw0rd", Ct)).Admin);
        Assert.Null((await _accounts.VerifyCredentialsAsync("nobody@test.local", "Boss-Passw0rd", Ct)).Admin);
        Assert.Null((await _accounts.VerifyCredentialsAsync("", "Boss-Passw0rd", Ct)).Admin);
    }

    [Fact]
    public async Task AnyAsync_IsTrue_OnlyOnceAnAdminExists()
    {
        await _accounts.InitializeAsync(Ct);
        Assert.False(await _accounts.AnyAsync(Ct));

        await _accounts.CreateAsync("boss@test.local", "Boss-Passw0rd", null, Ct);

        Assert.True(await _accounts.AnyAsync(Ct));
    }
}
