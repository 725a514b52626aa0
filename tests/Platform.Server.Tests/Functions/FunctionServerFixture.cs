using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Functions;
using Platform.Server.Tests.Auth;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions;

/// <summary>
/// A real server whose function runtime is <see cref="FakeFunctionRuntime"/> (until the Jint runtime is merged)
/// and whose clock the tests move. Tests use unique function names, so they stay independent.
/// </summary>
public sealed class FunctionServerFixture : IAsyncLifetime
{
    private BaasTestServer? _server;

    public FakeFunctionRuntime Runtime { get; } = new();

    internal ManualTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public BaasTestServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Service { get; private set; } = null!;

    public static string NewName(string prefix = "fn") => prefix + Guid.NewGuid().ToString("N")[..10];

    public async ValueTask InitializeAsync()
    {
        _server = await BaasTestServer.StartAsync(configureServices: services =>
        {
            services.AddSingleton<IFunctionRuntime>(Runtime);
            services.AddSingleton<TimeProvider>(Clock);
        });
        Admin = await Server.CreateAdminClientAsync();
        using var response = await Admin.PostAsJsonAsync("/api/admin/apikeys", new { name = "tests" });
        response.EnsureSuccessStatusCode();
        var key = (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        Service = Server.CreateClient();
        Service.DefaultRequestHeaders.Add("X-Api-Key", key);
    }

    /// <summary>A client signed in as a new app user.</summary>
    public async Task<HttpClient> NewUserAsync(CancellationToken cancellationToken = default)
    {
        var client = Server.CreateClient();
        using var response = await client.PostAsJsonAsync("/api/auth/signup", new { email = NewName("u") + "@test.local", password = "Sign-up-Passw0rd!" }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Defines a function from a JSON body (the name is added) and returns its name.</summary>
    public async Task<string> CreateAsync(string fields = "", string? name = null, CancellationToken cancellationToken = default)
    {
        name ??= NewName();
        var body = $$"""{ "name": "{{name}}", "code": "export default async function (ctx) { return 1; }"{{(fields.Length > 0 ? ", " + fields : string.Empty)}} }""";
        using var response = await Service.PostJsonAsync("/api/admin/functions", body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating {name} failed: {await response.Content.ReadAsStringAsync(cancellationToken)}");
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
    }
}
