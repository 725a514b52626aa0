using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Sdk.Auth;

namespace Platform.Sdk.Tests.Auth;

/// <summary>Which credentials each call carries, against a scripted handler (no server).</summary>
public sealed class CredentialTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly BaasUser User = new("u1", "ada@example.test", false, false, [], [], DateTimeOffset.UnixEpoch, null, false);

    private const string UserJson = """{"id":"u1","email":"ada@example.test","emailVerified":false,"anonymous":false,"roles":[],"data":{},"createdAt":"2026-01-02T03:04:05.678Z","lastLoginAt":null,"disabled":false}""";

    private const string Doc = """{"_id":"a","title":"A","_version":1,"_createdAt":"2026-01-02T03:04:05.678Z","_updatedAt":"2026-01-02T03:04:05.678Z","_createdBy":null}""";

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static async Task<InMemoryBaasTokenStore> SignedInStoreAsync(string accessToken = "user-token")
    {
        var store = new InMemoryBaasTokenStore();
        await store.SaveAsync(new BaasSession(User, accessToken, "refresh-1", DateTimeOffset.UtcNow.AddHours(1)), Ct);
        return store;
    }

    private static BaasClient Client(Handler handler, IBaasTokenStore store, string? apiKey) =>
        new(new BaasClientOptions { BaseUrl = new Uri("http://baas.test/"), ApiKey = apiKey, HttpMessageHandler = handler, TokenStore = store });

    [Fact]
    public async Task ServiceKey_WinsForOrdinaryCalls_AdminTokenWinsOverBoth_AuthCallsSendOnlyTheUserToken()
    {
        var handler = new Handler(request => request.RequestUri!.AbsolutePath switch
        {
            "/api/auth/me" => Json(HttpStatusCode.OK, UserJson),
            "/api/admin/auth/login" => Json(HttpStatusCode.OK, """{"admin":{"id":"a1","email":"root@example.test"},"accessToken":"admin-token","expiresIn":3600}"""),
            _ => Json(HttpStatusCode.OK, Doc),
        });
        using var client = Client(handler, await SignedInStoreAsync(), apiKey: "key-1");

        await client.Collection<JsonObject>("todos").GetAsync("a", Ct);
        await client.Auth.GetUserAsync(Ct);
        await client.Admin.SignInAsync("root@example.test", "secret-password", Ct);
        await client.Collection<JsonObject>("todos").GetAsync("a", Ct);
        await client.Auth.GetUserAsync(Ct);

        Assert.Equal(
            [
                ("/api/collections/todos/documents/a", null, "key-1"),
                ("/api/auth/me", "Bearer user-token", null),
                ("/api/admin/auth/login", null, "key-1"),
                ("/api/collections/todos/documents/a", "Bearer admin-token", null),
                ("/api/auth/me", "Bearer user-token", null),
            ],
            handler.Seen.Select(r => (r.Path, r.Authorization, r.ApiKey)));
    }

    [Fact]
    public async Task UserToken_IsSentOnOrdinaryCalls_WithoutAServiceKey()
    {
        var handler = new Handler(_ => Json(HttpStatusCode.OK, Doc));
        using var client = Client(handler, await SignedInStoreAsync(), apiKey: null);

        await client.Collection<JsonObject>("todos").GetAsync("a", Ct);

        Assert.Equal("Bearer user-token", Assert.Single(handler.Seen).Authorization);
    }

    [Fact]
    public async Task Unauthorized_IsRefreshedOnce_AndEvenACreateIsSentAgain()
    {
        var handler = new Handler(request => (request.RequestUri!.AbsolutePath, request.Headers.Authorization?.Parameter) switch
        {
            ("/api/auth/refresh", _) => Json(HttpStatusCode.OK, $$"""{"user":{{UserJson}},"accessToken":"user-token-2","refreshToken":"refresh-2","expiresIn":900}"""),
            (_, "user-token-2") => Json(HttpStatusCode.Created, Doc),
            _ => Json(HttpStatusCode.Unauthorized, """{"status":401,"code":"unauthenticated"}"""),
        });
        var store = await SignedInStoreAsync("stale-token");
        using var client = Client(handler, store, apiKey: null);

        await client.Collection<JsonObject>("todos").AddAsync(new JsonObject { ["title"] = "A" }, cancellationToken: Ct);

        Assert.Equal(
            [
                ("/api/collections/todos/documents", "Bearer stale-token"),
                ("/api/auth/refresh", null),
                ("/api/collections/todos/documents", "Bearer user-token-2"),
            ],
            handler.Seen.Select(r => (r.Path, r.Authorization)));
        Assert.Equal("""{"refreshToken":"refresh-1"}""", handler.Seen[1].Body);
        Assert.Equal(("user-token-2", "refresh-2"), ((await store.LoadAsync(Ct))!.AccessToken, (await store.LoadAsync(Ct))!.RefreshToken));
    }

    [Fact]
    public async Task Unauthorized_AfterARefresh_IsNotRefreshedAgain()
    {
        var handler = new Handler(request => request.RequestUri!.AbsolutePath == "/api/auth/refresh"
            ? Json(HttpStatusCode.OK, $$"""{"user":{{UserJson}},"accessToken":"user-token-2","refreshToken":"refresh-2","expiresIn":900}""")
            : Json(HttpStatusCode.Unauthorized, """{"status":401,"code":"unauthenticated"}"""));
        using var client = Client(handler, await SignedInStoreAsync(), apiKey: null);

        var error = await Assert.ThrowsAsync<BaasException>(() => client.Collection<JsonObject>("todos").GetAsync("a", Ct));

        Assert.Equal(401, error.Status);
        Assert.Equal(3, handler.Seen.Count);
    }

    private sealed record Seen(string Path, string? Authorization, string? ApiKey, string? Body);

    private sealed class Handler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public List<Seen> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            lock (Seen)
            {
                Seen.Add(new Seen(
                    request.RequestUri!.AbsolutePath,
                    request.Headers.Authorization?.ToString(),
                    request.Headers.TryGetValues("X-Api-Key", out var keys) ? string.Join(",", keys) : null,
                    body));
            }

            return respond(request);
        }
    }
}
