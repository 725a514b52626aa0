using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Platform.Server.Tests.Infrastructure;

/// <summary>
/// One real server per test class, with an admin client and a service-key client. Tests stay
/// independent by using their own collections (<see cref="NewCollectionAsync"/>).
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    private BaasTestServer? _server;

    public BaasTestServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Service { get; private set; } = null!;

    /// <summary>Configuration overrides for the server; subclasses change them.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async ValueTask InitializeAsync()
    {
        _server = await BaasTestServer.StartAsync(Settings);
        Admin = await Server.CreateAdminClientAsync();
        using var response = await Admin.PostAsJsonAsync("/api/admin/apikeys", new { name = "tests" });
        response.EnsureSuccessStatusCode();
        var key = (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        Service = Server.CreateClient();
        Service.DefaultRequestHeaders.Add("X-Api-Key", key);
    }

    /// <summary>Defines a fresh collection (unique name) and returns its name.</summary>
    public async Task<string> NewCollectionAsync(object? schema = null, object[]? indexes = null, CancellationToken cancellationToken = default)
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..12];
        using var response = await Admin.PostAsJsonAsync("/api/admin/collections", new { name, schema, indexes = indexes ?? [] }, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating collection failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return name;
    }

    public async ValueTask DisposeAsync()
    {
        Admin?.Dispose();
        Service?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
