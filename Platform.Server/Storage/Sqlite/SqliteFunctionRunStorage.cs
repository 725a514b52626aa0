using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Functions;
using Platform.Server.Functions.Runs;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// The runs port on SQLite: records in <see cref="SqliteDocumentStore.RunsTable"/>, read by its one plain-column index
/// <c>(function, status, started_at, id)</c> (<see cref="SqliteDocumentStore.RunsIndex"/>; newest first is that index walked
/// backwards). A record's JSON is the collection's document without the system fields a table row does not need
/// (<see cref="FunctionRunJson.ToUtf8Json(FunctionRunRecord, bool, string, bool)"/>). A record's insert is a
/// write operation of its own that the store applies in whichever write carries it, so a <c>before</c> trigger's record
/// still commits with its document or not at all.
/// </summary>
public sealed class SqliteFunctionRunStorage(SqliteDocumentStore store) : IFunctionRunStorage
{
    private const string Columns = "SELECT data FROM " + SqliteDocumentStore.RunsTable + " WHERE function = @p0 AND status = @p1";

    // The four shapes of a newest-first read: with or without the dead-letter condition, from the start or after a key.
    // The key is a row value, which SQLite searches the index for (a range on its last two columns), not a filter.
    internal const string NewestSql = Columns + " ORDER BY started_at DESC, id DESC LIMIT @p2";
    internal const string NewestAfterSql = Columns + " AND (started_at, id) < (@p2, @p3) ORDER BY started_at DESC, id DESC LIMIT @p4";
    internal const string NewestDeadLetterSql = Columns + " AND dead_letter = @p2 ORDER BY started_at DESC, id DESC LIMIT @p3";
    internal const string NewestDeadLetterAfterSql = Columns + " AND dead_letter = @p2 AND (started_at, id) < (@p3, @p4) ORDER BY started_at DESC, id DESC LIMIT @p5";

    internal const string FirstFunctionSql = "SELECT function FROM " + SqliteDocumentStore.RunsTable + " ORDER BY function LIMIT 1";
    internal const string NextFunctionSql = "SELECT function FROM " + SqliteDocumentStore.RunsTable + " WHERE function > @p0 ORDER BY function LIMIT 1";

    /// <summary>The store makes the table, and moves an older data dir's records into it, when it opens.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => store.InitializeAsync(cancellationToken);

    public WriteOperation Insert(FunctionRunRecord run, bool eventDocuments = true)
    {
        ArgumentNullException.ThrowIfNull(run);
        // The start is a column and a member of the JSON: formatted once for both.
        var startedAt = Timestamps.Format(run.StartedAt);
        return new SqliteRunInsert(
            run.Id,
            run.Function,
            run.Status.Name(),
            startedAt,
            run.DeadLetter,
            FunctionRunJson.ToUtf8Json(run, eventDocuments, startedAt, documentFields: false));
    }

    public async Task<JsonObject?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var found = await store.ReadRunsAsync(SqliteDocumentStore.GetRunSql, [id], cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    public Task<IReadOnlyList<JsonObject>> NewestAsync(string function, RunStatus status, bool? deadLetter, RunKey? after, int limit, CancellationToken cancellationToken = default)
    {
        var (sql, parameters) = NewestRead(function, status, deadLetter, after, limit);
        return store.ReadRunsAsync(sql, parameters, cancellationToken);
    }

    /// <summary>The statement and parameters of <see cref="NewestAsync"/> (the plan tests read them).</summary>
    internal static (string Sql, object[] Parameters) NewestRead(string function, RunStatus status, bool? deadLetter, RunKey? after, int limit) =>
        (deadLetter, after) switch
        {
            (null, null) => (NewestSql, [function, status.Name(), limit]),
            (null, { } a) => (NewestAfterSql, [function, status.Name(), a.StartedAt, a.Id, limit]),
            ({ } d, null) => (NewestDeadLetterSql, [function, status.Name(), d ? 1 : 0, limit]),
            ({ } d, { } a) => (NewestDeadLetterAfterSql, [function, status.Name(), d ? 1 : 0, a.StartedAt, a.Id, limit]),
        };

    public Task<int> DeleteStartedBeforeAsync(string function, RunStatus status, DateTimeOffset startedBefore, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return store.DeleteOldestRunsAsync(function, status.Name(), Timestamps.Format(startedBefore), limit, cancellationToken);
    }

    public async Task<string?> NextFunctionAsync(string? after, CancellationToken cancellationToken = default) =>
        await (after is null
            ? store.ReadRunScalarAsync(FirstFunctionSql, [], cancellationToken)
            : store.ReadRunScalarAsync(NextFunctionSql, [after], cancellationToken)).ConfigureAwait(false) as string;
}
