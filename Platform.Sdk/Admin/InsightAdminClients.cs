using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Sdk.Http;

namespace Platform.Sdk.Admin;

/// <summary>Realtime statistics (<c>GET /api/admin/realtime</c>) of the node that answers.</summary>
public class RealtimeAdminClient
{
    private readonly BaasTransport _transport;

    internal RealtimeAdminClient(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected RealtimeAdminClient()
    {
        _transport = null!;
    }

    /// <summary>Reads the connections and subscriptions of the node that answers (behind a load balancer, each node counts its own clients).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The counts.</returns>
    public virtual async Task<RealtimeStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, BaasPaths.AdminRealtime), cancellationToken).ConfigureAwait(false);
        var json = response.Body as JsonObject ?? [];
        return new RealtimeStatistics(
            Int(json, "connections"),
            Int(json, "subscriptions"),
            [.. (json["collections"] as JsonArray ?? []).OfType<JsonObject>().Select(c => new CollectionSubscriptions(Json.String(c, "name") ?? string.Empty, Int(c, "subscriptions")))]);
    }

    private static int Int(JsonObject json, string name) => json[name] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;
}

/// <summary>The audit log (<c>GET /api/admin/audit</c>): every admin write, newest first.</summary>
public class AuditAdminClient
{
    private readonly BaasTransport _transport;

    internal AuditAdminClient(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected AuditAdminClient()
    {
        _transport = null!;
    }

    /// <summary>Reads one page of entries, newest first.</summary>
    /// <param name="query">Filters, page size and cursor; null for the newest page of everything.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    public virtual async Task<AuditPage> ListAsync(AuditQuery? query = null, CancellationToken cancellationToken = default)
    {
        var parameters = new List<string>();
        Add(parameters, "actor", query?.Actor);
        Add(parameters, "target", query?.Target);
        Add(parameters, "action", query?.Action);
        Add(parameters, "limit", query?.Limit?.ToString(CultureInfo.InvariantCulture));
        Add(parameters, "cursor", query?.Cursor);
        var path = parameters.Count == 0 ? BaasPaths.AdminAudit : BaasPaths.AdminAudit + "?" + string.Join('&', parameters);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        var json = response.Body as JsonObject ?? [];
        return new AuditPage(
            [.. (json["items"] as JsonArray ?? []).OfType<JsonObject>().Select(e => new AuditEntry(
                Json.String(e, "id") ?? string.Empty,
                Json.Time(e, "at") ?? default,
                Json.String(e, "actor") ?? string.Empty,
                Json.String(e, "action") ?? string.Empty,
                Json.String(e, "target") ?? string.Empty,
                e["before"]?.DeepClone(),
                e["after"]?.DeepClone(),
                Json.String(e, "ip")))],
            Json.String(json, "nextCursor"));
    }

    private static void Add(List<string> parameters, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            parameters.Add(name + "=" + Uri.EscapeDataString(value));
        }
    }
}

/// <summary>The server's effective configuration (<c>GET /api/admin/settings</c>), secrets masked, and its overview (<c>GET /api/admin/overview</c>).</summary>
public class SettingsAdminClient
{
    private readonly BaasTransport _transport;

    internal SettingsAdminClient(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected SettingsAdminClient()
    {
        _transport = null!;
    }

    /// <summary>Reads <c>{ "Baas": {...}, "urls": "..." }</c>: every setting with its effective value; passwords, keys and connection-string credentials read <c>***</c>.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The settings as JSON.</returns>
    public virtual async Task<JsonObject> GetAsync(CancellationToken cancellationToken = default)
    {
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, BaasPaths.AdminSettings), cancellationToken).ConfigureAwait(false);
        return response.Body as JsonObject ?? [];
    }

    /// <summary>Reads what the server says about itself: its version, storage provider, readiness, function count and the 10 newest failed runs (<c>GET /api/admin/overview</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The server's overview.</returns>
    public virtual Task<ServerOverview> GetServerOverviewAsync(CancellationToken cancellationToken = default) =>
        GetServerOverviewAsync(failures: null, cancellationToken);

    /// <summary>Reads the server's overview with up to <paramref name="failures"/> of the newest failed runs (<c>GET /api/admin/overview?failures=</c>).</summary>
    /// <param name="failures">How many failed runs to list, 0 to 50; null for the server's default (10).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The server's overview.</returns>
    public virtual async Task<ServerOverview> GetServerOverviewAsync(int? failures, CancellationToken cancellationToken = default)
    {
        var path = failures is { } n ? BaasPaths.AdminOverview + "?failures=" + n.ToString(CultureInfo.InvariantCulture) : BaasPaths.AdminOverview;
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        var body = response.Body as JsonObject ?? throw new BaasException("The server answered its overview without a body.");
        return new ServerOverview(
            Text(body, "version") ?? "unknown",
            Text(body, "storageProvider") ?? "unknown",
            body["ready"] is JsonValue ready && ready.TryGetValue<bool>(out var value) && value,
            Text(body, "health") ?? "unknown")
        {
            Functions = body["functions"] is JsonValue count && count.TryGetValue<int>(out var functions) ? functions : 0,
            RecentFailures = [.. (body["recentFailures"] as JsonArray ?? []).OfType<JsonObject>().Select(Failure)],
        };
    }

    private static FunctionFailure Failure(JsonObject json) => new(
        Text(json, "id") ?? string.Empty,
        Text(json, "function") ?? string.Empty,
        Functions.FunctionInfo.Int(json, "version") ?? 0,
        Text(json, "trigger") ?? string.Empty,
        Text(json, "status") ?? string.Empty,
        Functions.FunctionInfo.Time(json, "startedAt") ?? default,
        Functions.FunctionRunError.FromJson(json["error"]),
        json["deadLetter"] is JsonValue dead && dead.TryGetValue<bool>(out var deadLetter) && deadLetter);

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
