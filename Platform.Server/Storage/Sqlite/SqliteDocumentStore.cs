using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// The embedded provider: one SQLite file (<c>Baas:DataDir/&lt;SqliteFileName&gt;</c>) in WAL mode with
/// <c>synchronous=NORMAL</c> (a commit survives a process kill; the last commits may be lost on power loss).
/// </summary>
/// <remarks>
/// <para>Each collection is a table <c>c_&lt;name&gt;(id, version, data)</c>, <c>data</c> holding the document's JSON
/// text as given. Writes are serialized in-process on one connection; concurrent <see cref="WriteAsync"/> calls share one
/// <c>BEGIN IMMEDIATE</c> transaction and commit (group commit, <c>SqliteDocumentStore.GroupCommit.cs</c>), each
/// acknowledged only after the commit; a group with a failing write is rolled back and run again with a savepoint per
/// write, so that write fails alone. Reads use a small pool of connections and, thanks to WAL, run concurrently
/// with writes, each seeing a committed snapshot.</para>
/// <para>Filters and sorts are translated by <see cref="SqliteFilterTranslator"/> (see there for the few deviations
/// from MongoDB). To keep that translation cheap and index-friendly, the store records per collection the paths at
/// which any document has ever held an array (table <c>baas_array_paths</c>), written in the same transaction as the
/// document and published to readers before the commit, so no reader can see a document whose arrays it does not
/// know about. The set only grows until the collection is dropped.</para>
/// <para>User indexes are expression indexes on the same (rank, value) expressions the queries use.
/// Unique indexes cover only documents that have every indexed field; their keys are (type rank, value), so
/// <c>true</c> and <c>1</c> differ, <c>1</c> and <c>1.0</c> collide, null is a value (two nulls collide), and objects
/// or arrays collide only when their JSON text is the same (so <c>{"a": 1}</c> and <c>{"a": 1.0}</c> do not).</para>
/// <para>The store is also the <see cref="IChangeFeed"/> of its data: see <c>SqliteDocumentStore.ChangeFeed.cs</c>.</para>
/// </remarks>
public sealed partial class SqliteDocumentStore : IDocumentStore, IDisposable
{
    private const string TablePrefix = "c_";
    private const string ArrayPathsTable = "baas_array_paths";
    private const string TempStoreMemorySql = "PRAGMA temp_store = MEMORY";
    private const string TempStoreDefaultSql = "PRAGMA temp_store = DEFAULT";
    private const string InsertArrayPathSql = "INSERT OR IGNORE INTO " + ArrayPathsTable + " (collection, path) VALUES (@p0, @p1)";

    private static readonly JsonSerializerOptions DocumentJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _path;
    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;
    private readonly int _cacheSizeKiB;
    private readonly ILogger<SqliteDocumentStore> _logger;
    private readonly TimeProvider _time;
    private readonly ChangeFeedOptions _changeOptions;
    private readonly StorageMetrics? _metrics;
    private readonly long _maxWalBytes;
    private readonly TimeSpan _checkpointInterval;
    private readonly int _checkpointWaitMs;
    private readonly int _resetWaitMs;
    private readonly int _maxGroupOperations;
    // Taken by start-up and Dispose only: in between, the writer thread is the only one that writes.
    private readonly SemaphoreSlim _lifecycleLock = new(1, 1);
    private readonly ConcurrentBag<SqliteSession> _readers = [];
    private readonly int _maxPooledReaders = (Environment.ProcessorCount * 2) + 4;
    private readonly ConcurrentDictionary<string, CollectionState> _collections = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private SqliteSession? _writer;
    private Task _pruner = Task.CompletedTask;
    private int _disposeStarted;
    private volatile bool _initialized;
    private bool _disposed;

    public SqliteDocumentStore(
        IOptions<StorageOptions> storage,
        IOptions<BaasOptions> baas,
        IOptions<ChangeFeedOptions> changes,
        TimeProvider time,
        ILogger<SqliteDocumentStore> logger,
        StorageMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(baas);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _time = time;
        _changeOptions = changes.Value;
        _metrics = metrics;
        // Until the store opens its first connection SQLite is not loaded (Microsoft.Data.Sqlite initializes it) and holds nothing.
        _metrics?.ObserveSqliteMemory(() => _initialized ? SQLitePCL.raw.sqlite3_memory_used() : 0);
        _maxWalBytes = storage.Value.SqliteMaxWalBytes;
        _checkpointInterval = storage.Value.SqliteCheckpointInterval;
        _checkpointWaitMs = Math.Max(1, (int)storage.Value.SqliteCheckpointWait.TotalMilliseconds);
        _resetWaitMs = Math.Max(1, (int)storage.Value.SqliteWalResetWait.TotalMilliseconds);
        _maxGroupOperations = Math.Max(1, storage.Value.SqliteGroupCommitMaxOperations);
        _path = Path.Combine(baas.Value.DataDirFullPath, storage.Value.SqliteFileName);
        _busyTimeoutMs = (int)storage.Value.SqliteBusyTimeout.TotalMilliseconds;
        _cacheSizeKiB = storage.Value.SqliteCacheSizeKiB;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // The store pools its own connections so each keeps its prepared statements.
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(storage.Value.SqliteBusyTimeout.TotalSeconds)),
        }.ToString();
    }

    /// <summary>State the store keeps per existing collection table.</summary>
    private sealed class CollectionState(string name)
    {
        private static string Quoted(string name) => SqliteSql.QuoteIdentifier(TablePrefix + name);

        private ImmutableHashSet<string> _arrayPaths = ImmutableHashSet.Create<string>(StringComparer.Ordinal);
        private ImmutableArray<string> _indexNames = [];
        private ImmutableHashSet<string> _presenceTerms = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

        public string Name { get; } = name;

        public string Table { get; } = TablePrefix + name;

        // Hot-path statements, built once per collection (the session caches their prepared form by text).
        public string GetSql { get; } = "SELECT data FROM " + SqliteSql.QuoteIdentifier(TablePrefix + name) + " WHERE id = @p0";

        public string InsertSql { get; } = "INSERT INTO " + SqliteSql.QuoteIdentifier(TablePrefix + name) + " (id, version, data) VALUES (@p0, @p1, @p2) ON CONFLICT (id) DO NOTHING";

        public string ReplaceSql { get; } = "UPDATE " + SqliteSql.QuoteIdentifier(TablePrefix + name) + " SET version = @p0, data = @p1 WHERE id = @p2 AND version = @p3";

        public string DeleteSql { get; } = "DELETE FROM " + SqliteSql.QuoteIdentifier(TablePrefix + name) + " WHERE id = @p0";

        public string DeleteVersionSql { get; } = "DELETE FROM " + SqliteSql.QuoteIdentifier(TablePrefix + name) + " WHERE id = @p0 AND version = @p1";

        public string VersionSql { get; } = "SELECT version FROM " + SqliteSql.QuoteIdentifier(TablePrefix + name) + " WHERE id = @p0";

        /// <summary>Whether writes to this collection go to the change log (user collections only).</summary>
        public bool Logged { get; } = SqliteChangeLog.IsLogged(name);

        public string LogReplaceSql { get; } = SqliteChangeLog.ReplaceSql(Quoted(name));

        public string LogDeleteSql { get; } = SqliteChangeLog.DeleteSql(Quoted(name));

        public string LogDeleteVersionSql { get; } = SqliteChangeLog.DeleteVersionSql(Quoted(name));

        public ImmutableHashSet<string> ArrayPaths => Volatile.Read(ref _arrayPaths);

        /// <summary>
        /// The presence terms (<c>json_type(...) IS NOT NULL</c>) of this collection's partial unique indexes. Queries
        /// repeat exactly these so SQLite may use those indexes, and leave them out elsewhere, where they would only
        /// force a row read per index entry.
        /// </summary>
        public ImmutableHashSet<string> PresenceTerms
        {
            get => Volatile.Read(ref _presenceTerms);
            set => Volatile.Write(ref _presenceTerms, value);
        }

        public ImmutableArray<string> IndexNames
        {
            get => _indexNames;
            set => ImmutableInterlocked.InterlockedExchange(ref _indexNames, value);
        }

        public void AddArrayPaths(IEnumerable<string> paths) => ImmutableInterlocked.Update(ref _arrayPaths, (set, add) => set.Union(add), paths);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_initialized)
        {
            return;
        }

        await _lifecycleLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var writer = SqliteSession.Open(_connectionString, _busyTimeoutMs, _cacheSizeKiB);
            try
            {
                using (var wal = writer.Connection.CreateCommand())
                {
                    wal.CommandText = "PRAGMA journal_mode = WAL";
                    var mode = wal.ExecuteScalar() as string;
                    if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    {
                        throw new StorageUnavailableException($"SQLite refused WAL mode for '{_path}' (journal mode '{mode}').");
                    }
                }

                writer.ExecuteOnce("PRAGMA synchronous = NORMAL");

                // A group run again after a failing write runs each write in a savepoint (and a statement that may fail
                // half-way opens one of its own), whose statement journal keeps the original of each page the write changes. SQLite keeps that journal in memory up to 64 KiB and then moves it to a temporary file
                // (created, written and deleted by the writer thread, once per group): a create with a before trigger's run
                // record (a second table and its three indexes) crossed that line, and its writes cost the writer twice a
                // plain create's CPU (issue 9, item 10). In memory, the journal holds at most the pages one write changes,
                // which the page cache already holds dirty until the commit.
                // Index builds switch back to the default for their sort (ApplyIndexesAsync).
                writer.ExecuteOnce(TempStoreMemorySql);

                // Checkpoints fsync and, when automatic, run inside whichever commit crosses the threshold, which
                // shows up as that request's latency. The checkpointer thread does them instead and resets the log
                // before it reaches SqliteMaxWalBytes (SqliteDocumentStore.Checkpoints.cs); journal_size_limit trims a
                // larger file back to the bound at the first commit after a reset.
                writer.ExecuteOnce("PRAGMA wal_autocheckpoint = 0");
                writer.ExecuteOnce(FormattableString.Invariant($"PRAGMA journal_size_limit = {_maxWalBytes}"));
                writer.ExecuteOnce($"CREATE TABLE IF NOT EXISTS {ArrayPathsTable} (collection TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (collection, path)) WITHOUT ROWID");
                writer.ExecuteOnce(SqliteChangeLog.CreateSql);
                if (writer.Command(SqliteChangeLog.HasOriginColumnSql).ExecuteScalar() is 0L)
                {
                    writer.ExecuteOnce(SqliteChangeLog.AddOriginColumnSql);
                }

                InitializeRunsTable(writer);
                _lastSequence = writer.Command(SqliteChangeLog.LastSequenceSql).ExecuteScalar() is long last ? last : 0;
                InitializeChangeLog(writer);
                LoadCollections(writer);
            }
            catch
            {
                writer.Dispose();
                throw;
            }

            _writer = writer;
            _checkpointer = StartCheckpointLoop(_stopping.Token);
            _pruner = Task.Run(() => PruneLoopAsync(_stopping.Token), CancellationToken.None);
            _writeLoop = StartWriteLoop();
            _initialized = true;
            SqliteStoreLog.Opened(_logger, _path, _collections.Count);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"Cannot open the SQLite store at '{_path}'.", ex);
        }
        finally
        {
            _lifecycleLock.Release();
        }
    }

    private void LoadCollections(SqliteSession session)
    {
        _collections.Clear();
        var indexes = new List<(string Table, string Index, string Sql)>();
        using (var command = session.Connection.CreateCommand())
        {
            command.CommandText = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('table', 'index') AND substr(tbl_name, 1, 2) = 'c_' AND sql IS NOT NULL";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var table = reader.GetString(2);
                if (reader.GetString(0) == "table")
                {
                    var name = table[TablePrefix.Length..];
                    _collections[name] = new CollectionState(name);
                }
                else
                {
                    indexes.Add((table, reader.GetString(1), reader.GetString(3)));
                }
            }
        }

        foreach (var (table, index, sql) in indexes)
        {
            if (_collections.TryGetValue(table[TablePrefix.Length..], out var state))
            {
                state.IndexNames = state.IndexNames.Add(index);
                if (sql.StartsWith("CREATE UNIQUE INDEX ", StringComparison.Ordinal))
                {
                    state.PresenceTerms = state.PresenceTerms.Union(PresenceTermPattern().Matches(sql).Select(m => m.Value));
                }
            }
        }

        using (var command = session.Connection.CreateCommand())
        {
            command.CommandText = $"SELECT collection, path FROM {ArrayPathsTable}";
            using var reader = command.ExecuteReader();
            var paths = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            while (reader.Read())
            {
                var collection = reader.GetString(0);
                if (!paths.TryGetValue(collection, out var list))
                {
                    paths[collection] = list = [];
                }

                list.Add(reader.GetString(1));
            }

            foreach (var (collection, list) in paths)
            {
                if (_collections.TryGetValue(collection, out var state))
                {
                    state.AddArrayPaths(list);
                }
            }
        }
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
            return Read(session => Convert.ToInt64(session.Command("SELECT 1").ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1);
        }
        catch (Exception ex) when (ex is SqliteException or StorageUnavailableException or IOException or UnauthorizedAccessException)
        {
            SqliteStoreLog.PingFailed(_logger, ex);
            return false;
        }
    }

    public async Task CreateCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        ValidateCollectionName(collection);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (_collections.ContainsKey(collection))
        {
            return;
        }

        await RunOnWriterAsync(writer =>
        {
            var state = EnsureTable(writer, collection);
            _collections.TryAdd(collection, state);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task DropCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        ValidateCollectionName(collection);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await RunOnWriterAsync(writer =>
        {
            InTransaction(writer, () =>
            {
                writer.ExecuteOnce("DROP TABLE IF EXISTS " + SqliteSql.QuoteIdentifier(TablePrefix + collection));
                writer.Execute($"DELETE FROM {ArrayPathsTable} WHERE collection = @p0", [collection]);
            });
            _collections.TryRemove(collection, out _);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task ApplyIndexesAsync(string collection, IReadOnlyList<IndexDefinition> indexes, CancellationToken cancellationToken = default)
    {
        ValidateCollectionName(collection);
        ArgumentNullException.ThrowIfNull(indexes);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await RunOnWriterAsync(writer =>
        {
            CollectionState? created = null;
            ImmutableArray<string> names = [];

            // temp_store = MEMORY would also keep an index build's sort in memory however large the collection: the
            // build sorts as SQLite does by default, spilling to temporary files past the cache size.
            writer.ExecuteOnce(TempStoreDefaultSql);
            try
            {
                InTransaction(writer, () =>
                {
                    var state = _collections.TryGetValue(collection, out var existing) ? existing : created = EnsureTable(writer, collection);
                    var prefix = state.Table + "__";
                    var wanted = new Dictionary<string, IndexDefinition>(StringComparer.Ordinal);
                    foreach (var index in indexes)
                    {
                        if (index.Fields.Count == 0)
                        {
                            throw new ArgumentException("An index needs at least one field.", nameof(indexes));
                        }

                        wanted[prefix + index.Name] = index;
                    }

                    var current = new List<string>();
                    using (var list = writer.Connection.CreateCommand())
                    {
                        list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = @t AND sql IS NOT NULL";
                        list.Parameters.AddWithValue("@t", state.Table);
                        using var reader = list.ExecuteReader();
                        while (reader.Read())
                        {
                            current.Add(reader.GetString(0));
                        }
                    }

                    foreach (var name in current.Where(n => !wanted.ContainsKey(n)))
                    {
                        writer.ExecuteOnce("DROP INDEX IF EXISTS " + SqliteSql.QuoteIdentifier(name));
                        SqliteStoreLog.IndexDropped(_logger, collection, name);
                    }

                    foreach (var (name, index) in wanted.Where(w => !current.Contains(w.Key)))
                    {
                        try
                        {
                            writer.ExecuteOnce(CreateIndexSql(state.Table, name, index));
                        }
                        catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
                        {
                            throw new UniqueIndexViolationException(collection, index.Name, 0, ex);
                        }

                        SqliteStoreLog.IndexCreated(_logger, collection, name);
                    }

                    names = [.. wanted.Keys];
                });
            }
            finally
            {
                writer.ExecuteOnce(TempStoreMemorySql);
            }

            var target = created ?? _collections[collection];
            target.IndexNames = names;
            target.PresenceTerms = indexes.Where(i => i.Unique).SelectMany(PresenceTerms).ToImmutableHashSet(StringComparer.Ordinal);
            if (created is not null)
            {
                _collections.TryAdd(collection, created);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The partial-index predicate terms of a unique index: "every indexed field is present".</summary>
    internal static IEnumerable<string> PresenceTerms(IndexDefinition index) =>
        index.Fields.Where(f => f.Path != SystemFields.Id).Select(f => SqliteSql.JsonType(SqliteSql.SortPath(f.Path)) + " IS NOT NULL");

    // Matches the terms PresenceTerms writes into CREATE UNIQUE INDEX ... WHERE (single quotes doubled inside the path).
    [GeneratedRegex(@"json_type\(data, '(?:[^']|'')*'\) IS NOT NULL", RegexOptions.CultureInvariant)]
    private static partial Regex PresenceTermPattern();

    /// <summary>
    /// Keys are the sort expressions (rank, value) per field in the field's direction, so queries filtering or
    /// sorting on those fields use the index; non-unique indexes end with the id to match the service's tiebreak.
    /// </summary>
    internal static string CreateIndexSql(string table, string indexName, IndexDefinition index)
    {
        var columns = new List<string>();
        var present = PresenceTerms(index).ToList();
        foreach (var field in index.Fields)
        {
            var direction = field.Descending ? " DESC" : " ASC";
            var (rank, value) = SqliteSql.SortKey(field.Path);
            if (field.Path != SystemFields.Id)
            {
                columns.Add(rank + direction);
            }

            columns.Add(value + direction);
        }

        if (!index.Unique && !index.Fields.Any(f => f.Path == SystemFields.Id))
        {
            columns.Add("id");
        }

        var sql = (index.Unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") + SqliteSql.QuoteIdentifier(indexName)
            + " ON " + SqliteSql.QuoteIdentifier(table) + " (" + string.Join(", ", columns) + ")";
        if (index.Unique && present.Count > 0)
        {
            sql += " WHERE " + string.Join(" AND ", present);
        }

        return sql;
    }

    public async Task<JsonObject?> GetAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var state = await StateForReadAsync(collection, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return null;
        }

        return Read(session =>
        {
            var command = session.Command(state.GetSql, [id]);
            return command.ExecuteScalar() is string json ? ParseDocument(json) : null;
        }, missingTable: null, cancellationToken);
    }

    public async Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var state = await StateForReadAsync(collection, cancellationToken).ConfigureAwait(false);
        if (state is null || query.Limit <= 0)
        {
            return [];
        }

        var text = SqliteFilterTranslator.Select(state.Table, query, state.ArrayPaths, state.PresenceTerms);
        return Budgeted<IReadOnlyList<JsonObject>>(
            collection,
            query.Timeout,
            (session, stop) => RunQuery(session, collection, state, query, text, stop),
            missingTable: [],
            cancellationToken);
    }

    // A query's rows on a session (QueryAsync, and QuerySnapshotAsync inside its read transaction).
    private static List<JsonObject> RunQuery(SqliteSession session, string collection, CollectionState state, DocumentQuery query, SqliteCommandText text, CancellationToken stop)
    {
        var command = session.Command(text.Sql, text.Parameters);
        var results = new List<JsonObject>(Math.Min(query.Limit, 64));
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                stop.ThrowIfCancellationRequested();
                results.Add(ParseDocument(reader.GetString(0)));
            }
        }

        if (KeysetArrays.MayPage(query, results.Count)
            && SqliteFilterTranslator.ArrayProbe(state.Table, query.Filter, query.Sort, state.ArrayPaths, state.PresenceTerms) is { } probe)
        {
            using var reader = session.Command(probe.Command.Sql, probe.Command.Parameters).ExecuteReader();
            if (reader.Read())
            {
                var at = Enumerable.Range(0, probe.Candidates.Count).FirstOrDefault(i => !reader.IsDBNull(i + 1) && reader.GetInt64(i + 1) == 1);
                throw new SortOverArrayException(collection, KeysetArrays.SortPathOf(query.Sort, probe.Candidates[at]), reader.GetString(0));
            }
        }

        return results;
    }

    public Task<long> CountAsync(string collection, FilterNode filter, CancellationToken cancellationToken = default) =>
        CountAsync(collection, filter, timeout: null, cancellationToken);

    public async Task<long> CountAsync(string collection, FilterNode filter, TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var state = await StateForReadAsync(collection, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return 0;
        }

        var text = SqliteFilterTranslator.Count(state.Table, filter, state.ArrayPaths, state.PresenceTerms);
        return Budgeted(
            collection,
            timeout,
            (session, _) => (long)session.Command(text.Sql, text.Parameters).ExecuteScalar()!,
            missingTable: 0L,
            cancellationToken);
    }

    /// <summary>
    /// Runs a query or count on a pooled read connection so that it stops, in SQLite, when <paramref name="timeout"/>
    /// runs out (<see cref="QueryTimeoutException"/>) or <paramref name="cancellationToken"/> is cancelled. The session's
    /// progress handler watches one token that covers both; an interrupted connection is closed, not pooled again.
    /// </summary>
    private T Budgeted<T>(string collection, TimeSpan? timeout, Func<SqliteSession, CancellationToken, T> body, T missingTable, CancellationToken cancellationToken)
    {
        using var budget = timeout is { } limit ? new CancellationTokenSource(limit, _time) : null;
        using var linked = budget is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
        var stop = linked?.Token ?? cancellationToken;
        _metrics?.QueryStarted();
        try
        {
            return Read(
                session =>
                {
                    session.Stop = stop;
                    try
                    {
                        return body(session, stop);
                    }
                    finally
                    {
                        session.Stop = CancellationToken.None;
                    }
                },
                missingTable,
                CancellationToken.None);
        }
        catch (Exception ex) when (IsStopped(ex) && cancellationToken.IsCancellationRequested)
        {
            _metrics?.QueryStopped(StorageMetrics.Cancelled);
            SqliteStoreLog.QueryStopped(_logger, collection, StorageMetrics.Cancelled);
            throw new OperationCanceledException("The query was cancelled.", ex, cancellationToken);
        }
        catch (Exception ex) when (IsStopped(ex) && budget is { IsCancellationRequested: true })
        {
            _metrics?.QueryStopped(StorageMetrics.TimedOut);
            SqliteStoreLog.QueryStopped(_logger, collection, StorageMetrics.TimedOut);
            throw new QueryTimeoutException(collection, timeout!.Value, ex);
        }
        finally
        {
            _metrics?.QueryEnded();
        }
    }

    // SQLITE_INTERRUPT from the progress handler, or the reader loop noticing the token between rows.
    private static bool IsStopped(Exception exception) =>
        exception is OperationCanceledException or SqliteException { SqliteErrorCode: 9 };

    /// <summary>
    /// Applies one operation and, for user collections, logs it in the same transaction (one extra statement; the
    /// before-image is copied inside SQLite from the row the write touches). Returns the change's sequence, or 0.
    /// </summary>
    private static long Apply(SqliteSession writer, CollectionState state, WriteOperation operation, int opIndex, long committedAt, ref List<(CollectionState, string)>? recorded)
    {
        switch (operation)
        {
            case InsertOperation { Utf8Json: { } utf8Json, Id: { } jsonId } insert:
            {
                // Given as JSON (a run record): its bytes are bound as they are, with no node tree to walk or serialize.
                RecordArrayPaths(writer, state, utf8Json.Span, ref recorded);
                var inserted = WithUniqueMapping(state, opIndex, () => writer.ExecuteUtf8(state.InsertSql, jsonId, 1, utf8Json.Span));
                if (inserted == 0)
                {
                    throw new DuplicateIdException(state.Name, jsonId, opIndex);
                }

                if (!state.Logged)
                {
                    return 0;
                }

                writer.Execute(SqliteChangeLog.InsertSql, [state.Name, jsonId, System.Text.Encoding.UTF8.GetString(utf8Json.Span), committedAt, SqliteChangeLog.OriginParameter(insert.Origin)]);
                return writer.LastInsertRowId;
            }

            case InsertOperation insert:
            {
                var (id, version) = Identity(insert.Document);
                RecordArrayPaths(writer, state, insert.Document, ref recorded);
                var json = Serialize(insert.Document);
                var inserted = WithUniqueMapping(state, opIndex, () => writer.Execute(state.InsertSql, [id, version, json]));
                if (inserted == 0)
                {
                    throw new DuplicateIdException(state.Name, id, opIndex);
                }

                if (!state.Logged)
                {
                    return 0;
                }

                writer.Execute(SqliteChangeLog.InsertSql, [state.Name, id, json, committedAt, SqliteChangeLog.OriginParameter(insert.Origin)]);
                return writer.LastInsertRowId;
            }

            case ReplaceOperation replace:
            {
                var (id, version) = Identity(replace.Document);
                RecordArrayPaths(writer, state, replace.Document, ref recorded);
                var json = Serialize(replace.Document);

                // Logged first, while the row still holds the before-image; a failing update rolls the log row back.
                var logged = state.Logged && writer.Execute(state.LogReplaceSql, [state.Name, json, committedAt, id, replace.ExpectedVersion, SqliteChangeLog.OriginParameter(replace.Origin)]) > 0;
                var sequence = logged ? writer.LastInsertRowId : 0;
                var updated = WithUniqueMapping(state, opIndex, () => writer.Execute(state.ReplaceSql, [version, json, id, replace.ExpectedVersion]));
                if (updated == 0)
                {
                    throw new VersionMismatchException(state.Name, id, StoredVersion(writer, state, id), opIndex);
                }

                return sequence;
            }

            case DeleteOperation delete:
            {
                var logged = state.Logged && (delete.ExpectedVersion is { } expectedLogged
                    ? writer.Execute(state.LogDeleteVersionSql, [state.Name, committedAt, delete.Id, SqliteChangeLog.OriginParameter(delete.Origin), expectedLogged])
                    : writer.Execute(state.LogDeleteSql, [state.Name, committedAt, delete.Id, SqliteChangeLog.OriginParameter(delete.Origin)])) > 0;
                var sequence = logged ? writer.LastInsertRowId : 0;
                var deleted = delete.ExpectedVersion is { } expected
                    ? writer.Execute(state.DeleteVersionSql, [delete.Id, expected])
                    : writer.Execute(state.DeleteSql, [delete.Id]);
                if (deleted == 0)
                {
                    throw new VersionMismatchException(state.Name, delete.Id, StoredVersion(writer, state, delete.Id), opIndex);
                }

                return sequence;
            }

            default:
                throw new NotSupportedException($"Write operation {operation.GetType().Name} is not supported.");
        }
    }

    private static int WithUniqueMapping(CollectionState state, int opIndex, Func<int> write)
    {
        try
        {
            return write();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && ex.Message.Contains("UNIQUE", StringComparison.Ordinal))
        {
            // The message names the SQLite index; report the definition's name (without the table prefix).
            var prefix = state.Table + "__";
            var index = state.IndexNames
                .Where(n => ex.Message.Contains("'" + n + "'", StringComparison.Ordinal))
                .OrderByDescending(n => n.Length)
                .FirstOrDefault();
            var name = index is null ? "unknown" : index.StartsWith(prefix, StringComparison.Ordinal) ? index[prefix.Length..] : index;
            throw new UniqueIndexViolationException(state.Name, name, opIndex, ex);
        }
    }

    private static long? StoredVersion(SqliteSession writer, CollectionState state, string id) =>
        writer.Command(state.VersionSql, [id]).ExecuteScalar() is long version ? version : null;

    private static (string Id, long Version) Identity(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var id = document[SystemFields.Id] is JsonValue idValue && idValue.TryGetValue<string>(out var s) ? s : null;
        if (string.IsNullOrEmpty(id))
        {
            throw new ArgumentException("A stored document needs a string _id.", nameof(document));
        }

        var version = document[SystemFields.Version] is JsonValue versionValue && versionValue.TryGetValue<long>(out var v) ? v : 0;
        return (id, version);
    }

    private static string Serialize(JsonObject document) => document.ToJsonString(DocumentJson);

    private static JsonObject ParseDocument(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>
    /// Records new array paths in the transaction and publishes them to readers before the commit. Adds them to
    /// <paramref name="recorded"/> too: should the write roll back, the in-memory set keeps them, so the table must
    /// get them again (see <see cref="RerecordArrayPaths"/>) or a later write with the same array would skip its row.
    /// </summary>
    private static void RecordArrayPaths(SqliteSession writer, CollectionState state, JsonObject document, ref List<(CollectionState, string)>? recorded)
    {
        HashSet<string>? found = null;
        CollectArrayPaths(document, string.Empty, state.ArrayPaths, ref found);
        RecordArrayPaths(writer, state, found, ref recorded);
    }

    /// <summary><see cref="RecordArrayPaths(SqliteSession, CollectionState, JsonObject, ref List{ValueTuple{CollectionState, string}}?)"/> for a document given as UTF-8 JSON.</summary>
    private static void RecordArrayPaths(SqliteSession writer, CollectionState state, ReadOnlySpan<byte> utf8Json, ref List<(CollectionState, string)>? recorded)
    {
        RecordArrayPaths(writer, state, ArrayPaths(utf8Json, state.ArrayPaths), ref recorded);
    }

    private static void RecordArrayPaths(SqliteSession writer, CollectionState state, HashSet<string>? found, ref List<(CollectionState, string)>? recorded)
    {
        if (found is null)
        {
            return;
        }

        foreach (var path in found)
        {
            writer.Execute(InsertArrayPathSql, [state.Name, path]);
            (recorded ??= []).Add((state, path));
        }

        state.AddArrayPaths(found);
    }

    /// <summary>
    /// The paths of <paramref name="utf8Json"/> (an object) that hold an array and are not in <paramref name="known"/>,
    /// as <see cref="CollectArrayPaths"/> finds them in a node tree (an array's elements share its path), or null.
    /// </summary>
    internal static HashSet<string>? ArrayPaths(ReadOnlySpan<byte> utf8Json, ImmutableHashSet<string> known)
    {
        HashSet<string>? found = null;
        var reader = new Utf8JsonReader(utf8Json);

        // The path of each open container, and whether it is an array. The name read last stays raw bytes until its
        // value turns out to be a container: a scalar's name is never decoded.
        var paths = new List<(string Path, bool Array)>();
        ReadOnlySpan<byte> rawName = default;
        string? escapedName = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    rawName = reader.ValueSpan;
                    escapedName = reader.ValueIsEscaped ? reader.GetString() : null;
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                {
                    string path;
                    if (paths.Count == 0)
                    {
                        path = string.Empty;
                    }
                    else if (paths[^1].Array)
                    {
                        path = paths[^1].Path;
                    }
                    else
                    {
                        var name = escapedName ?? System.Text.Encoding.UTF8.GetString(rawName);
                        path = paths[^1].Path.Length == 0 ? name : paths[^1].Path + "." + name;
                    }

                    var array = reader.TokenType == JsonTokenType.StartArray;
                    if (array && !known.Contains(path))
                    {
                        (found ??= new HashSet<string>(StringComparer.Ordinal)).Add(path);
                    }

                    paths.Add((path, array));
                    break;
                }

                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    paths.RemoveAt(paths.Count - 1);
                    break;
            }
        }

        return found;
    }

    /// <summary>Writes array paths that a rolled-back write published to readers back into the table.</summary>
    private static void RerecordArrayPaths(SqliteSession writer, List<(CollectionState State, string Path)> recorded)
    {
        foreach (var (state, path) in recorded)
        {
            writer.Execute(InsertArrayPathSql, [state.Name, path]);
        }
    }

    internal static void CollectArrayPaths(JsonNode? node, string path, ImmutableHashSet<string> known, ref HashSet<string>? found)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (value is JsonObject or JsonArray)
                    {
                        CollectArrayPaths(value, path.Length == 0 ? key : path + "." + key, known, ref found);
                    }
                }

                break;
            case JsonArray array:
                if (!known.Contains(path))
                {
                    (found ??= new HashSet<string>(StringComparer.Ordinal)).Add(path);
                }

                // Elements share the array's path: indexes are dropped.
                foreach (var element in array)
                {
                    if (element is JsonObject or JsonArray)
                    {
                        CollectArrayPaths(element, path, known, ref found);
                    }
                }

                break;
        }
    }

    private CollectionState EnsureTable(SqliteSession writer, string collection)
    {
        var state = new CollectionState(collection);
        writer.ExecuteOnce("CREATE TABLE IF NOT EXISTS " + SqliteSql.QuoteIdentifier(state.Table) + " (id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)");
        SqliteStoreLog.CollectionCreated(_logger, collection);
        return state;
    }

    private static void InTransaction(SqliteSession writer, Action body)
    {
        writer.Execute("BEGIN IMMEDIATE");
        try
        {
            body();
            writer.Execute("COMMIT");
        }
        catch
        {
            try
            {
                writer.Execute("ROLLBACK");
            }
            catch (SqliteException)
            {
                // SQLite may already have rolled back (e.g. after SQLITE_FULL); the original error matters.
            }

            throw;
        }
    }

    /// <summary>Cancels a long scan: <see cref="SqliteCommand.Cancel"/> interrupts the running statement.</summary>
    private static CancellationTokenRegistration Interruptible(SqliteCommand command, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? cancellationToken.Register(static c => ((SqliteCommand)c!).Cancel(), command) : default;

    private T Read<T>(Func<SqliteSession, T> body, T missingTable, CancellationToken cancellationToken = default)
    {
        try
        {
            return Read(body);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 9 && cancellationToken.IsCancellationRequested)
        {
            // SQLITE_INTERRUPT after Cancel(): report it as the cancellation it is.
            throw new OperationCanceledException("The query was cancelled.", ex, cancellationToken);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1 && ex.Message.Contains("no such table", StringComparison.Ordinal))
        {
            // Dropped concurrently: reads of an absent collection are empty.
            return missingTable;
        }
    }

    private T Read<T>(Func<SqliteSession, T> body)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_readers.TryTake(out var session))
        {
            try
            {
                session = SqliteSession.Open(_connectionString, _busyTimeoutMs, _cacheSizeKiB);
            }
            catch (SqliteException ex)
            {
                throw new StorageUnavailableException("Cannot open a SQLite connection.", ex);
            }
        }

        var healthy = false;
        try
        {
            var result = body(session);
            healthy = true;
            return result;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 5 or 6 or 10 or 14)
        {
            throw new StorageUnavailableException("The SQLite store failed to read.", ex);
        }
        finally
        {
            if (healthy && !_disposed && _readers.Count < _maxPooledReaders)
            {
                _readers.Add(session);
            }
            else
            {
                session.Dispose();
            }
        }
    }

    private async ValueTask<CollectionState?> StateForReadAsync(string collection, CancellationToken cancellationToken)
    {
        ValidateCollectionName(collection);
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return _collections.TryGetValue(collection, out var state) ? state : null;
    }

    private ValueTask EnsureInitializedAsync(CancellationToken cancellationToken) =>
        _initialized ? ValueTask.CompletedTask : new ValueTask(InitializeAsync(cancellationToken));

    private static void ValidateCollectionName(string collection)
    {
        ArgumentNullException.ThrowIfNull(collection);
        if (!CollectionName().IsMatch(collection))
        {
            throw new ArgumentException($"'{collection}' is not a valid collection name.", nameof(collection));
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:[a-z][a-z0-9_-]{0,62}|_[A-Za-z0-9_-]{1,63})\z")]
    private static partial System.Text.RegularExpressions.Regex CollectionName();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) == 1)
        {
            return;
        }

        _stopping.Cancel();
        _checkpointer.GetAwaiter().GetResult();
        _pruner.GetAwaiter().GetResult();
        _stopping.Dispose();

        // Writes already queued still commit (their callers wait for them); later ones are refused.
        _writes.Writer.TryComplete();
        _writeLoop.GetAwaiter().GetResult();
        _lifecycleLock.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                // Leave a compact database file behind: everything checkpointed, the WAL emptied.
                _writer?.ExecuteOnce("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            catch (SqliteException ex)
            {
                SqliteStoreLog.CheckpointFailed(_logger, ex);
            }

            _writer?.Dispose();
            _writer = null;
            while (_readers.TryTake(out var session))
            {
                session.Dispose();
            }

            // Waiting change readers wake up and find the store disposed instead of waiting forever.
            _committed.TrySetResult();
        }
        finally
        {
            _lifecycleLock.Release();
        }
    }
}

internal static partial class SqliteStoreLog
{
    [LoggerMessage(EventId = 2116, Level = LogLevel.Debug, Message = "Reset the SQLite write-ahead log ({Mode}) at {Frames} frames: writes held back {HeldMs:F1} ms, {Attempts} attempts")]
    public static partial void WalReset(ILogger logger, string mode, long frames, int attempts, double heldMs);

    [LoggerMessage(EventId = 2118, Level = LogLevel.Debug, Message = "SQLite checkpoint: {Frames} frames in the log, {Copied} copied, in {ElapsedMs:F1} ms (writes not held back)")]
    public static partial void Checkpointed(ILogger logger, long frames, long copied, double elapsedMs);

    [LoggerMessage(EventId = 2119, Level = LogLevel.Debug, Message = "A reset of the SQLite write-ahead log ({Mode}) gave up after {Attempts} attempts: a reader stayed in the log; writes were held back {HeldMs:F1} ms; a later round retries")]
    public static partial void ResetBusy(ILogger logger, string mode, int attempts, double heldMs);

    [LoggerMessage(EventId = 2114, Level = LogLevel.Warning, Message = "The SQLite write-ahead log holds {Bytes} bytes, over its bound of {Bound}, and a reader outlasted the checkpoint's wait; the next round retries")]
    public static partial void CheckpointBusy(ILogger logger, long bytes, long bound);

    [LoggerMessage(EventId = 2115, Level = LogLevel.Debug, Message = "Stopped a query on {Collection}: {Reason}")]
    public static partial void QueryStopped(ILogger logger, string collection, string reason);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "SQLite checkpoint failed; the WAL keeps the data and the next checkpoint retries")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2117, Level = LogLevel.Warning, Message = "Could not record the array paths of a rolled-back write group; readers keep them and the next write that holds an array there records it")]
    public static partial void ArrayPathsNotRecorded(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2120, Level = LogLevel.Information, Message = "Moved {Count} function run records from {OldTable} to {Table} (once, for a data dir of an earlier version)")]
    public static partial void RunsMoved(ILogger logger, int count, string oldTable, string table);

    [LoggerMessage(EventId = 2121, Level = LogLevel.Information, Message = "Replaced the function runs index {OldIndex} with {Index} (once, for a data dir of an earlier version)")]
    public static partial void RunsIndexReplaced(ILogger logger, string oldIndex, string index);

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Opened SQLite store {Path} with {Collections} collections")]
    public static partial void Opened(ILogger logger, string path, int collections);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Ensured table for collection {Collection}")]
    public static partial void CollectionCreated(ILogger logger, string collection);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Created index {Index} on {Collection}")]
    public static partial void IndexCreated(ILogger logger, string collection, string index);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Dropped index {Index} on {Collection}")]
    public static partial void IndexDropped(ILogger logger, string collection, string index);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "SQLite store ping failed")]
    public static partial void PingFailed(ILogger logger, Exception exception);
}
