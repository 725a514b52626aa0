using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Platform.Server.Admin;
using Platform.Server.Tests.Auth;

namespace Platform.Server.Tests.Admin;

public sealed class AdminSetupTests : IDisposable
{
    private readonly AdminAccountService _accounts;
    private readonly AdminSetup _setup;

    public AdminSetupTests()
    {
        var hasher = new PasswordHasher<AdminAccount>(Options.Create(new PasswordHasherOptions { IterationCount = 1000 }));
        var store = new InMemoryDocumentStore();
        _accounts = new AdminAccountService(store, hasher, new ManualTimeProvider(), TestAdminGuard.Create(store));
        _setup = new AdminSetup(_accounts);
    }

    public void Dispose() => _setup.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateFirstAdminAsync_RefusesAWrongOrMissingToken()
    {
        await _accounts.InitializeAsync(Ct);
        _setup.IssueToken();

        Assert.Equal(AdminSetupOutcome.InvalidToken, (await _setup.CreateFirstAdminAsync("wrong", "a@test.local", "First-Passw0rd", Ct)).Outcome);
        Assert.Equal(AdminSetupOutcome.InvalidToken, (await _setup.CreateFirstAdminAsync(null, "a@test.local", "First-Passw0rd", Ct)).Outcome);
        Assert.False(await _accounts.AnyAsync(Ct));
    }

    [Fact]
    public async Task CreateFirstAdminAsync_WorksOnce_WithTheIssuedToken()
    {
        await _accounts.InitializeAsync(Ct);
        var token = _setup.IssueToken();

        var (outcome, admin) = await _setup.CreateFirstAdminAsync(token, "a@test.local", "First-Passw0rd", Ct);
        var second = await _setup.CreateFirstAdminAsync(token, "b@test.local", "Second-Passw0rd", Ct);

        Assert.Equal(AdminSetupOutcome.Created, outcome);
        Assert.Equal("a@test.local", admin!.Email);
        Assert.Null(_setup.Token);
        Assert.Equal(AdminSetupOutcome.AlreadyDone, second.Outcome);
    }

    [Fact]
    public async Task CreateFirstAdminAsync_IsAlreadyDone_WhenAnotherNodeCreatedAnAdmin()
    {
        await _accounts.InitializeAsync(Ct);
        var token = _setup.IssueToken();
        await _accounts.CreateAsync("other@test.local", "Other-Passw0rd", null, Ct);

        Assert.Equal(AdminSetupOutcome.AlreadyDone, (await _setup.CreateFirstAdminAsync(token, "a@test.local", "First-Passw0rd", Ct)).Outcome);
        Assert.Null(_setup.Token);
    }

    [Fact]
    public async Task CreateFirstAdminAsync_CreatesExactlyOneAdmin_UnderConcurrentRequests()
    {
        await _accounts.InitializeAsync(Ct);
        var token = _setup.IssueToken();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            Task.Run(() => _setup.CreateFirstAdminAsync(token, $"admin{i}@test.local", "First-Passw0rd", Ct), Ct)));

        Assert.Single(outcomes, o => o.Outcome == AdminSetupOutcome.Created);
        Assert.Single(await _accounts.ListAsync(Ct));
    }

    [Fact]
    public async Task CreateFirstAdminAsync_IsAlreadyDone_WithoutAnIssuedToken()
    {
        await _accounts.InitializeAsync(Ct);

        Assert.Equal(AdminSetupOutcome.AlreadyDone, (await _setup.CreateFirstAdminAsync("x", "a@test.local", "First-Passw0rd", Ct)).Outcome);
    }
}
