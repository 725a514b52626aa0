using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Email;

/// <summary>One stored message as the outbox API lists it.</summary>
public sealed record OutboxItem(string Id, string To, string Subject, string Body, string CreatedAt);

/// <summary>A page of the outbox, newest first; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record OutboxPage(IReadOnlyList<OutboxItem> Items, string? NextCursor);

/// <summary>
/// The outbox: mail kept in the system collection <c>_outbox</c> (<c>{ to, subject, body, createdAt }</c>)
/// when no SMTP server is configured, bounded to the newest <see cref="EmailOptions.OutboxLimit"/> messages.
/// Ids sort in arrival order (milliseconds, then a per-node counter), so "newest first" is a keyset over
/// <c>_id</c> and the cursor is simply the last id of a page.
/// </summary>
public sealed class EmailOutbox(IDocumentStore store, IOptions<EmailOptions> options, TimeProvider time, ILogger<EmailOutbox> logger)
{
    public const string Collection = "_outbox";
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    // Deletes per write when pruning, so one prune never builds an unbounded transaction.
    private const int PruneBatch = 500;

    private readonly Lock _idGate = new();
    private long _lastMillis;
    private int _counter;

    public async Task<OutboxItem> AddAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = time.GetUtcNow();
        var document = SystemDocuments.Create(
            NewId(now),
            now,
            createdBy: null,
            ("to", message.To),
            ("subject", message.Subject),
            ("body", message.Body),
            ("createdAt", Timestamps.Format(now)));
        await store.WriteAsync([new InsertOperation(Collection, document)], cancellationToken);
        await PruneAsync(cancellationToken);
        return ToItem(document);
    }

    /// <summary>Newest first, <paramref name="limit"/> per page, after <paramref name="cursor"/> (a previous <see cref="OutboxPage.NextCursor"/>).</summary>
    public async Task<OutboxPage> ListAsync(int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > MaxPageSize)
        {
            throw new InvalidInputException("invalid_limit", $"limit must be between 1 and {MaxPageSize}.", "limit");
        }

        if (cursor is not null && !IsId(cursor))
        {
            throw new InvalidInputException("invalid_cursor", "The cursor is not one this server issued.", "cursor");
        }

        var documents = await store.QueryAsync(
            Collection,
            new DocumentQuery(
                MatchAllNode.Instance,
                [new SortField(SystemFields.Id, Descending: true)],
                limit + 1,
                cursor is null ? null : [ScalarJson.Element(cursor)]),
            cancellationToken);
        var items = documents.Take(limit).Select(ToItem).ToList();
        return new OutboxPage(items, documents.Count > limit ? items[^1].Id : null);
    }

    /// <summary>The read of a prune: the oldest messages' ids only, not their bodies.</summary>
    internal static DocumentQuery PruneQuery(int limit) =>
        new(MatchAllNode.Instance, [new SortField(SystemFields.Id)], limit, Fields: [SystemFields.Id]);

    private async Task PruneAsync(CancellationToken cancellationToken)
    {
        var limit = options.Value.OutboxLimit;
        var excess = await store.CountAsync(Collection, MatchAllNode.Instance, cancellationToken) - limit;
        var pruned = 0;
        while (excess > 0)
        {
            var oldest = await store.QueryAsync(
                Collection,
                PruneQuery((int)Math.Min(excess, PruneBatch)),
                cancellationToken);
            if (oldest.Count == 0)
            {
                break;
            }

            var ids = oldest.Select(d => d[SystemFields.Id]!.GetValue<string>()).ToList();
            try
            {
                await store.WriteAsync([.. ids.Select(id => new DeleteOperation(Collection, id))], cancellationToken);
            }
            catch (VersionMismatchException)
            {
                // A concurrent send pruned some of these first; delete the rest one by one.
                foreach (var id in ids)
                {
                    try
                    {
                        await store.WriteAsync([new DeleteOperation(Collection, id)], cancellationToken);
                    }
                    catch (VersionMismatchException)
                    {
                    }
                }
            }

            pruned += ids.Count;
            excess -= ids.Count;
        }

        if (pruned > 0)
        {
            EmailLog.Pruned(logger, pruned, limit);
        }
    }

    // 12 hex digits of Unix milliseconds, 6 of a per-node counter within the millisecond, 8 random:
    // fixed width lower-case hex, so ordinal order is arrival order on a node.
    private string NewId(DateTimeOffset now)
    {
        long millis;
        int counter;
        lock (_idGate)
        {
            millis = Math.Max(now.ToUnixTimeMilliseconds(), _lastMillis);
            _counter = millis == _lastMillis ? _counter + 1 : 0;
            _lastMillis = millis;
            counter = _counter;
        }

        return $"{millis:x12}{counter & 0xFFFFFF:x6}{RandomNumberGenerator.GetHexString(8, lowercase: true)}";
    }

    private static bool IsId(string value) => value.Length == 26 && value.All(char.IsAsciiHexDigitLower);

    private static OutboxItem ToItem(JsonObject document) => new(
        document[SystemFields.Id]!.GetValue<string>(),
        document["to"]!.GetValue<string>(),
        document["subject"]!.GetValue<string>(),
        document["body"]!.GetValue<string>(),
        document["createdAt"]!.GetValue<string>());
}

/// <summary>The <see cref="IEmailSender"/> used when no SMTP server is configured.</summary>
internal sealed class OutboxEmailSender(EmailOutbox outbox, ILogger<OutboxEmailSender> logger) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        await outbox.AddAsync(message, cancellationToken);
        EmailLog.StoredInOutbox(logger, message.To, message.Subject);
    }
}
