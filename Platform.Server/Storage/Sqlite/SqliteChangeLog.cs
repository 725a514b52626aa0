using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// The change-log table <c>baas_changes</c> and its statements. <c>seq</c> is the rowid, so each new change gets the
/// largest committed <c>seq</c> plus one: within committed history the numbers are contiguous (a batch's rows commit
/// together, a failed batch rolls back its numbers with it), and readers rely on that: a page that does not start
/// right after the reader's position means the history in between was pruned. Pruning never removes the newest
/// change, so the largest number survives and is never handed out again, restarts included. (<c>AUTOINCREMENT</c>
/// would guarantee the same at the price of a <c>sqlite_sequence</c> update, one more page, in every commit; it
/// measured as the larger part of the log's cost on writes.)
/// </summary>
internal static class SqliteChangeLog
{
    public const string Table = "baas_changes";

    public const string CreateSql =
        "CREATE TABLE IF NOT EXISTS " + Table + " (seq INTEGER PRIMARY KEY, collection TEXT NOT NULL, doc_id TEXT NOT NULL, " +
        "kind INTEGER NOT NULL, before TEXT, after TEXT, committed_at INTEGER NOT NULL, origin TEXT)";

    /// <summary>
    /// Data dirs made before write origins were logged lack the <c>origin</c> column: <see cref="AddOriginColumnSql"/>
    /// adds it (nullable, so existing rows read as "no origin") when this finds it missing.
    /// </summary>
    public const string HasOriginColumnSql = "SELECT count(*) FROM pragma_table_info('" + Table + "') WHERE name = 'origin'";

    public const string AddOriginColumnSql = "ALTER TABLE " + Table + " ADD COLUMN origin TEXT";

    /// <summary>Holds (<see cref="IChangeFeedRetention"/>): a consumer's name and the position after which it needs every change.</summary>
    public const string HoldsTable = "baas_change_holds";

    public const string CreateHoldsSql =
        "CREATE TABLE IF NOT EXISTS " + HoldsTable + " (name TEXT PRIMARY KEY, seq INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID";

    public const string SetHoldSql =
        "INSERT INTO " + HoldsTable + " (name, seq, updated_at) VALUES (@p0, @p1, @p2) ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at";

    public const string ReleaseHoldSql = "DELETE FROM " + HoldsTable + " WHERE name = @p0";

    public const string ListHoldsSql = "SELECT name, seq FROM " + HoldsTable + " ORDER BY name";

    public const string MinHoldSql = "SELECT min(seq) FROM " + HoldsTable;

    // Bytes of a change's images. octet_length reads the size from the record header, not the (overflow) pages
    // holding the text, so summing it over the log is cheap.
    private const string SizeExpr = "IFNULL(octet_length(before), 0) + IFNULL(octet_length(after), 0)";

    /// <summary>Bytes of every image in the log, counted once at start-up; commits and prunes keep the count after that.</summary>
    public const string TotalBytesSql = "SELECT IFNULL(sum(" + SizeExpr + "), 0) FROM " + Table;

    /// <summary>Bytes logged after a sequence: what the commit that just ended added.</summary>
    public const string BytesAfterSql = "SELECT IFNULL(sum(" + SizeExpr + "), 0) FROM " + Table + " WHERE seq > @p0";

    /// <summary>The oldest changes from <c>@p0</c> on, before <c>@p1</c>, with their sizes: what the byte bound walks to find its cut.</summary>
    public const string OldestSizesSql = "SELECT seq, " + SizeExpr + " FROM " + Table + " WHERE seq >= @p0 AND seq < @p1 ORDER BY seq LIMIT @p2";

    /// <summary>Bytes of the chunk <see cref="PruneChunkSql"/> removes with the same parameters.</summary>
    public const string PruneChunkBytesSql =
        "SELECT IFNULL(sum(size), 0) FROM (SELECT " + SizeExpr + " AS size FROM " + Table + " WHERE seq < @p0 ORDER BY seq LIMIT @p1)";

    public const string PruneBeforeSql = "DELETE FROM " + Table + " WHERE seq < @p0";

    // The last number handed out (the pruner keeps that row); null when nothing was ever logged.
    public const string LastSequenceSql = "SELECT max(seq) FROM " + Table;

    // The oldest change the log still holds (null when empty): where resuming from an older position stops working.
    public const string FirstSequenceSql = "SELECT min(seq) FROM " + Table;

    public const string InsertSql =
        "INSERT INTO " + Table + " (collection, doc_id, kind, before, after, committed_at, origin) VALUES (@p0, @p1, " + KindInsert + ", NULL, @p2, @p3, @p4)";

    public const string PageSql =
        "SELECT seq, collection, doc_id, kind, before, after, committed_at, origin FROM " + Table + " WHERE seq > @p0 ORDER BY seq LIMIT @p1";

    // Scans from the oldest row to the first one young enough to keep: the rows it passes are the ones to prune.
    public const string FirstRetainedByTimeSql = "SELECT seq FROM " + Table + " WHERE committed_at >= @p0 ORDER BY seq LIMIT 1";

    public const string PruneChunkSql =
        "DELETE FROM " + Table + " WHERE seq IN (SELECT seq FROM " + Table + " WHERE seq < @p0 ORDER BY seq LIMIT @p1)";

    private const string KindInsert = "0";
    private const string KindReplace = "1";
    private const string KindDelete = "2";

    /// <summary>
    /// Logs a replace with the stored row as its before-image, read by the same statement. It selects the row by the
    /// same condition as the <c>UPDATE</c> that follows, so it logs exactly when the update will match.
    /// </summary>
    public static string ReplaceSql(string quotedTable) =>
        "INSERT INTO " + Table + " (collection, doc_id, kind, before, after, committed_at, origin) SELECT @p0, id, " + KindReplace + ", data, @p1, @p2, @p5 FROM " +
        quotedTable + " WHERE id = @p3 AND version = @p4";

    /// <summary>Logs a delete with its before-image, matching the row exactly as the <c>DELETE</c> that follows.</summary>
    public static string DeleteSql(string quotedTable) =>
        "INSERT INTO " + Table + " (collection, doc_id, kind, before, after, committed_at, origin) SELECT @p0, id, " + KindDelete + ", data, NULL, @p1, @p3 FROM " +
        quotedTable + " WHERE id = @p2";

    /// <inheritdoc cref="DeleteSql"/>
    public static string DeleteVersionSql(string quotedTable) => DeleteSql(quotedTable) + " AND version = @p4";

    /// <summary>The <c>origin</c> parameter of the statements above: its JSON text, or SQL NULL.</summary>
    public static object OriginParameter(Functions.WriteOrigin? origin) => (object?)ChangeOrigins.Format(origin) ?? DBNull.Value;

    /// <summary>Only user collections are logged; system collections (<c>_</c> prefix) never reach the feed.</summary>
    public static bool IsLogged(string collection) => !collection.StartsWith('_');

    /// <summary>
    /// Reads the current row, its position in <paramref name="epochs"/>' current epoch; <c>Chars</c> is the length of its
    /// images, for readers that bound a page by size.
    /// </summary>
    public static (long Sequence, StoredChange Change, long Chars) ReadRow(SqliteDataReader reader, SqliteFeedEpochs epochs)
    {
        var sequence = reader.GetInt64(0);
        var kind = reader.GetInt64(3) switch
        {
            0 => ChangeKind.Insert,
            1 => ChangeKind.Replace,
            2 => ChangeKind.Delete,
            var other => throw new InvalidDataException($"Change {sequence} has unknown kind {other}."),
        };
        var before = reader.IsDBNull(4) ? null : reader.GetString(4);
        var after = reader.IsDBNull(5) ? null : reader.GetString(5);
        var change = new StoredChange(
            epochs.Format(sequence),
            reader.GetString(1),
            reader.GetString(2),
            kind,
            before is null ? null : JsonNode.Parse(before)!.AsObject(),
            after is null ? null : JsonNode.Parse(after)!.AsObject(),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)))
        {
            Origin = reader.IsDBNull(7) ? null : ChangeOrigins.Parse(reader.GetString(7)),
        };
        return (sequence, change, (before?.Length ?? 0) + (after?.Length ?? 0));
    }
}
