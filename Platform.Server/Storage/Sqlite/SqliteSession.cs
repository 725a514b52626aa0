using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// One open connection and its prepared commands, keyed by SQL text. Microsoft.Data.Sqlite keeps a
/// command's prepared statements while its text is unchanged, so reusing the command object skips
/// re-parsing and re-planning on hot paths. Not thread-safe: one user at a time (the read pool, or the writer thread).
/// </summary>
internal sealed class SqliteSession : IDisposable
{
    private const int MaxCachedCommands = 256;

    // SQLite calls the progress handler every this many virtual-machine steps of a running statement. A step is tens of
    // nanoseconds, so a stopped query ends within well under a millisecond; an indexed read of a page of documents
    // takes a few thousand steps, so the managed callback costs it next to nothing.
    private const int ProgressSteps = 1000;

    // Kept in a static field so the native side never calls a collected delegate.
    private static readonly SQLitePCL.delegate_progress OnProgress = static state => ((SqliteSession)state).Stop.IsCancellationRequested ? 1 : 0;

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    // Statements prepared directly on the connection's handle, for the one binding Microsoft.Data.Sqlite lacks: UTF-8
    // text from a span (it binds a string, converting it to a new UTF-8 array on every call).
    private readonly Dictionary<string, SQLitePCL.sqlite3_stmt> _utf8Statements = new(StringComparer.Ordinal);

    private SqliteSession(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

    /// <summary>
    /// Stops the statement this session is running once cancelled: SQLite checks it every thousand steps (a
    /// progress handler, so there is no race with a statement that is about to start) and ends the statement with
    /// <c>SQLITE_INTERRUPT</c> (error 9). Set for one read, then back to <see cref="CancellationToken.None"/>.
    /// </summary>
    public CancellationToken Stop { get; set; }

    public static SqliteSession Open(string connectionString, int busyTimeoutMs, int cacheSizeKiB = 0)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            connection.CreateFunction<string?, string?, bool>(
                SqliteFilterTranslator.ContainsIgnoreCaseFunction,
                static (value, part) => value is not null && part is not null && value.Contains(part, StringComparison.OrdinalIgnoreCase),
                isDeterministic: true);
            connection.CreateFunction<string?, string?, int>(
                SqliteFilterTranslator.JsonCompareFunction,
                static (x, y) => JsonValueOrder.Compare(x is null ? null : JsonNode.Parse(x), y is null ? null : JsonNode.Parse(y)),
                isDeterministic: true);
            // The query planner stability guarantee: one plan per statement whatever its bound values. Without it SQLite
            // (3.46 on) reads a bound LIMIT to plan with and so marks every page query and change-log read to be parsed
            // and planned again each time it is bound, which was a fifth of an indexed page's server CPU. The plans are
            // the ones the plan tests pin, which bind the same parameters.
            SqliteException.ThrowExceptionForRC(
                SQLitePCL.raw.sqlite3_db_config(connection.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_ENABLE_QPSG, 1, out _),
                connection.Handle);
            var session = new SqliteSession(connection);
            session.Execute($"PRAGMA busy_timeout = {busyTimeoutMs}");
            if (cacheSizeKiB > 0)
            {
                // Negative: a size in KiB rather than in pages.
                session.Execute($"PRAGMA cache_size = -{cacheSizeKiB}");
            }

            SQLitePCL.raw.sqlite3_progress_handler(connection.Handle, ProgressSteps, OnProgress, session);
            return session;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>A cached command for <paramref name="sql"/> with parameters <c>@p0..@pN</c> bound to <paramref name="parameters"/>.</summary>
    public SqliteCommand Command(string sql, IReadOnlyList<object> parameters)
    {
        var command = Command(sql);
        var bound = command.Parameters;
        if (bound.Count != parameters.Count)
        {
            bound.Clear();
            for (var i = 0; i < parameters.Count; i++)
            {
                bound.AddWithValue("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), parameters[i]);
            }
        }
        else
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                bound[i].Value = parameters[i];
            }
        }

        return command;
    }

    /// <summary>A cached command for <paramref name="sql"/>; the caller binds its parameters.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100:Review SQL queries for security vulnerabilities", Justification = "SQL is generated by the provider; identifiers are quoted and every value is a parameter.")]
    public SqliteCommand Command(string sql)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            return command;
        }

        if (_commands.Count >= MaxCachedCommands)
        {
            foreach (var cached in _commands.Values)
            {
                cached.Dispose();
            }

            _commands.Clear();
        }

        command = Connection.CreateCommand();
        command.CommandText = sql;
        _commands[sql] = command;
        return command;
    }

    /// <summary>The rowid of the last row this connection inserted into a rowid table (a native call, no statement).</summary>
    public long LastInsertRowId => SQLitePCL.raw.sqlite3_last_insert_rowid(Connection.Handle);

    public int Execute(string sql, IReadOnlyList<object>? parameters = null) =>
        Command(sql, parameters ?? []).ExecuteNonQuery();

    /// <summary>
    /// Runs <paramref name="sql"/> (no result rows) with <c>@p0</c> = <paramref name="text"/>, <c>@p1</c> =
    /// <paramref name="number"/> and <c>@p2</c> = <paramref name="utf8Text"/> bound as text (SQLite copies it); returns the
    /// rows changed. Fails with <see cref="SqliteException"/> as <see cref="Execute"/> does (same codes and messages).
    /// </summary>
    public int ExecuteUtf8(string sql, string text, long number, ReadOnlySpan<byte> utf8Text) =>
        ExecuteUtf8(sql, [text], number, utf8Text);

    /// <summary>
    /// <see cref="ExecuteUtf8(string, string, long, ReadOnlySpan{byte})"/> with several texts first: <c>@p0</c> ..
    /// <c>@pN-1</c> = <paramref name="texts"/>, then <paramref name="number"/>, then <paramref name="utf8Text"/>.
    /// </summary>
    public int ExecuteUtf8(string sql, ReadOnlySpan<string> texts, long number, ReadOnlySpan<byte> utf8Text)
    {
        var db = Connection.Handle!;
        if (!_utf8Statements.TryGetValue(sql, out var statement))
        {
            SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_prepare_v2(db, sql, out statement), db);
            _utf8Statements[sql] = statement;
        }

        try
        {
            // Ids and names are short (an id is at most 128 characters): no array for their UTF-8 either. SQLite copies
            // each bound text, so one buffer serves them all.
            Span<byte> textUtf8 = stackalloc byte[System.Text.Encoding.UTF8.GetMaxByteCount(256)];
            for (var i = 0; i < texts.Length; i++)
            {
                var text = texts[i];
                var buffer = text.Length <= 256 ? textUtf8 : new byte[System.Text.Encoding.UTF8.GetMaxByteCount(text.Length)];
                var textLength = System.Text.Encoding.UTF8.GetBytes(text, buffer);
                SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_bind_text(statement, i + 1, buffer[..textLength]), db);
            }

            SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_bind_int64(statement, texts.Length + 1, number), db);
            SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_bind_text(statement, texts.Length + 2, utf8Text), db);
            var rc = SQLitePCL.raw.sqlite3_step(statement);
            if (rc != SQLitePCL.raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, db);
            }

            return SQLitePCL.raw.sqlite3_changes(db);
        }
        finally
        {
            SQLitePCL.raw.sqlite3_reset(statement);
            SQLitePCL.raw.sqlite3_clear_bindings(statement);
        }
    }

    /// <summary>Runs a one-off statement (DDL) without caching it.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100:Review SQL queries for security vulnerabilities", Justification = "DDL generated by the provider from quoted identifiers.")]
    public int ExecuteOnce(string sql)
    {
        using var command = Connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        foreach (var statement in _utf8Statements.Values)
        {
            statement.Dispose();
        }

        _utf8Statements.Clear();
        Connection.Dispose();
    }
}
