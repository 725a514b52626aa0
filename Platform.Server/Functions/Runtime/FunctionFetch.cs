using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace Platform.Server.Functions.Runtime;

/// <summary>One <c>ctx.fetch</c> request, as the script gave it.</summary>
public sealed record FetchRequest(string Url, string Method, IReadOnlyList<KeyValuePair<string, string>> Headers, string? Body, string? BodyContentType, TimeSpan? Timeout);

/// <summary>A <c>ctx.fetch</c> answer: status, headers (lower-case names) and the body (read whole, capped).</summary>
public sealed record FetchResponse(int Status, string Url, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>A <c>ctx.fetch</c> that failed; <see cref="Code"/> is what the script sees as <c>error.code</c>.</summary>
public sealed class FetchFailedException : Exception
{
    public FetchFailedException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    public FetchFailedException()
        : this("fetch_failed", "The request failed.")
    {
    }

    public FetchFailedException(string message)
        : this("fetch_failed", message)
    {
    }

    public FetchFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "fetch_failed";
    }

    public string Code { get; } = "fetch_failed";
}

/// <summary>
/// <c>ctx.fetch</c>: http and https only, hosts on the function's allowlist only, the SSRF guard in the
/// connect step (<see cref="FetchAddressGuard"/>), redirects followed by hand (at most
/// <see cref="MaxRedirects"/>, each hop checked again), answers read as a stream and capped at
/// <see cref="FunctionOptions.MaxFetchResponseBytes"/>, and a timeout of the smallest of the request's
/// <c>timeoutMs</c>, <see cref="FunctionOptions.FetchTimeout"/> and what is left of the run's budget.
/// </summary>
public sealed class FunctionFetch(IHttpClientFactory httpClients, IOptions<FunctionOptions> options)
{
    /// <summary>The named <see cref="HttpClient"/> whose handler carries the guard.</summary>
    public const string HttpClientName = "Baas.Functions.Fetch";

    public const int MaxRedirects = 5;

    public async Task<FetchResponse> FetchAsync(FetchRequest request, IReadOnlyList<string> allowlist, TimeSpan remainingBudget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(allowlist);
        var limits = options.Value;
        var timeout = limits.FetchTimeout;
        if (request.Timeout is { } asked && asked < timeout)
        {
            timeout = asked;
        }

        if (remainingBudget < timeout)
        {
            timeout = remainingBudget;
        }

        if (timeout <= TimeSpan.Zero)
        {
            throw new FetchFailedException("fetch_timeout", "The run has no time left for this request.");
        }

        var entries = allowlist.Select(FetchAddressGuard.ParseAllowlistEntry).ToList();
        var literals = entries.Select(e => FetchAddressGuard.NormalizeHost(e.Host)).Where(FetchAddressGuard.IsLiteralHost).ToHashSet(StringComparer.Ordinal);
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var uri))
        {
            throw new FetchFailedException("fetch_refused", $"'{request.Url}' is not an absolute URL.");
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var client = httpClients.CreateClient(HttpClientName);
        var method = new HttpMethod(request.Method);
        var body = request.Body;
        try
        {
            for (var hop = 0; ; hop++)
            {
                CheckAllowed(uri, entries, literals);
                using var message = new HttpRequestMessage(method, uri);
                message.Options.Set(FetchAddressGuard.LiteralHostsKey, literals);
                if (body is not null)
                {
                    message.Content = new StringContent(body, Encoding.UTF8);
                    message.Content.Headers.ContentType = request.BodyContentType is null ? null : MediaTypeHeaderValue.Parse(request.BodyContentType);
                }

                foreach (var (name, value) in request.Headers)
                {
                    if (!message.Headers.TryAddWithoutValidation(name, value) && message.Content is not null)
                    {
                        message.Content.Headers.Remove(name);
                        message.Content.Headers.TryAddWithoutValidation(name, value);
                    }
                }

                using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
                {
                    if (hop >= MaxRedirects)
                    {
                        throw new FetchFailedException("fetch_too_many_redirects", $"More than {MaxRedirects} redirects (last to '{location}').");
                    }

                    uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                    if (status == 303 || (status is 301 or 302 && method == HttpMethod.Post))
                    {
                        method = HttpMethod.Get;
                        body = null;
                    }

                    continue;
                }

                var text = await ReadCappedAsync(response, limits.MaxFetchResponseBytes, timeoutSource.Token).ConfigureAwait(false);
                var headers = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var header in response.Headers.Concat(response.Content.Headers))
                {
                    var name = header.Key.ToLowerInvariant();
                    var value = string.Join(", ", header.Value);
                    headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
                }

                return new FetchResponse(status, uri.ToString(), headers, text);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FetchFailedException("fetch_timeout", $"No complete answer from '{uri.Host}' within {timeout.TotalMilliseconds:0} ms.");
        }
        catch (HttpRequestException ex) when (FindRefusal(ex) is { } refused)
        {
            throw new FetchFailedException("fetch_refused", refused.Message);
        }
        catch (HttpRequestException ex)
        {
            // HttpClient's messages name the host and the socket error, never a stack: safe for the function's author.
            throw new FetchFailedException("fetch_failed", $"The request to '{uri.Host}' failed: {ex.Message}");
        }
    }

    private static FetchRefusedException? FindRefusal(Exception ex)
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
        {
            if (e is FetchRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    private static void CheckAllowed(Uri uri, List<(string Host, int? Port)> entries, HashSet<string> literals)
    {
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new FetchFailedException("fetch_refused", $"Only http and https URLs may be fetched (not '{uri.Scheme}:').");
        }

        // The ASCII form: allowlist entries are ASCII, and a URL may name an internationalized host either way.
        var host = FetchAddressGuard.NormalizeHost(uri.IdnHost);
        if (!entries.Exists(e => string.Equals(FetchAddressGuard.NormalizeHost(e.Host), host, StringComparison.Ordinal) && (e.Port is null || e.Port == uri.Port)))
        {
            throw new FetchFailedException("fetch_refused", $"The host '{uri.Authority}' is not on this function's fetchAllowlist.");
        }

        // An IP literal is judged before any connection, so the answer is the same whether or not the address is up.
        if (IPAddress.TryParse(host, out var ip) && !literals.Contains(host) && FetchAddressGuard.BlockedClass(ip) is { } blocked)
        {
            throw new FetchFailedException("fetch_refused", $"{ip} is a {blocked} address; functions may reach it only when fetchAllowlist names it literally.");
        }
    }

    private static async Task<string> ReadCappedAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } length && length > maxBytes)
        {
            throw new FetchFailedException("fetch_too_large", $"The answer is {length} bytes; ctx.fetch reads at most {maxBytes}.");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    throw new FetchFailedException("fetch_too_large", $"The answer is larger than {maxBytes} bytes, the most ctx.fetch reads.");
                }

                buffer.Write(chunk, 0, read);
            }

            var charset = response.Content.Headers.ContentType?.CharSet;
            var encoding = Encoding.UTF8;
            if (!string.IsNullOrEmpty(charset))
            {
                try
                {
                    encoding = Encoding.GetEncoding(charset.Trim('"'));
                }
                catch (ArgumentException)
                {
                    encoding = Encoding.UTF8;
                }
            }

            return encoding.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }
}
