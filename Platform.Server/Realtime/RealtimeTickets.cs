using System.Buffers.Text;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Realtime;

/// <summary>A ticket just issued: what <c>POST /api/realtime/ticket</c> answers.</summary>
/// <param name="Ticket">The ticket, <c>baas_rt_</c> and 43 URL-safe characters; send it as the access token of one connection to <c>/realtime</c>.</param>
/// <param name="ExpiresAt">When it can no longer open a connection (nodes allow the 30 s clock tolerance of tokens on top).</param>
public sealed record RealtimeTicket(string Ticket, DateTimeOffset ExpiresAt);

/// <summary>What presenting a ticket came to: the caller it stands for, or why it was refused.</summary>
/// <param name="Principal">The identity of the credential the ticket was made from, or null when refused.</param>
/// <param name="ConnectionExpires">When that credential expires (a connection it opened is closed then), or null for none.</param>
/// <param name="Refusal">Why the ticket was refused, for the 401's detail and the log (never the ticket itself).</param>
internal readonly record struct TicketOutcome(ClaimsPrincipal? Principal, DateTimeOffset? ConnectionExpires, string? Refusal);

/// <summary>
/// One-use realtime tickets (docs/realtime.md, "Tickets"), so that a browser, which cannot put a header on a
/// WebSocket, opens its connection without its access token in the URL. A ticket is a record in the store
/// (<see cref="Collection"/>), not a signed token: any node reads it whatever keys it has, the identity it carries
/// (claims with email and roles) never travels in the URL, and its one use is a replace of the record at the version it
/// was read at, so a second use on any node fails. The record's id is the SHA-256 of the ticket, so what the store holds
/// cannot be replayed. Redeeming also checks the session of the credential the ticket was made from (fresh from the
/// store), so a ticket outlives neither a sign-out nor a revoked key.
/// </summary>
internal sealed class RealtimeTickets(IDocumentStore store, CallerSessions sessions, IOptions<RealtimeOptions> options, TimeProvider time)
{
    public const string Collection = "_realtime_tickets";

    private const int SecretBytes = 32;
    private const string ClaimsField = "claims";
    private const string ExpiresAtField = "expiresAt";
    private const string ConnectionExpiresField = "connectionExpiresAt";
    private const string UsedAtField = "usedAt";

    private const string NotValid = "The realtime ticket is not valid (mistyped, or never issued by this deployment); ask for one at POST /api/realtime/ticket.";
    private const string Used = "The realtime ticket was used already: a ticket opens one connection; ask for a new one at POST /api/realtime/ticket.";
    private const string SessionEnded = "The session of the credential this realtime ticket was made from has ended; sign in again.";

    private readonly Lock _gate = new();
    private Task? _created;

    /// <summary>Issues a ticket standing for <paramref name="user"/>, whose credential expires at <paramref name="credentialExpires"/> (null: never).</summary>
    public async Task<RealtimeTicket> IssueAsync(ClaimsPrincipal user, DateTimeOffset? credentialExpires, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var ticket = BaasAuthSchemes.RealtimeTicketPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        var now = time.GetUtcNow();
        var expiresAt = now + options.Value.TicketLifetime;
        var claims = new JsonArray();
        foreach (var claim in user.Claims)
        {
            claims.Add(new JsonArray(claim.Type, claim.Value));
        }

        var record = SystemDocuments.Create(
            Id(ticket),
            now,
            createdBy: null,
            (ClaimsField, claims),
            (ExpiresAtField, Timestamps.Format(expiresAt)),
            (ConnectionExpiresField, credentialExpires is { } expires ? Timestamps.Format(expires) : null));
        await EnsureCollectionAsync(cancellationToken);
        await store.WriteAsync([new InsertOperation(Collection, record)], cancellationToken);
        return new RealtimeTicket(ticket, Parse(Timestamps.Format(expiresAt)));
    }

    /// <summary>
    /// The caller <paramref name="ticket"/> stands for while it is unused, unexpired and its session alive; with
    /// <paramref name="use"/>, also spends it (a negotiate request only looks: the connection that follows spends it).
    /// </summary>
    public async Task<TicketOutcome> RedeemAsync(string ticket, bool use, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (ticket.Length != BaasAuthSchemes.RealtimeTicketPrefix.Length + Base64Url.GetEncodedLength(SecretBytes)
            || !ticket.StartsWith(BaasAuthSchemes.RealtimeTicketPrefix, StringComparison.Ordinal))
        {
            return Refuse(NotValid);
        }

        var record = await store.GetAsync(Collection, Id(ticket), cancellationToken);
        if (record is null)
        {
            return Refuse(NotValid);
        }

        if (record[UsedAtField] is not null)
        {
            return Refuse(Used);
        }

        var expiresAt = Parse(SystemDocuments.GetString(record, ExpiresAtField));
        if (time.GetUtcNow() >= expiresAt + BaasTokenService.ClockSkew)
        {
            return Refuse(string.Create(CultureInfo.InvariantCulture, $"The realtime ticket expired at {Timestamps.Format(expiresAt)}; ask for a new one just before connecting."));
        }

        var principal = Principal(record);
        if (principal.GetBaasCaller() is not { } caller)
        {
            return Refuse(NotValid);
        }

        if (!await sessions.IsActiveAsync(caller, fresh: true, cancellationToken))
        {
            return Refuse(SessionEnded);
        }

        if (use)
        {
            try
            {
                await store.WriteAsync(
                    [SystemDocuments.Update(Collection, record, time.GetUtcNow(), r => r[UsedAtField] = Timestamps.Format(time.GetUtcNow()))],
                    cancellationToken);
            }
            catch (VersionMismatchException)
            {
                // Another request, on this node or another, spent it between the read and this write.
                return Refuse(Used);
            }
        }

        var connectionExpires = record[ConnectionExpiresField]?.GetValue<string>() is { } expires ? Parse(expires) : (DateTimeOffset?)null;
        return new TicketOutcome(principal, connectionExpires, null);
    }

    /// <summary>Deletes the records of tickets that expired more than the clock tolerance ago; returns how many it removed.</summary>
    public async Task<int> RemoveExpiredAsync(int pageSize, CancellationToken cancellationToken = default)
    {
        var before = Timestamps.Format(time.GetUtcNow() - (2 * BaasTokenService.ClockSkew));
        var filter = new Storage.Filters.FieldNode(ExpiresAtField, Storage.Filters.FieldOperator.Lt, ScalarJson.Element(before));
        var removed = 0;
        while (true)
        {
            var page = await store.QueryAsync(Collection, new DocumentQuery(filter, [new SortField(SystemFields.Id)], pageSize), cancellationToken);
            foreach (var record in page)
            {
                try
                {
                    await store.WriteAsync(
                        [new DeleteOperation(Collection, SystemDocuments.GetString(record, SystemFields.Id), SystemDocuments.GetVersion(record))],
                        cancellationToken);
                    removed++;
                }
                catch (VersionMismatchException)
                {
                    // Removed by another node's pass, or spent just now (the next pass takes it).
                }
            }

            if (page.Count < pageSize)
            {
                return removed;
            }
        }
    }

    private static TicketOutcome Refuse(string reason) => new(null, null, reason);

    private static string Id(string ticket) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ticket)));

    private static DateTimeOffset Parse(string timestamp) =>
        DateTimeOffset.ParseExact(timestamp, Timestamps.Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static ClaimsPrincipal Principal(JsonObject record)
    {
        var claims = new List<Claim>();
        foreach (var pair in record[ClaimsField]?.AsArray() ?? [])
        {
            if (pair is JsonArray { Count: 2 } typeAndValue && typeAndValue[0]?.GetValue<string>() is { } type && typeAndValue[1]?.GetValue<string>() is { } value)
            {
                claims.Add(new Claim(type, value));
            }
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, BaasAuthSchemes.RealtimeTicket, BaasClaimTypes.Subject, BaasClaimTypes.Role));
    }

    // The collection is made by the first ticket this node issues, not at start-up: most deployments never issue one,
    // and start-up time is measured (bench/README.md). Creating it is idempotent, so nodes racing is harmless.
    private Task EnsureCollectionAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = store.CreateCollectionAsync(Collection, cancellationToken);
            }

            return _created;
        }
    }
}
