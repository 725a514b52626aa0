using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Auth;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Documents;

/// <summary>
/// A server plus what rule tests need: collections with rules, and clients for app users whose tokens are
/// minted by the server's own <see cref="BaasTokenService"/> (the same tokens sign-in issues).
/// </summary>
public sealed class RulesServerFixture : ServerFixture
{
    public const string OwnerOnly = "auth != null && doc._createdBy == auth.id";

    /// <summary>A client for an app user.</summary>
    public HttpClient User(string id, string[]? roles = null, bool verified = true, bool anonymous = false)
    {
        var tokens = Server.Services.GetRequiredService<BaasTokenService>();
        var token = tokens.IssueUserToken(new UserTokenSubject(id, anonymous ? null : $"{id}@example.test", roles ?? [], anonymous, verified, "s-" + id));
        return WithBearer(token.AccessToken);
    }

    /// <summary>A client that sends this Authorization: Bearer token.</summary>
    public HttpClient WithBearer(string token)
    {
        var client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A visitor who is not signed in.</summary>
    public HttpClient Visitor() => Server.CreateClient();

    /// <summary>A fresh app-user id, so tests never see each other's documents.</summary>
    public static string NewUserId(string name) => $"{name}-{Guid.NewGuid():N}"[..24];

    /// <summary>Defines a fresh collection with these rules (an object of operation → expression) and returns its name.</summary>
    public async Task<string> NewCollectionWithRulesAsync(object rules, object[]? indexes = null, CancellationToken cancellationToken = default)
    {
        var name = "r" + Guid.NewGuid().ToString("N")[..12];
        using var response = await Admin.PostAsJsonAsync("/api/admin/collections", new { name, rules, indexes = indexes ?? [] }, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating collection failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return name;
    }

    public static string Docs(string collection) => $"/api/collections/{collection}/documents";
}
