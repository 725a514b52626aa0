using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Platform.Sdk.Admin;
using Platform.Sdk.Auth;
using Platform.Sdk.Documents;
using Platform.Sdk.Http;
using Platform.Sdk.Realtime;

namespace Platform.Sdk;

/// <summary>
/// The entry point of the Baas SDK: typed collections and queries, batches and the admin API over one
/// connection. Thread-safe; create one per server and reuse it. Its methods are virtual for mocking.
/// </summary>
/// <example>
/// <code>
/// using var client = new BaasClient(new BaasClientOptions { BaseUrl = new Uri("http://localhost:8090"), ApiKey = key });
/// var todos = client.Collection&lt;Todo&gt;("todos");
/// var added = await todos.AddAsync(new Todo { Title = "Write docs", Priority = 3 });
/// var open = await todos.Where(t =&gt; !t.Done &amp;&amp; t.Priority &gt; 2).OrderByDescending(t =&gt; t.Priority).ToListAsync();
/// </code>
/// </example>
public class BaasClient : IDisposable, IAsyncDisposable
{
    private readonly BaasTransport _transport;
    private readonly ConcurrentDictionary<Type, object> _mappers = new();
    private readonly bool _omitNulls = true;
    private bool _disposed;

    /// <summary>Creates a client.</summary>
    /// <param name="options">Where the server is and how to call it.</param>
    /// <exception cref="ArgumentException"><see cref="BaasClientOptions.BaseUrl"/> is missing or relative.</exception>
    public BaasClient(BaasClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _transport = new BaasTransport(options);
        var serializer = options.JsonSerializerOptions is null
            ? new JsonSerializerOptions(JsonSerializerDefaults.Web)
            : new JsonSerializerOptions(options.JsonSerializerOptions);
        serializer.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        serializer.MakeReadOnly();
        SerializerOptions = serializer;
        _omitNulls = options.OmitNullProperties;
        Admin = new BaasAdminClient(_transport);
        Functions = new Functions.FunctionsClient(_transport, serializer);
        var auth = new BaasAuthClient(_transport, options.TokenStore ?? new InMemoryBaasTokenStore(), options.TimeProvider ?? TimeProvider.System);
        Auth = auth;
        _transport.UserTokens = auth;
        var realtime = new RealtimeSession(_transport.BaseUrl, options.ApiKey, options.Realtime, options.TimeProvider ?? TimeProvider.System, RealtimeTokenSource(options.ApiKey))
        {
            TicketSource = RealtimeTicketAsync,
        };
        _transport.Realtime = realtime;
        auth.AuthStateChanged += (_, e) =>
        {
            // Watches run as the signed-in user only without an admin token or a service key (as REST calls do).
            if (e.Change is BaasAuthChange.SignedIn or BaasAuthChange.SignedOut && _transport.BearerToken is null && options.ApiKey is null)
            {
                realtime.Reconnect();
            }
        };
    }

    /// <summary>Creates a client for <paramref name="baseUrl"/>, optionally with a service key.</summary>
    /// <param name="baseUrl">The server, e.g. <c>http://localhost:8090</c> (a string or a <see cref="Uri"/>).</param>
    /// <param name="apiKey">A service key, or null.</param>
    public BaasClient(BaasUrl baseUrl, string? apiKey = null)
        : this(new BaasClientOptions { BaseUrl = baseUrl, ApiKey = apiKey })
    {
    }

    /// <summary>For mocking frameworks only.</summary>
    protected BaasClient()
    {
        _transport = null!;
        SerializerOptions = JsonSerializerOptions.Web;
        Admin = null!;
        Auth = null!;
        Functions = null!;
    }

    /// <summary>The server address requests go to.</summary>
    public virtual Uri BaseUrl => _transport.BaseUrl;

    /// <summary>The serializer options used for documents, filters and patches (read-only).</summary>
    public JsonSerializerOptions SerializerOptions { get; }

    /// <summary>App-user sign-up, sign-in and session: once a user signs in, the client's calls carry their token.</summary>
    public virtual BaasAuthClient Auth { get; }

    /// <summary>
    /// Where realtime connections get their bearer token (asked on every connect); null means none, and the service
    /// key, if any, is sent. Default: the admin token after <c>Admin.SignInAsync</c>, else (without a service key) the
    /// signed-in app user's, refreshed when due. Tests replace it.
    /// </summary>
    internal Func<CancellationToken, Task<string?>> AccessTokenSource
    {
        get => _transport.Realtime!.AccessTokenSource;
        set => _transport.Realtime!.AccessTokenSource = value;
    }

    /// <summary>Callable functions: <c>await client.Functions.CallAsync&lt;T&gt;("name", args)</c>.</summary>
    public virtual Functions.FunctionsClient Functions { get; }

    /// <summary>The admin API: collections, service keys, app users, functions, admin sign-in.</summary>
    public virtual BaasAdminClient Admin { get; }

    /// <summary>A collection of documents of type <typeparamref name="T"/>. Cheap: no request is sent.</summary>
    /// <typeparam name="T">Your document type (or <see cref="System.Text.Json.Nodes.JsonObject"/>).</typeparam>
    /// <param name="name">The collection name, e.g. <c>todos</c>.</param>
    /// <returns>The collection, which is also the query over all its documents.</returns>
    public virtual DocumentCollection<T> Collection<T>(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var mapper = (DocumentMapper<T>)_mappers.GetOrAdd(typeof(T), _ => new DocumentMapper<T>(SerializerOptions, _omitNulls));
        return new DocumentCollection<T>(_transport, mapper, name);
    }

    // The same precedence as REST calls: the admin's token, then the service key (sent by the session), then the app user.
    private Func<CancellationToken, Task<string?>> RealtimeTokenSource(string? apiKey) => async cancellationToken =>
        _transport.BearerToken ?? (apiKey is null ? await Auth.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false) : null);

    // A ticket for the realtime connection, asked with the very token the connection would carry (null: the service key).
    // Asking twice does no harm (an unused ticket just expires), so the call is retried like a read.
    private async Task<string> RealtimeTicketAsync(string? token, CancellationToken cancellationToken)
    {
        var request = new BaasRequest(HttpMethod.Post, BaasPaths.RealtimeTicket) { BearerToken = token, Idempotent = true };
        var response = await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return response.Body?["ticket"]?.GetValue<string>()
            ?? throw new BaasException(response.Status, new System.Text.Json.Nodes.JsonObject { ["detail"] = "The server answered a realtime ticket request without a ticket." });
    }

    /// <summary>
    /// Asks whether the server is ready to serve (<c>GET /health/ready</c>: its storage answers). Sent once, without
    /// credentials or retries, so it reports the state of this moment.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Ready, or not ready with the HTTP status (503 while storage does not answer).</returns>
    /// <exception cref="BaasException">The server could not be reached (status 0).</exception>
    public virtual async Task<BaasHealth> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var request = new BaasRequest(HttpMethod.Get, BaasPaths.HealthReady) { Credentials = RequestCredentials.None, Idempotent = false };
        try
        {
            var response = await _transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
            return new BaasHealth(true, response.Status);
        }
        catch (BaasException ex) when (ex.Status >= 500)
        {
            return new BaasHealth(false, ex.Status);
        }
    }

    /// <summary>Starts a batch of writes to commit all or nothing.</summary>
    /// <returns>An empty batch.</returns>
    public virtual BaasBatch Batch()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new BaasBatch(_transport);
    }

    /// <summary>
    /// Ends every running watch (their enumerations throw <see cref="OperationCanceledException"/>, as on
    /// cancellation), waits until the realtime connection is closed, and releases the HTTP client the SDK created.
    /// </summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed && _transport?.Realtime is { } realtime)
        {
            await realtime.DisposeAsync().ConfigureAwait(false);
        }

        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Ends every running watch the way cancellation does and releases the HTTP client the SDK created (a client
    /// passed in options is left alone); the realtime connection closes in the background.
    /// </summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _transport?.Realtime?.Dispose();
            _transport?.Dispose();
        }

        _disposed = true;
    }
}
