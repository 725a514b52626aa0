using System.Text.Json;

namespace Platform.Sdk;

/// <summary>How a <see cref="BaasClient"/> connects to a Baas server.</summary>
public class BaasClientOptions
{
    /// <summary>
    /// The server's address, e.g. <c>http://localhost:8090</c>, as a string or a <see cref="Uri"/>. A path prefix
    /// (<c>https://host/baas/</c>) is kept.
    /// </summary>
    public BaasUrl? BaseUrl { get; set; }

    /// <summary>
    /// A service key, sent as <c>X-Api-Key</c>. Service keys bypass access rules: use them only on trusted servers.
    /// It wins over a signed-in app user's token for ordinary calls (an admin token from <c>Admin.SignInAsync</c> wins over both).
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Where <see cref="BaasClient.Auth"/> keeps the signed-in user's session. Default: a new
    /// <see cref="Auth.InMemoryBaasTokenStore"/> (signed out when the process ends); <see cref="Auth.FileBaasTokenStore"/>
    /// keeps it across runs, or implement <see cref="Auth.IBaasTokenStore"/> (e.g. over the OS keychain).
    /// </summary>
    public Auth.IBaasTokenStore? TokenStore { get; set; }

    /// <summary>
    /// An <see cref="System.Net.Http.HttpClient"/> to send requests with (for example one from <c>IHttpClientFactory</c>).
    /// The client does not dispose it. Its <c>BaseAddress</c> is not used: every request goes to <see cref="BaseUrl"/>.
    /// </summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>A handler to build the client's own <see cref="System.Net.Http.HttpClient"/> on (ignored when <see cref="HttpClient"/> is set). Not disposed by the client.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    /// <summary>
    /// How your document types are (de)serialized, and so how LINQ member names become field names.
    /// Default: <see cref="JsonSerializerDefaults.Web"/> (camelCase names, case-insensitive reads).
    /// </summary>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }

    /// <summary>
    /// Whether null properties of your document types are left out when a typed document is written
    /// (<c>AddAsync</c>, <c>SetAsync</c>, a typed <c>UpdateAsync</c>, batches), at every depth. Default true: an
    /// unset <c>string?</c> then means "no such field", which an optional schema field accepts, instead of an
    /// explicit JSON null, which a <c>"type": "string"</c> schema refuses. To store an explicit null, use
    /// <c>UpdateAsync(id, u =&gt; u.Set(t =&gt; t.Note, null))</c>, or set this to false.
    /// </summary>
    public bool OmitNullProperties { get; set; } = true;

    /// <summary>Retries of transient failures for idempotent calls.</summary>
    public BaasRetryOptions Retry { get; } = new();

    /// <summary>How long one attempt may take before it counts as a (retriable) timeout. Default 100 seconds.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The realtime connection behind <c>WatchAsync</c>: buffering, reconnect backoff, protocol.</summary>
    public BaasRealtimeOptions Realtime { get; } = new();

    /// <summary>The clock used to wait between retries and to tell when an access token is due for refresh; replace it in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>
/// Retries of transient failures (connection errors, timeouts, 408, 429, 502, 503, 504). Only idempotent
/// calls are retried (reads, queries, <c>PUT</c> and <c>DELETE</c>), except after a 429, which means the
/// server did nothing: then any call is sent again. A <c>Retry-After</c> from the server is waited out exactly.
/// </summary>
public class BaasRetryOptions
{
    /// <summary>Retries after the first attempt; 0 turns retries off. Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first backoff delay; each retry doubles it (with jitter). Default 0.5 s.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The longest backoff delay, and the longest <c>Retry-After</c> the client will wait; a longer one ends the
    /// call with a <see cref="BaasException"/> whose <see cref="BaasException.RetryAfter"/> says how long. Default 30 s.
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}
