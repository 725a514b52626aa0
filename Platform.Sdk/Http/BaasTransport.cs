using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Sdk.Http;

/// <summary>
/// Sends one API call: absolute URL from the base address, credentials, JSON body, retries of
/// transient failures for idempotent calls, and problem+json turned into <see cref="BaasException"/>.
/// </summary>
internal sealed class BaasTransport : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };

    private readonly Uri _baseUrl;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string? _apiKey;
    private readonly int _maxRetries;
    private readonly TimeSpan _delay;
    private readonly TimeSpan _maxDelay;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private volatile string? _bearerToken;

    public BaasTransport(BaasClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BaseUrl?.Uri is not { IsAbsoluteUri: true } baseUrl)
        {
            throw new ArgumentException("BaseUrl must be an absolute URL such as http://localhost:8090.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.Retry.MaxRetries, nameof(options));
        _baseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _apiKey = options.ApiKey;
        _maxRetries = options.Retry.MaxRetries;
        _delay = options.Retry.Delay;
        _maxDelay = options.Retry.MaxDelay;
        _timeout = options.NetworkTimeout;
        _time = options.TimeProvider ?? TimeProvider.System;
        if (options.HttpClient is not null)
        {
            _http = options.HttpClient;
        }
        else
        {
            _http = options.HttpMessageHandler is null
                ? new HttpClient()
                : new HttpClient(options.HttpMessageHandler, disposeHandler: false);
            _http.Timeout = Timeout.InfiniteTimeSpan;
            _ownsHttp = true;
        }
    }

    /// <summary>The signed-in app user's tokens (set by the auth client); null means no app-user sign-in.</summary>
    public IUserTokenSource? UserTokens { get; set; }

    /// <summary>The admin token used instead of the service key, once an admin signed in.</summary>
    public string? BearerToken
    {
        get => _bearerToken;
        set => _bearerToken = value;
    }

    public Uri BaseUrl => _baseUrl;

    /// <summary>The client's realtime connection, reached from queries (<c>WatchAsync</c>).</summary>
    public Realtime.RealtimeSession? Realtime { get; set; }

    public async Task<BaasResponse> SendAsync(BaasRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.Body is null ? null : Encoding.UTF8.GetBytes(request.Body.ToJsonString());
        var uri = new Uri(_baseUrl, request.Path);
        var refreshedAfter401 = false;
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var canRetry = request.Idempotent && attempt < _maxRetries;
            var userToken = await UserTokenForAsync(request, cancellationToken).ConfigureAwait(false);
            using var message = CreateMessage(request, uri, body, userToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                if (canRetry)
                {
                    await DelayAsync(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw new BaasException($"Could not reach the Baas server at {_baseUrl}: {ex.Message}", ex);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (canRetry)
                {
                    await DelayAsync(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw new BaasException($"The Baas server did not answer within {_timeout.TotalSeconds:0.#} s.", ex);
            }

            using (response)
            {
                var status = (int)response.StatusCode;

                // An app-user token the server refused (revoked, expired early, signed with a rotated key):
                // refresh once and send again. A 401 means nothing was done, so this is safe for any method.
                if (status == 401 && userToken is not null && !refreshedAfter401 && UserTokens is { } tokens)
                {
                    refreshedAfter401 = true;
                    if (await tokens.RefreshAfterRejectionAsync(userToken, cancellationToken).ConfigureAwait(false) is not null)
                    {
                        attempt--;
                        continue;
                    }
                }

                // A 429 means the server did nothing, so any call may be sent again; other transient answers
                // only for idempotent calls. A wait longer than MaxDelay is the caller's to decide on.
                var retryAfter = RetryAfter(response);
                if (IsTransient(status) && (canRetry || (status == 429 && attempt < _maxRetries)) && !(retryAfter > _maxDelay))
                {
                    await DelayAsync(retryAfter ?? Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var json = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode && status != 304)
                {
                    throw new BaasException(status, json as JsonObject, response.ReasonPhrase) { RetryAfter = retryAfter };
                }

                return new BaasResponse(status, json, response.Headers.ETag?.Tag, response.Headers.Location);
            }
        }
    }

    /// <summary>
    /// Sends a call whose request or answer is a stream (imports, exports): never retried (a stream cannot be sent twice),
    /// answered as soon as the headers arrive. The caller disposes the response; a failure status is a <see cref="BaasException"/>.
    /// </summary>
    public async Task<HttpResponseMessage> SendStreamAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(path);
        var request = new BaasRequest(method, path);
        var userToken = await UserTokenForAsync(request, cancellationToken).ConfigureAwait(false);
        using var message = CreateMessage(request, new Uri(_baseUrl, path), null, userToken);
        message.Content = content;
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new BaasException($"Could not reach the Baas server at {_baseUrl}: {ex.Message}", ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var json = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
            throw new BaasException((int)response.StatusCode, json as JsonObject, response.ReasonPhrase);
        }
    }

    /// <summary>Reads a JSON answer of <see cref="SendStreamAsync"/>.</summary>
    public static async Task<JsonNode?> ReadJsonBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>
    /// The app-user token to send, if any. Precedence for ordinary calls: an admin token (after
    /// <c>Admin.SignInAsync</c>), then the service key, then the signed-in app user. Calls of
    /// <c>client.Auth</c> about the signed-in user always send the user's token and nothing else.
    /// </summary>
    private async ValueTask<string?> UserTokenForAsync(BaasRequest request, CancellationToken cancellationToken)
    {
        if (request.BearerToken is not null)
        {
            return null;
        }

        var send = request.Credentials switch
        {
            RequestCredentials.User => true,
            RequestCredentials.Default => _bearerToken is null && _apiKey is null,
            _ => false,
        };
        return send && UserTokens is { } tokens
            ? await tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false)
            : null;
    }

    private HttpRequestMessage CreateMessage(BaasRequest request, Uri uri, byte[]? body, string? userToken)
    {
        var message = new HttpRequestMessage(request.Method, uri);
        message.Headers.Accept.ParseAdd("application/json");
        message.Headers.Accept.ParseAdd("application/problem+json");
        var token = _bearerToken;
        if (request.BearerToken is { } bearer)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        else if (userToken is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", userToken);
        }
        else if (request.Credentials == RequestCredentials.Default)
        {
            // Auth calls (other credentials) speak for the app user only: never with the admin's token or the service key.
            if (token is not null)
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            else if (_apiKey is not null)
            {
                message.Headers.TryAddWithoutValidation("X-Api-Key", _apiKey);
            }
        }

        if (request.IfMatch is { } version)
        {
            message.Headers.TryAddWithoutValidation("If-Match", "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"");
        }

        if (body is not null)
        {
            message.Content = new ByteArrayContent(body);
            message.Content.Headers.ContentType = JsonMediaType;
        }

        return message;
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !(mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(bytes);
        }
        catch (JsonException) when (!response.IsSuccessStatusCode)
        {
            // A proxy's error page that claims to be JSON: the status still says what happened.
            return null;
        }
    }

    private static bool IsTransient(int status) => status is 408 or 429 or 502 or 503 or 504;

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : null);
        if (wait is null)
        {
            return null;
        }

        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Jitter spreads retries; it protects nothing.")]
    private TimeSpan Backoff(int attempt)
    {
        var exponential = _delay.TotalMilliseconds * Math.Pow(2, attempt);
        var jittered = exponential * (0.8 + (Random.Shared.NextDouble() * 0.4));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, _maxDelay.TotalMilliseconds));
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, _time, cancellationToken);
}

/// <summary>Which credentials a call sends.</summary>
internal enum RequestCredentials
{
    /// <summary>The admin token, else the service key, else the signed-in app user's token.</summary>
    Default,

    /// <summary>The signed-in app user's token only (or nothing when signed out).</summary>
    User,

    /// <summary>None: sign-in, sign-up, refresh, password reset.</summary>
    None,
}

/// <summary>Where the transport gets the app user's access token; implemented by the auth client.</summary>
internal interface IUserTokenSource
{
    /// <summary>A token to send now (refreshed first when it is about to expire), or null when signed out.</summary>
    ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The server refused <paramref name="rejectedToken"/>: refresh (once, shared by concurrent callers) and answer
    /// the new token, or null when the session is gone.
    /// </summary>
    Task<string?> RefreshAfterRejectionAsync(string rejectedToken, CancellationToken cancellationToken);
}

/// <summary>One API call. <see cref="Path"/> is relative to the base URL (no leading slash), already escaped.</summary>
internal sealed record BaasRequest(HttpMethod Method, string Path, JsonNode? Body = null, long? IfMatch = null)
{
    /// <summary>Which credentials to send.</summary>
    public RequestCredentials Credentials { get; init; } = RequestCredentials.Default;

    /// <summary>A bearer token to send instead of what <see cref="Credentials"/> says (the realtime connection's own token).</summary>
    public string? BearerToken { get; init; }

    /// <summary>Whether sending it twice does no harm, so transient failures may be retried.</summary>
    public bool Idempotent { get; init; } = Method == HttpMethod.Get || Method == HttpMethod.Put || Method == HttpMethod.Delete || Method == HttpMethod.Head;
}

/// <summary>A successful answer: status, parsed JSON body (null when empty), ETag and Location.</summary>
internal sealed record BaasResponse(int Status, JsonNode? Body, string? ETag, Uri? Location)
{
    public bool IsNotModified => Status == (int)HttpStatusCode.NotModified;
}
