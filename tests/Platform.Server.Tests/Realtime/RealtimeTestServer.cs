using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Auth;
using Platform.Server.Realtime;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Sqlite;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Realtime;

public enum HubProtocol
{
    Json,
    MessagePack,
}

/// <summary>
/// A real server with an admin client, a service key, user tokens and hub connections.
/// </summary>
public sealed class RealtimeTestServer : IAsyncDisposable
{
    private readonly FakeChangeFeed? _feed;

    private RealtimeTestServer(BaasTestServer server, FakeChangeFeed? feed, HttpClient admin, HttpClient service, string apiKey)
    {
        Server = server;
        _feed = feed;
        Admin = admin;
        Service = service;
        ApiKey = apiKey;
    }

    public BaasTestServer Server { get; }

    /// <summary>The fake feed (servers started with <c>fakeFeed: true</c>).</summary>
    public FakeChangeFeed Feed => _feed ?? throw new InvalidOperationException("This server reads its store's real change feed.");

    public HttpClient Admin { get; }

    /// <summary>A client with the service key, for writes.</summary>
    public HttpClient Service { get; }

    public string ApiKey { get; }

    public Uri HubUrl => new(Server.BaseAddress, "/realtime");

    /// <summary>
    /// Starts a server on the real change feed of its store, or, with <paramref name="fakeFeed"/>, on a
    /// <see cref="FakeChangeFeed"/> that tests can also publish to and break.
    /// </summary>
    public static async Task<RealtimeTestServer> StartAsync(IDictionary<string, string?>? settings = null, bool fakeFeed = false, Action<IServiceCollection>? configureServices = null)
    {
        var feed = fakeFeed ? new FakeChangeFeed(TimeProvider.System) : null;
        if (fakeFeed)
        {
            // The fake feed records the writes of the SQLite store it wraps: SQLite by nature.
            settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Baas:Storage:Provider"] = "Sqlite" };
        }

        var server = await BaasTestServer.StartAsync(settings, configureServices: services =>
        {
            if (feed is not null)
            {
                services.Replace(ServiceDescriptor.Singleton<IDocumentStore>(sp => new RecordingStore(sp.GetRequiredService<SqliteDocumentStore>(), feed)));
                services.Replace(ServiceDescriptor.Singleton<IChangeFeed>(feed));
            }

            configureServices?.Invoke(services);
        });
        var admin = await server.CreateAdminClientAsync();
        using var response = await admin.PostAsJsonAsync("/api/admin/apikeys", new { name = "realtime-tests" });
        response.EnsureSuccessStatusCode();
        var key = (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        var service = server.CreateClient();
        service.DefaultRequestHeaders.Add(BaasAuthSchemes.ApiKeyHeader, key);
        return new RealtimeTestServer(server, feed, admin, service, key);
    }

    /// <summary>Defines a fresh collection with these rules.</summary>
    public async Task<string> NewCollectionAsync(object? rules = null)
    {
        var name = "rt" + Guid.NewGuid().ToString("N")[..12];
        using var response = await Admin.PostAsJsonAsync("/api/admin/collections", new { name, rules = rules ?? new { } });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating collection failed: {await response.Content.ReadAsStringAsync()}");
        }

        return name;
    }

    public string UserToken(string userId) => Server.Services.GetRequiredService<BaasTokenService>()
        .IssueUserToken(new UserTokenSubject(userId, $"{userId}@test.local", [], Anonymous: false, EmailVerified: true, SessionId: null)).AccessToken;

    public async Task<JsonObject> CreateAsync(string collection, string json)
    {
        using var response = await Service.PostJsonAsync($"/api/collections/{collection}/documents", json);
        return (await HttpAssert.StatusAsync(System.Net.HttpStatusCode.Created, response))!;
    }

    public async Task ReplaceAsync(string collection, string id, string json)
    {
        using var response = await Service.SendJsonAsync(HttpMethod.Put, $"/api/collections/{collection}/documents/{id}", json);
        await HttpAssert.StatusAsync(System.Net.HttpStatusCode.OK, response);
    }

    public async Task DeleteAsync(string collection, string id)
    {
        using var response = await Service.DeleteAsync($"/api/collections/{collection}/documents/{id}");
        await HttpAssert.StatusAsync(System.Net.HttpStatusCode.NoContent, response);
    }

    /// <summary>A started hub connection: <paramref name="token"/> as a bearer header, or credentials in <paramref name="query"/>.</summary>
    public async Task<HubClient> ConnectAsync(string? token = null, HubProtocol protocol = HubProtocol.Json, string? query = null)
    {
        var url = query is null ? HubUrl : new Uri(HubUrl + "?" + query);
        var builder = new HubConnectionBuilder().WithUrl(url, HttpTransportType.WebSockets, options =>
        {
            if (token is not null)
            {
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            }
        });
        if (protocol == HubProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }

        var client = new HubClient(builder.Build());
        await client.Connection.StartAsync(TestContext.Current.CancellationToken);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Service.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>A hub connection that records what the server sends.</summary>
public sealed class HubClient : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly System.Threading.Channels.Channel<ChangeEvent> _changes = System.Threading.Channels.Channel.CreateUnbounded<ChangeEvent>();

    public HubClient(HubConnection connection)
    {
        Connection = connection;
        connection.On<ChangeEvent>(RealtimeEvents.Change, change => _changes.Writer.TryWrite(change));
        connection.On<ResyncEvent>(RealtimeEvents.Resync, resync => Resync.TrySetResult(resync.Reason));
        connection.Closed += error =>
        {
            Closed.TrySetResult(error);
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    public TaskCompletionSource<string> Resync { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<Exception?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<SubscribeResult> SubscribeAsync(string collection, object? filter = null, string? id = null, bool? snapshot = null, string? resumeAfter = null) =>
        Connection.InvokeAsync<SubscribeResult>(
            "Subscribe",
            new SubscribeRequest { Collection = collection, Filter = filter, Id = id, Snapshot = snapshot, ResumeAfter = resumeAfter },
            TestContext.Current.CancellationToken);

    /// <summary>Whether a change event has arrived and not been read (never waits).</summary>
    public bool HasPendingChange => _changes.Reader.TryPeek(out _);

    /// <summary>The next change event.</summary>
    public async Task<ChangeEvent> NextAsync() =>
        await _changes.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken);

    /// <summary>Asserts the next change event.</summary>
    public async Task<JsonObject?> ExpectAsync(string subscriptionId, string type, string id)
    {
        var change = await NextAsync();
        Assert.True(
            change.SubscriptionId == subscriptionId && change.Type == type && change.Id == id,
            $"expected {type} {id} on {subscriptionId}, got {change.Type} {change.Id} on {change.SubscriptionId}");
        return Document(change.Document);
    }

    public static JsonObject? Document(object? document) =>
        document is null ? null : JsonSerializer.SerializeToNode(PayloadValues.ToElement(document))!.AsObject();

    /// <summary>A filter as both protocols carry it (a map).</summary>
    public static Dictionary<string, object?> Filter(string json) =>
        (Dictionary<string, object?>)PayloadValues.FromElement(JsonDocument.Parse(json).RootElement)!;

    /// <summary>
    /// The server's <c>"code: detail"</c>: SignalR puts its own fixed sentence before a HubException's message,
    /// ending in <c>"HubException: "</c>.
    /// </summary>
    public static string Refusal(HubException error)
    {
        const string marker = "HubException: ";
        var at = error.Message.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, error.Message);
        return error.Message[(at + marker.Length)..];
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
