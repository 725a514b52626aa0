using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Email;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Users;

/// <summary>
/// A server whose mails are captured, with an admin client and a service-key client. Tests stay independent by
/// signing up their own users (<see cref="NewEmail"/>).
/// </summary>
public class UserServerFixture : IAsyncLifetime
{
    private BaasTestServer? _server;

    public BaasTestServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    internal CapturingEmailSender Mail { get; } = new();

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Service { get; private set; } = null!;

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Baas:Auth:PublicUrl"] = "https://app.example.test/",
    };

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async ValueTask InitializeAsync()
    {
        _server = await BaasTestServer.StartAsync(Settings, configureServices: services =>
        {
            services.AddSingleton<IEmailSender>(Mail);
            ConfigureServices(services);
        });
        Admin = await Server.CreateAdminClientAsync();
        using var response = await Admin.PostAsJsonAsync("/api/admin/apikeys", new { name = "user-tests" });
        response.EnsureSuccessStatusCode();
        var key = (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        Service = Server.CreateClient();
        Service.DefaultRequestHeaders.Add("X-Api-Key", key);
    }

    public static string NewEmail() => $"u{Guid.NewGuid():N}@test.local";

    public HttpClient Client(string? accessToken = null)
    {
        var client = Server.CreateClient();
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return client;
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

/// <summary>Calls of the auth API that tests repeat.</summary>
internal static class AuthApi
{
    public const string Password = "Corr3ct-Horse!";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonObject> SignUpAsync(HttpClient client, string email, string password = Password)
    {
        using var response = await client.PostAsJsonAsync("/api/auth/signup", new { email, password }, Ct);
        return (await HttpAssert.StatusAsync(System.Net.HttpStatusCode.Created, response))!;
    }

    public static async Task<JsonObject> LoginAsync(HttpClient client, string email, string password = Password)
    {
        using var response = await client.PostAsJsonAsync("/api/auth/login", new { email, password }, Ct);
        return (await HttpAssert.StatusAsync(System.Net.HttpStatusCode.OK, response))!;
    }

    public static Task<HttpResponseMessage> RefreshAsync(HttpClient client, string refreshToken) =>
        client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken }, Ct);

    public static Task<HttpResponseMessage> MeAsync(HttpClient client, string accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client.SendAsync(request, Ct);
    }

    public static string Access(JsonObject session) => session["accessToken"]!.GetValue<string>();

    public static string Refresh(JsonObject session) => session["refreshToken"]!.GetValue<string>();

    public static string UserId(JsonObject session) => session["user"]!["id"]!.GetValue<string>();
}
