using System.Text.Json.Nodes;
using Platform.Server.Functions;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// Function run records in a table of their own (issue 9, item 10), not a collection: the keys the runs are read by
/// (<c>function</c>, <c>status</c>, <c>started_at</c>, <c>dead_letter</c>) are plain columns, and the one index is over
/// plain columns, so a record's insert (one per create with a <c>before</c> trigger) evaluates no JSON expression, walks
/// no array path and writes shorter index keys than a collection's expression index. <c>data</c> is the record as the
/// collection held it (<see cref="FunctionRunJson.ToDocument"/>'s JSON), without the system fields other than <c>_id</c>
/// (rows written before them keep theirs; <see cref="FunctionRunJson.FromJson"/> reads both). An older data dir's
/// <c>c__function_runs</c> is moved here when the store opens. <see cref="SqliteFunctionRunStorage"/> is the runs port over it.
/// </summary>
public sealed partial class SqliteDocumentStore
{
    internal const string RunsTable = "baas_function_runs";

    /// <summary>
    /// The one index: a page of a function's runs of one status newest first (the index walked backwards), recent failures,
    /// retention (oldest first) and the list of functions that have runs (its first column) are each a search of it in
    /// order, with no sort (<c>FunctionRunIndexTests</c> pins the plans). It ends with the id, the tiebreak of runs of the
    /// same millisecond. Ascending, so a new run's entry goes at the end of its function's and status's range (for the
    /// function and status that sort last, the end of the index), where SQLite appends into the last page; descending, it
    /// went at the range's start, and with group commits of about 11 writes the page splits there wrote about 0.3 KB more
    /// per record into the log and the database (bench/README.md, h/fn-rec).
    /// </summary>
    internal const string RunsIndex = "baas_function_runs_by_start";

    /// <summary>The descending index of the same columns that data dirs written before <see cref="RunsIndex"/> have; dropped at start-up.</summary>
    internal const string OldRunsIndex = "baas_function_runs_by_function";

    private const string OldRunsTable = TablePrefix + FunctionRunJson.Collection;

    private const string CreateRunsTableSql =
        "CREATE TABLE IF NOT EXISTS " + RunsTable + " (id TEXT NOT NULL PRIMARY KEY, function TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL, dead_letter INTEGER NOT NULL, data TEXT NOT NULL)";

    private const string CreateRunsIndexSql =
        "CREATE INDEX IF NOT EXISTS " + RunsIndex + " ON " + RunsTable + " (function, status, started_at, id)";

    private const string InsertRunSql =
        "INSERT INTO " + RunsTable + " (id, function, status, started_at, dead_letter, data) VALUES (@p0, @p1, @p2, @p3, @p4, @p5) ON CONFLICT (id) DO NOTHING";

    // The old rows' keys read from their JSON once; a member that is missing keeps the row (as unreadable as before).
    private const string MoveOldRunsSql =
        "INSERT OR IGNORE INTO " + RunsTable + " (id, function, status, started_at, dead_letter, data) SELECT id, " +
        "coalesce(json_extract(data, '$.function'), ''), coalesce(json_extract(data, '$.status'), ''), coalesce(json_extract(data, '$.startedAt'), ''), " +
        "coalesce(json_extract(data, '$.deadLetter'), 0), data FROM " + OldRunsTable;

    internal const string GetRunSql = "SELECT data FROM " + RunsTable + " WHERE id = @p0";

    /// <summary>Creates the runs table and index, and moves an older data dir's run collection into it (once, then drops it).</summary>
    private void InitializeRunsTable(SqliteSession writer)
    {
        writer.ExecuteOnce(CreateRunsTableSql);
        if (writer.Command("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = @p0", [OldRunsIndex]).ExecuteScalar() is not null)
        {
            // The same columns descending: the new index is built once over the kept records (as many as retention
            // keeps), so its sort may spill to temporary files as any index build's does (ApplyIndexesAsync).
            writer.ExecuteOnce(TempStoreDefaultSql);
            try
            {
                InTransaction(writer, () =>
                {
                    writer.ExecuteOnce("DROP INDEX " + OldRunsIndex);
                    writer.ExecuteOnce(CreateRunsIndexSql);
                });
            }
            finally
            {
                writer.ExecuteOnce(TempStoreMemorySql);
            }

            SqliteStoreLog.RunsIndexReplaced(_logger, OldRunsIndex, RunsIndex);
        }

        writer.ExecuteOnce(CreateRunsIndexSql);
        if (writer.Command("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = @p0", [OldRunsTable]).ExecuteScalar() is null)
        {
            return;
        }

        var moved = 0;
        InTransaction(writer, () =>
        {
            moved = writer.Execute(MoveOldRunsSql);
            writer.ExecuteOnce("DROP TABLE " + SqliteSql.QuoteIdentifier(OldRunsTable));
            writer.Execute($"DELETE FROM {ArrayPathsTable} WHERE collection = @p0", [FunctionRunJson.Collection]);
        });
        SqliteStoreLog.RunsMoved(_logger, moved, OldRunsTable, RunsTable);
    }

    /// <summary>On the writer thread, in the write's transaction: one run record; a run id that is there already fails the write.</summary>
    private static void InsertRun(SqliteSession writer, SqliteRunInsert run, int opIndex)
    {
        if (writer.ExecuteUtf8(InsertRunSql, [run.Id, run.Function, run.Status, run.StartedAt], run.DeadLetter ? 1 : 0, run.Utf8Json.Span) == 0)
        {
            throw new DuplicateIdException(FunctionRunJson.Collection, run.Id, opIndex);
        }
    }

    /// <summary>Reads run records (<paramref name="sql"/> selects <c>data</c>) on a reader connection.</summary>
    internal async Task<IReadOnlyList<JsonObject>> ReadRunsAsync(string sql, object[] parameters, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return Read<IReadOnlyList<JsonObject>>(
            session =>
            {
                var command = session.Command(sql, parameters);
                using var registration = Interruptible(command, cancellationToken);
                using var reader = command.ExecuteReader();
                var runs = new List<JsonObject>();
                while (reader.Read())
                {
                    runs.Add(ParseDocument(reader.GetString(0)));
                }

                return runs;
            },
            missingTable: [],
            cancellationToken);
    }

    /// <summary>The one value <paramref name="sql"/> selects, or null.</summary>
    internal async Task<object?> ReadRunScalarAsync(string sql, object[] parameters, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return Read(session => session.Command(sql, parameters).ExecuteScalar(), missingTable: null, cancellationToken);
    }

    /// <summary>
    /// Retention: the oldest <c>@p3</c> runs of one function and status that started before <c>@p2</c>, deleted by the keys the
    /// index holds. The ids come from a search of the index alone (it is covering: no record is read), so a pass costs the
    /// index entries and the rows it removes, not a read of every record it deletes.
    /// </summary>
    internal const string DeleteOldestRunsSql =
        "DELETE FROM " + RunsTable + " WHERE id IN (SELECT id FROM " + RunsTable +
        " WHERE function = @p0 AND status = @p1 AND started_at < @p2 ORDER BY started_at, id LIMIT @p3)";

    /// <summary>Deletes, in the writer's turn, up to <paramref name="limit"/> of the oldest runs of a function and status that started before <paramref name="startedBefore"/>; returns how many.</summary>
    internal async Task<int> DeleteOldestRunsAsync(string function, string status, string startedBefore, int limit, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var deleted = 0;
        await RunOnWriterAsync(writer => deleted = writer.Execute(DeleteOldestRunsSql, [function, status, startedBefore, limit]), cancellationToken).ConfigureAwait(false);
        return deleted;
    }
}

/// <summary>
/// The insert of one run record into <see cref="SqliteDocumentStore.RunsTable"/>, made by <see cref="SqliteFunctionRunStorage"/>;
/// applied in the transaction of the store write that carries it. Its keys are given as the columns hold them, its JSON as
/// UTF-8, so the writer reads nothing out of the record.
/// </summary>
internal sealed record SqliteRunInsert(string Id, string Function, string Status, string StartedAt, bool DeadLetter, ReadOnlyMemory<byte> Utf8Json)
    : WriteOperation(FunctionRunJson.Collection);
