using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Baas.Bench;

/// <summary>
/// Sign-in and token refresh for app users (<c>POST /api/auth/login</c>, <c>POST /api/auth/refresh</c>).
/// One app user per virtual user, signed up before the run; the server must run with the auth rate limit
/// off (<c>Baas__RateLimit__AuthPerMinute=0</c>), which in production caps these per client IP.
/// </summary>
internal sealed class AuthScenarios
{
    public const string LoginScenario = "login (app user)";
    public const string RefreshScenario = "refresh (app user, rotating)";

    private const string Password = "bench-login-password-123";

    private readonly string[] _emails;
    private readonly RefreshChains _chains;

    private AuthScenarios(string[] emails, string[] refreshTokens)
    {
        _emails = emails;
        _chains = new RefreshChains(refreshTokens);
    }

    /// <summary>
    /// Signs up <paramref name="users"/> app users through <paramref name="anonymousClient"/> (which must send
    /// no credentials); each sign-up's session starts that virtual user's refresh-token chain.
    /// </summary>
    public static async Task<AuthScenarios> PrepareAsync(HttpClient anonymousClient, int users, CancellationToken cancellationToken)
    {
        var emails = Enumerable.Range(0, users).Select(i => string.Create(CultureInfo.InvariantCulture, $"login-{i}@bench.local")).ToArray();
        var refreshTokens = new string[users];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, users),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                using var response = await anonymousClient.PostAsJsonAsync(
                    new Uri("api/auth/signup", UriKind.Relative), new { email = emails[i], password = Password }, token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"POST api/auth/signup answered {(int)response.StatusCode}: {body}");
                }

                refreshTokens[i] = JsonNode.Parse(body)!["refreshToken"]!.GetValue<string>();
            }).ConfigureAwait(false);
        return new AuthScenarios(emails, refreshTokens);
    }

    /// <summary>Virtual user <c>i</c> signs in as app user <c>i</c> again and again (each sign-in starts a new session).</summary>
    public Scenario Login(HttpClient anonymousClient) => new(LoginScenario, anonymousClient, _ => throw new InvalidOperationException("Per-user scenario."))
    {
        VirtualUsers = new LoginUsers(_emails),
    };

    /// <summary>
    /// Virtual user <c>i</c> refreshes its own session and always presents the token its last refresh returned.
    /// Presenting an older one would be reuse and end the session, so after a lost answer every later refresh of
    /// that user fails (401) and counts as an error.
    /// </summary>
    public Scenario Refresh(HttpClient anonymousClient) => new(RefreshScenario, anonymousClient, _ => throw new InvalidOperationException("Per-user scenario."))
    {
        VirtualUsers = _chains,
    };

    private static HttpRequestMessage Post(string path, object body) =>
        new(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };

    private sealed class LoginUsers(string[] emails) : IVirtualUsers
    {
        public HttpRequestMessage CreateRequest(int user) => Post("api/auth/login", new { email = emails[user % emails.Length], password = Password });

        public Task<string?> AcceptAsync(int user, HttpResponseMessage response, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
    }

    // Worker i is the only one that touches slot i, and it has one request in flight at a time.
    private sealed class RefreshChains(string[] latest) : IVirtualUsers
    {
        public HttpRequestMessage CreateRequest(int user) => Post("api/auth/refresh", new { refreshToken = latest[user % latest.Length] });

        public async Task<string?> AcceptAsync(int user, HttpResponseMessage response, CancellationToken cancellationToken)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (JsonNode.Parse(body)?["refreshToken"]?.GetValue<string>() is not { Length: > 0 } next)
            {
                return "refresh answered without a refreshToken";
            }

            latest[user % latest.Length] = next;
            return null;
        }
    }
}
