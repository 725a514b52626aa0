using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Admin;

/// <summary>One seeded server per test class; tests create their own keys and admins with unique names.</summary>
public sealed class AdminServerFixture : IAsyncLifetime
{
    public BaasTestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await BaasTestServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
