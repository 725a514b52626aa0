using System.Text.Json.Nodes;
using Platform.Server.Auth;
using Platform.Server.Common;
using Platform.Server.Storage;

namespace Platform.Server.Audit;

/// <summary>Stores audit entries in <c>_audit</c> through the storage port; ids are time-ordered.</summary>
internal sealed class AuditLog(IDocumentStore store, TimeProvider time, ILogger<AuditLog> logger) : IAuditLog
{
    public const string Collection = "_audit";
    public const string AtField = "at";

    // Entries are listed newest first by (at, _id). Two entries in one millisecond (or under a frozen test clock)
    // share `at`, so the id must keep their order: each id's time part is strictly later than the previous one's.
    private readonly Lock _idLock = new();
    private long _lastIdMilliseconds;

    public async Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var now = Timestamps.Format(time.GetUtcNow());
        var document = new JsonObject
        {
            [SystemFields.Id] = NextId(),
            [AtField] = entry.At is { } at ? Timestamps.Format(at) : now,
            ["actor"] = entry.Actor,
            ["actorId"] = entry.ActorId,
            ["action"] = entry.Action,
            ["target"] = entry.Target,
            ["before"] = SecretMasking.MaskJson(entry.Before),
            ["after"] = SecretMasking.MaskJson(entry.After),
            ["ip"] = entry.Ip,
            [SystemFields.CreatedAt] = now,
            [SystemFields.UpdatedAt] = now,
            [SystemFields.CreatedBy] = null,
            [SystemFields.Version] = 1L,
        };
        try
        {
            await store.WriteAsync([new InsertOperation(Collection, document)], cancellationToken);
        }
        catch (Exception ex) when (ex is StorageException or StorageUnavailableException)
        {
            AuditLogMessages.RecordFailed(logger, ex, entry.Action, entry.Target);
        }
    }

    private string NextId()
    {
        long milliseconds;
        lock (_idLock)
        {
            milliseconds = Math.Max(time.GetUtcNow().ToUnixTimeMilliseconds(), _lastIdMilliseconds + 1);
            _lastIdMilliseconds = milliseconds;
        }

        return Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)).ToString("N");
    }

    /// <summary>The actor of an HTTP request: an admin's email (else id), <c>apikey:&lt;name&gt;</c>, or <c>anonymous</c>.</summary>
    public static (string Actor, string? ActorId) ActorOf(BaasCaller? caller) => caller switch
    {
        { Kind: BaasCallerKind.Admin } admin => (admin.DisplayName ?? admin.Id, admin.Id),
        { Kind: BaasCallerKind.ServiceKey } key => ("apikey:" + (key.DisplayName ?? key.Id), key.Id),
        { } user => ("user:" + user.Id, user.Id),
        null => ("anonymous", null),
    };
}

internal static partial class AuditLogMessages
{
    [LoggerMessage(EventId = 8001, EventName = "AuditRecordFailed", Level = LogLevel.Error, Message = "Could not record the audit entry {Action} {Target}")]
    public static partial void RecordFailed(ILogger logger, Exception exception, string action, string target);

    [LoggerMessage(EventId = 8002, EventName = "AuditCleanup", Level = LogLevel.Debug, Message = "Audit cleanup removed {Count} entries")]
    public static partial void Cleanup(ILogger logger, int count);

    [LoggerMessage(EventId = 8003, EventName = "AuditCleanupFailed", Level = LogLevel.Warning, Message = "Audit cleanup failed; the next run tries again")]
    public static partial void CleanupFailed(ILogger logger, Exception exception);
}
