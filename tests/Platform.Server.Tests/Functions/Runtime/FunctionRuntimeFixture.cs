using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Server.Collections;
using Platform.Server.Documents;
using Platform.Server.Functions;
using Platform.Server.Functions.Runtime;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions.Runtime;

/// <summary>
/// A real server (its document services, rules and store) whose runtime the tests call directly, a fake
/// resolver so that no test depends on DNS, a recorder of what runs write, and a loopback HTTP server (the
/// only thing a test's fetch ever connects to).
/// </summary>
public sealed class FunctionRuntimeFixture : IAsyncLifetime
{
    public const int FetchCap = 1024;

    private WebApplication? _target;

    public BaasTestServer Server { get; private set; } = null!;

    public FakeResolver Resolver { get; } = new();

    public RecordingDocuments Recorder { get; private set; } = null!;

    /// <summary>"127.0.0.1:port" of the loopback target, as an allowlist names it.</summary>
    public string TargetHost { get; private set; } = null!;

    public string TargetUrl => "http://" + TargetHost;

    public IFunctionRuntime Runtime => Server.Services.GetRequiredService<IFunctionRuntime>();

    public FunctionRuntimeMetrics Metrics => Server.Services.GetRequiredService<FunctionRuntimeMetrics>();

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/ok", () => Results.Json(new { hello = "world" }));
        app.MapGet("/text", (HttpResponse r) => Results.Text("plain text", "text/plain"));
        app.MapPost("/echo", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            return Results.Json(new { method = request.Method, contentType = request.ContentType, token = request.Headers["x-token"].ToString(), body });
        });
        app.MapGet("/big", () => Results.Text(new string('x', FetchCap + 1), "text/plain"));
        app.MapGet("/big-chunked", async (HttpResponse response) =>
        {
            response.ContentType = "text/plain";
            for (var i = 0; i < 4; i++)
            {
                await response.WriteAsync(new string('y', FetchCap / 2));
                await response.Body.FlushAsync();
            }
        });
        app.MapGet("/redirect/{n:int}", (int n) => n <= 0 ? Results.Redirect("/ok") : Results.Redirect($"/redirect/{n - 1}"));
        app.MapGet("/redirect-to", (string url) => Results.Redirect(url));
        app.MapGet("/slow", async (CancellationToken cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return Results.Ok();
        });
        await app.StartAsync();
        _target = app;
        TargetHost = new Uri(app.Urls.First()).Authority;

        Server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Baas:Functions:MaxLogLines"] = "5",
                ["Baas:Functions:MaxLogBytes"] = "300",
                ["Baas:Functions:MaxFetchResponseBytes"] = FetchCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Baas:Functions:MaxResultBytes"] = "65536",
                ["Baas:Functions:MaxStatements"] = "100000000",
            },
            configureServices: services =>
            {
                services.AddSingleton<IFetchHostResolver>(Resolver);
                services.AddSingleton<IFunctionDocuments>(sp => Recorder = new RecordingDocuments(
                    new DocumentServiceFunctionDocuments(sp.GetRequiredService<DocumentService>(), sp.GetRequiredService<DocumentQueryService>())));
            });
        _ = Server.Services.GetRequiredService<IFunctionDocuments>();
    }

    /// <summary>Runs <paramref name="code"/> as a fresh function (unique name) unless a name is given.</summary>
    public Task<FunctionRunResult> RunAsync(
        string code,
        FunctionInvocation? invocation = null,
        string? name = null,
        int version = 1,
        IReadOnlyList<string>? allowlist = null,
        IReadOnlyDictionary<string, string>? environment = null,
        int memoryMb = FunctionOptions.DefaultMemoryMb,
        IFunctionRuntime? runtime = null) =>
        (runtime ?? Runtime).RunAsync(
            Definition(code, name, version, allowlist, memoryMb),
            invocation ?? Invocation(),
            environment ?? new Dictionary<string, string>(),
            TestContext.Current.CancellationToken);

    public static FunctionDefinition Definition(string code, string? name = null, int version = 1, IReadOnlyList<string>? allowlist = null, int memoryMb = FunctionOptions.DefaultMemoryMb) => new()
    {
        Name = name ?? NewName(),
        Code = code,
        Version = version,
        MemoryMb = memoryMb,
        FetchAllowlist = allowlist ?? [],
    };

    /// <summary>
    /// A run with a generous budget: the machines tests run on may be heavily loaded, and only the tests of
    /// the time limit itself (which set their own short budget) should ever meet it.
    /// </summary>
    public static FunctionInvocation Invocation(RunTrigger trigger = RunTrigger.Manual) => new()
    {
        RunId = Guid.NewGuid().ToString("N")[..24],
        Trigger = trigger,
        Timeout = TimeSpan.FromSeconds(60),
    };

    public static string NewName() => "f" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A runtime over this server's services with other options (limits the shared one does not have).</summary>
    public JintFunctionRuntime CreateRuntime(Action<FunctionOptions> configure)
    {
        var options = new FunctionOptions();
        configure(options);
        var services = Server.Services;
        return new JintFunctionRuntime(
            services.GetRequiredService<IFunctionDocuments>(),
            new FunctionFetch(services.GetRequiredService<IHttpClientFactory>(), Options.Create(options)),
            Options.Create(options),
            new FunctionRuntimeMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            TimeProvider.System,
            services.GetRequiredService<ILogger<JintFunctionRuntime>>());
    }

    /// <summary>Defines a collection with these rules (operation → expression) and returns its name.</summary>
    public async Task<string> NewCollectionAsync(IReadOnlyDictionary<string, string>? rules = null)
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..12];
        var registry = Server.Services.GetRequiredService<CollectionRegistry>();
        await registry.CreateAsync(new CollectionDefinition(name, null, [], rules ?? new Dictionary<string, string>()), TestContext.Current.CancellationToken);
        return name;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }

    /// <summary>Maps test host names to addresses; unknown names do not resolve.</summary>
    public sealed class FakeResolver : IFetchHostResolver
    {
        private readonly ConcurrentDictionary<string, IPAddress[]> _names = new(StringComparer.OrdinalIgnoreCase);

        public void Map(string host, params IPAddress[] addresses) => _names[host] = addresses;

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default) =>
            Task.FromResult(_names.TryGetValue(host, out var addresses) ? addresses : []);
    }

    /// <summary>Records the caller of every document call a run makes, then makes it for real.</summary>
    public sealed class RecordingDocuments(IFunctionDocuments inner) : IFunctionDocuments
    {
        public ConcurrentQueue<(string Collection, string Operation, Caller Caller)> Calls { get; } = new();

        public Task<JsonObject> GetAsync(string collection, string id, Caller caller, CancellationToken cancellationToken = default)
        {
            Calls.Enqueue((collection, "get", caller));
            return inner.GetAsync(collection, id, caller, cancellationToken);
        }

        public Task<CommandResult> ExecuteAsync(DocumentCommand command, Caller caller, CancellationToken cancellationToken = default)
        {
            Calls.Enqueue((command.Collection, command.GetType().Name, caller));
            return inner.ExecuteAsync(command, caller, cancellationToken);
        }

        public Task<JsonObject> QueryAsync(string collection, QueryRequest request, Caller caller, CancellationToken cancellationToken = default)
        {
            Calls.Enqueue((collection, "query", caller));
            return inner.QueryAsync(collection, request, caller, cancellationToken);
        }
    }
}
