using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Hosting;

namespace Platform.Server.Tests.Infrastructure;

/// <summary>
/// The real server on Kestrel over loopback (an ephemeral port), with its own data dir that is
/// deleted on dispose. Every test class that needs HTTP gets one of these (as a class fixture or
/// per test), so tests never share data. Its store is SQLite, or MongoDB with <c>BAAS_TEST_PROVIDER=mongo</c>
/// (<see cref="TestStorage"/>): a database of its own, dropped on dispose. A test that sets
/// <c>Baas:Storage:Provider</c> itself keeps what it set.
/// </summary>
public sealed class BaasTestServer : IAsyncDisposable
{
    public const string AdminEmail = "admin@test.local";
    public const string AdminPassword = "Admin-Passw0rd!";

    private readonly WebApplication _app;
    private readonly (string ConnectionString, string Database)? _mongo;

    private BaasTestServer(WebApplication app, string dataDir, TestProvider provider, (string ConnectionString, string Database)? mongo)
    {
        _app = app;
        _mongo = mongo;
        DataDir = dataDir;
        Provider = provider;
        BaseAddress = new Uri(app.Urls.First());
    }

    /// <summary>The store this server runs on.</summary>
    public TestProvider Provider { get; }

    public Uri BaseAddress { get; }

    public string DataDir { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a server; <paramref name="settings"/> override configuration keys (e.g. <c>Baas:Storage:Provider</c>;
    /// a null value removes a default such as the admin seed); <paramref name="configureServices"/> runs after
    /// the server's own registrations, so it can replace services (e.g. the <see cref="TimeProvider"/>);
    /// <paramref name="storage"/> replaces the run's selection (<see cref="TestStorage.Current"/>).
    /// </summary>
    public static async Task<BaasTestServer> StartAsync(
        IDictionary<string, string?>? settings = null,
        string? dataDir = null,
        Action<IServiceCollection>? configureServices = null,
        TestProviderSelection? storage = null)
    {
        dataDir ??= Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));
        var config = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Baas:DataDir"] = dataDir,
            ["Baas:Admin:Email"] = AdminEmail,
            ["Baas:Admin:Password"] = AdminPassword,
            ["Logging:LogLevel:Default"] = "Warning",
            // Every test signs in from 127.0.0.1; tests of the auth limit turn it back on.
            ["Baas:RateLimit:AuthPerMinute"] = "0",
        };
        var provider = TestProvider.Sqlite;
        (string ConnectionString, string Database)? mongo = null;
        if (settings?.ContainsKey("Baas:Storage:Provider") != true)
        {
            storage ??= TestStorage.Current;
            if (storage.Error is not null)
            {
                throw new InvalidOperationException(storage.Error);
            }

            if (storage.Provider == TestProvider.Mongo)
            {
                var unreachable = await TestStorage.ProbeAsync(storage.ConnectionString!);
                if (unreachable is not null)
                {
                    throw new InvalidOperationException(unreachable);
                }

                // Servers on one data dir share the store, as they share the SQLite file (two nodes, SeveralNodesTests).
                var sharedDir = settings?.TryGetValue("Baas:DataDir", out var configured) == true && configured is not null ? configured : dataDir;
                provider = TestProvider.Mongo;
                mongo = (storage.ConnectionString!, TestStorage.DatabaseFor(sharedDir));
                foreach (var (key, value) in TestStorage.MongoSettings(mongo.Value.ConnectionString, mongo.Value.Database))
                {
                    config[key] = value;
                }
            }
        }
        else if (string.Equals(settings["Baas:Storage:Provider"], "Mongo", StringComparison.OrdinalIgnoreCase))
        {
            provider = TestProvider.Mongo;
        }

        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                config[key] = value;
            }
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(config);
        builder.AddBaasServer();
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapBaasApi();
        if (mongo is { } database)
        {
            TestStorage.Open(database.Database);
        }

        try
        {
            await app.StartAsync();
        }
        catch when (mongo is not null)
        {
            await TestStorage.CloseAsync(mongo.Value.ConnectionString, mongo.Value.Database);
            throw;
        }

        return new BaasTestServer(app, dataDir, provider, mongo);
    }

    /// <summary>An anonymous client.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A client signed in as the seeded admin.</summary>
    public async Task<HttpClient> CreateAdminClientAsync(CancellationToken cancellationToken = default)
    {
        var client = CreateClient();
        using var response = await client.PostAsJsonAsync("/api/admin/auth/login", new { email = AdminEmail, password = AdminPassword }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body!["accessToken"]!.GetValue<string>());
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_mongo is { } mongo)
        {
            await TestStorage.CloseAsync(mongo.ConnectionString, mongo.Database);
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A file handle may linger briefly after shutdown; the temp folder is cleaned by the OS.
        }
    }
}
