using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Sdk.Http;

namespace Platform.Sdk.Admin;

/// <summary>One message in the outbox.</summary>
/// <param name="Id">The message's id.</param>
/// <param name="To">The recipient.</param>
/// <param name="Subject">The subject.</param>
/// <param name="Body">The plain-text body (it may hold a one-time token: show it to admins only).</param>
/// <param name="CreatedAt">When the server kept it.</param>
public sealed record OutboxMessage(string Id, string To, string Subject, string Body, DateTimeOffset CreatedAt);

/// <summary>One page of the outbox, newest first.</summary>
/// <param name="Items">The messages on this page.</param>
/// <param name="NextCursor">The cursor of the next (older) page, or null on the last one.</param>
public sealed record OutboxPage(IReadOnlyList<OutboxMessage> Items, string? NextCursor);

/// <summary>
/// The outbox (<c>/api/admin/outbox</c>): without an SMTP server the server keeps its mail (password resets,
/// email verification) here, the newest <c>Baas:Email:OutboxLimit</c> messages. For admins and service keys.
/// </summary>
public class OutboxAdminClient
{
    private readonly BaasTransport _transport;

    internal OutboxAdminClient(BaasTransport transport)
    {
        _transport = transport;
    }

    /// <summary>For mocking frameworks only.</summary>
    protected OutboxAdminClient()
    {
        _transport = null!;
    }

    /// <summary>Reads one page of messages, newest first.</summary>
    /// <param name="limit">Page size (1-1000), or null for the server's default (50).</param>
    /// <param name="cursor">The <see cref="OutboxPage.NextCursor"/> of the previous page, or null for the newest.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    public virtual async Task<OutboxPage> ListAsync(int? limit = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (limit is { } size)
        {
            query.Add("limit=" + size.ToString(CultureInfo.InvariantCulture));
        }

        if (!string.IsNullOrEmpty(cursor))
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }

        var path = query.Count == 0 ? BaasPaths.AdminOutbox : BaasPaths.AdminOutbox + "?" + string.Join('&', query);
        var response = await _transport.SendAsync(new BaasRequest(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        var json = response.Body as JsonObject ?? [];
        return new OutboxPage(
            [.. (json["items"] as JsonArray ?? []).OfType<JsonObject>().Select(m => new OutboxMessage(
                Json.String(m, "id") ?? string.Empty,
                Json.String(m, "to") ?? string.Empty,
                Json.String(m, "subject") ?? string.Empty,
                Json.String(m, "body") ?? string.Empty,
                Json.Time(m, "createdAt") ?? default))],
            Json.String(json, "nextCursor"));
    }
}
