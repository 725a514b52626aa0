using System.Text.Json.Nodes;
using Platform.Sdk.Admin;

namespace Platform.Sdk.Tests.Infrastructure;

/// <summary>
/// One real server per test class, reached only through the SDK: an admin-signed-in client and a
/// service key. Tests stay independent by defining their own collections.
/// </summary>
public class SdkServerFixture : IAsyncLifetime
{
    private BaasTestServer? _server;

    public BaasTestServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public Uri BaseUrl => Server.BaseAddress;

    /// <summary>A service key created through the SDK's admin API.</summary>
    public string ServiceKey { get; private set; } = null!;

    /// <summary>A client using <see cref="ServiceKey"/>.</summary>
    public BaasClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await BaasTestServer.StartAsync();
        using var admin = new BaasClient(new BaasClientOptions { BaseUrl = BaseUrl });
        await admin.Admin.SignInAsync(BaasTestServer.AdminEmail, BaasTestServer.AdminPassword);
        ServiceKey = (await admin.Admin.ApiKeys.CreateAsync("sdk-tests")).Key;
        Client = CreateClient();
    }

    public BaasClient CreateClient(Action<BaasClientOptions>? configure = null)
    {
        var options = new BaasClientOptions { BaseUrl = BaseUrl, ApiKey = ServiceKey };
        configure?.Invoke(options);
        return new BaasClient(options);
    }

    /// <summary>Defines a fresh collection (unique name) and returns its name.</summary>
    public async Task<string> NewCollectionAsync(string? schema = null, params IndexDefinition[] indexes)
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..12];
        var definition = new CollectionDefinition { Name = name, Schema = schema is null ? null : JsonNode.Parse(schema)!.AsObject() };
        foreach (var index in indexes)
        {
            definition.Indexes.Add(index);
        }

        await Client.Admin.Collections.CreateAsync(definition, TestContext.Current.CancellationToken);
        return name;
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
