using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Server.Admin;
using Platform.Server.Tests.Auth;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Platform.Server.Tests.Admin;

public sealed class AdminSeederTests : IDisposable
{
    private readonly InMemoryDocumentStore _store = new();
    private readonly AdminAccountService _accounts;
    private readonly AdminSetup _setup;
    private readonly ServiceProvider _services = new ServiceCollection().BuildServiceProvider();

    public AdminSeederTests()
    {
        var hasher = new PasswordHasher<AdminAccount>(MsOptions.Create(new PasswordHasherOptions { IterationCount = 1000 }));
        _accounts = new AdminAccountService(_store, hasher, new ManualTimeProvider(), TestAdminGuard.Create(_store));
        _setup = new AdminSetup(_accounts);
    }

    public void Dispose()
    {
        _setup.Dispose();
        _services.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private AdminSeeder Seeder(AdminOptions options) => new(
        _accounts,
        _setup,
        MsOptions.Create(options),
        new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance),
        _services,
        NullLogger<AdminSeeder>.Instance);

    [Fact]
    public async Task RunAsync_SeedsTheConfiguredAdmin_AndIssuesNoSetupToken()
    {
        await Seeder(new AdminOptions { Email = " Seed@Test.local", Password = "Seed-Passw0rd" }).RunAsync(Ct);

        Assert.NotNull((await _accounts.VerifyCredentialsAsync("seed@test.local", "Seed-Passw0rd", Ct)).Admin);
        Assert.Null(_setup.Token);
    }

    [Fact]
    public async Task RunAsync_LeavesAnExistingAdminsPasswordAlone()
    {
        await Seeder(new AdminOptions { Email = "seed@test.local", Password = "Seed-Passw0rd" }).RunAsync(Ct);

        await Seeder(new AdminOptions { Email = "seed@test.local", Password = "Changed-Passw0rd" }).RunAsync(Ct);

        Assert.NotNull((await _accounts.VerifyCredentialsAsync("seed@test.local", "Seed-Passw0rd", Ct)).Admin);
        Assert.Single(await _accounts.ListAsync(Ct));
    }

    [Fact]
    public async Task RunAsync_IssuesASetupToken_WhenNoAdminExistsAndNoneIsConfigured()
    {
        await Seeder(new AdminOptions()).RunAsync(Ct);

        Assert.Matches("^[A-Za-z0-9_-]{43}$", _setup.Token);
    }

    [Fact]
    public async Task RunAsync_IssuesNoSetupToken_WhenAnAdminExists()
    {
        await _accounts.InitializeAsync(Ct);
        await _accounts.CreateAsync("someone@test.local", "Someone-Passw0rd", null, Ct);

        await Seeder(new AdminOptions()).RunAsync(Ct);

        Assert.Null(_setup.Token);
    }

    [Theory]
    [InlineData(new string[0], "http://localhost:8090/admin/setup?token=t0k")]
    [InlineData(new[] { "http://127.0.0.1:5123" }, "http://127.0.0.1:5123/admin/setup?token=t0k")]
    [InlineData(new[] { "http://[::]:8090", "https://localhost:8443" }, "http://localhost:8090/admin/setup?token=t0k")]
    [InlineData(new[] { "http://0.0.0.0:80" }, "http://localhost/admin/setup?token=t0k")]
    [InlineData(new[] { "http://+:9000" }, "http://localhost:9000/admin/setup?token=t0k")]
    public void BuildSetupUrl_UsesTheFirstAddress_WithWildcardsAsLocalhost(string[] addresses, string expected) =>
        Assert.Equal(expected, AdminSeeder.BuildSetupUrl(addresses, "t0k"));
}
