using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Functions;
using Platform.Server.Tests.Functions;

namespace Platform.Sdk.Tests.Functions;

/// <summary>A real server whose function runtime is <see cref="FakeFunctionRuntime"/>, an admin client and a service-key client.</summary>
public sealed class FunctionSdkFixture : IAsyncLifetime
{
    private BaasTestServer? _server;

    public FakeFunctionRuntime Runtime { get; } = new();

    public BaasTestServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public Uri BaseUrl => Server.BaseAddress;

    public string ServiceKey { get; private set; } = null!;

    /// <summary>A client using the service key.</summary>
    public BaasClient Client { get; private set; } = null!;

    public static string NewName() => "fn" + Guid.NewGuid().ToString("N")[..10];

    public async ValueTask InitializeAsync()
    {
        _server = await BaasTestServer.StartAsync(configureServices: services => services.AddSingleton<IFunctionRuntime>(Runtime));
        using var admin = new BaasClient(new BaasClientOptions { BaseUrl = BaseUrl });
        await admin.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword);
        ServiceKey = (await admin.Admin.ApiKeys.CreateAsync("sdk-function-tests")).Key;
        Client = new BaasClient(new BaasClientOptions { BaseUrl = BaseUrl, ApiKey = ServiceKey });
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
