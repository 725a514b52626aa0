using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Platform.Admin.Tests.Infrastructure;

/// <summary>
/// Answers the SDK's requests from a table (method and path → status and JSON), and records them, so components
/// and services are tested through the real SDK without a server.
/// </summary>
public sealed class StubApi : HttpMessageHandler
{
    private readonly Dictionary<string, Func<HttpRequestMessage, Task<(HttpStatusCode Status, JsonNode? Body)>>> _routes = new(StringComparer.Ordinal);

    public List<(HttpMethod Method, string PathAndQuery, string? Authorization, string? Body)> Requests { get; } = [];

    /// <summary>The <c>If-Match</c> header of each request, in order (null when it had none).</summary>
    public List<(HttpMethod Method, string PathAndQuery, string? IfMatch)> IfMatches { get; } = [];

    private readonly Dictionary<string, Func<string>> _etags = new(StringComparer.Ordinal);

    /// <summary>Answers successful calls of this route with an <c>ETag</c> (e.g. a definition's version), asked per call.</summary>
    public StubApi WithETag(HttpMethod method, string pathAndQuery, Func<string> etag)
    {
        lock (_etags)
        {
            _etags[method.Method + " " + pathAndQuery] = etag;
        }

        return this;
    }

    public StubApi On(HttpMethod method, string pathAndQuery, HttpStatusCode status, JsonNode? body = null) =>
        On(method, pathAndQuery, _ => (status, body?.DeepClone()));

    public StubApi On(HttpMethod method, string pathAndQuery, Func<HttpRequestMessage, (HttpStatusCode, JsonNode?)> answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return OnLater(method, pathAndQuery, request => Task.FromResult(answer(request)));
    }

    /// <summary>An answer that arrives when the test lets it (e.g. a <see cref="TaskCompletionSource"/>), to see what a page shows meanwhile.</summary>
    public StubApi OnLater(HttpMethod method, string pathAndQuery, Func<HttpRequestMessage, Task<(HttpStatusCode, JsonNode?)>> answer)
    {
        lock (_routes)
        {
            _routes[method.Method + " " + pathAndQuery] = answer;
        }

        return this;
    }

    /// <summary>A signed-in admin: login answers a token.</summary>
    public StubApi WithAdminLogin(string email = "admin@test.local", string token = "admin-token") =>
        On(HttpMethod.Post, "/api/admin/auth/login", HttpStatusCode.OK, new JsonObject
        {
            ["admin"] = new JsonObject { ["id"] = "a1", ["email"] = email, ["createdAt"] = "2026-01-02T03:04:05Z" },
            ["accessToken"] = token,
            ["expiresIn"] = 28800,
        });

    public static JsonObject Problem(int status, string code, string detail, string? field = null)
    {
        var problem = new JsonObject { ["status"] = status, ["code"] = code, ["title"] = code, ["detail"] = detail };
        if (field is not null)
        {
            problem["field"] = field;
        }

        return problem;
    }

    /// <summary>The server's 412 for an If-Match that no longer holds, naming the stored version.</summary>
    public static JsonObject VersionMismatch(long currentVersion)
    {
        var problem = Problem(412, "version_mismatch", $"It is at version {currentVersion}; the If-Match precondition did not hold.");
        problem["currentVersion"] = currentVersion;
        return problem;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.PathAndQuery;
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        lock (Requests)
        {
            Requests.Add((request.Method, path, request.Headers.Authorization?.ToString(), body));
            IfMatches.Add((request.Method, path, request.Headers.TryGetValues("If-Match", out var ifMatch) ? string.Join(",", ifMatch) : null));
        }

        Func<HttpRequestMessage, Task<(HttpStatusCode Status, JsonNode? Body)>>? answer;
        lock (_routes)
        {
            _routes.TryGetValue(request.Method.Method + " " + path, out answer);
        }

        var (status, json) = answer is not null
            ? await answer(request)
            : (HttpStatusCode.NotFound, Problem(404, "not_found", $"No stub for {request.Method} {path}."));
        var response = new HttpResponseMessage(status) { RequestMessage = request };
        Func<string>? etag;
        lock (_etags)
        {
            _etags.TryGetValue(request.Method.Method + " " + path, out etag);
        }

        if (etag is not null && (int)status < 300)
        {
            response.Headers.TryAddWithoutValidation("ETag", etag());
        }

        if (json is not null)
        {
            var mediaType = (int)status >= 400 ? "application/problem+json" : "application/json";
            response.Content = new StringContent(json.ToJsonString(), Encoding.UTF8, mediaType);
        }

        return response;
    }
}
