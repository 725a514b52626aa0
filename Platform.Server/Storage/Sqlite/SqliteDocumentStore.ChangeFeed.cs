using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// The change feed of the SQLite store. <see cref="WriteAsync"/> appends one row per operation on a user collection
/// to <c>baas_changes</c> inside the write's own transaction, so the log holds a change exactly when its data is
/// committed; after the commit it publishes the new last sequence and wakes waiting readers. Readers page through
/// the log on pooled read connections and, once caught up, wait for that wake-up: an idle feed costs nothing.
/// A background loop prunes the log by age (<see cref="ChangeFeedOptions.Retention"/>, extended by holds) and count,
/// a chunk at a time, each chunk queued on the writer thread behind the writes queued before it; the byte bound (<see cref="ChangeFeedOptions.MaxBytes"/>) is enforced right after
/// each commit that passes it, so no burst of large writes can outgrow it between two rounds. Holds
/// (<see cref="IChangeFeedRetention"/>) live in <c>baas_change_holds</c>, beside the log.
/// </summary>
/// <remarks>
/// Dropping a collection logs nothing (no per-document deletes): the realtime layer ends subscriptions of a dropped
/// collection itself. SQLite serves one server process, so the feed is in-process only.
/// </remarks>
public sealed partial class SqliteDocumentStore : IChangeFeed, IChangeFeedRetention
{
    private const int ChangePageSize = 256;

    // A page of the feed stops after the row that takes it past this many characters of images (at least one row
    // is read), so a reader of large documents holds a few of them at a time, not 256.
    private const long ChangePageMaxChars = 4 * 1024 * 1024;
    private const int ByteBoundScanSize = 1024;
    // Small enough that one chunk holds writes back for about a millisecond (a write waits for at most one).
    private const int PruneChunkSize = 500;
    private static readonly TimeSpan PruneInterval = TimeSpan.FromSeconds(10);

    // The last committed sequence, published after each commit. Readers compare their position with it to know
    // whether to read or to wait, so an idle reader never queries.
    private long _lastSequence;

    // Completed and replaced after each commit that logged changes: a reader takes the current one, then checks
    // _lastSequence, then waits on it, so no commit can slip between its check and its wait.
    private TaskCompletionSource _committed = NewCommitSignal();

    // Which positions are of this database's history (a restored backup's are not all): set at start-up.
    private SqliteFeedEpochs _epochs = null!;

    // Bytes of the images in the log: counted at start-up, then kept on the writer thread by commits and prunes.
    private long _logBytes;

    public bool HoldsExtendHistory => true;

    public async Task SetHoldAsync(string name, string position, CancellationToken cancellationToken = default)
    {
        ChangeFeedHolds.ValidateName(name);
        ArgumentNullException.ThrowIfNull(position);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (!_epochs.TryResolve(position, out var sequence) || sequence > Volatile.Read(ref _lastSequence))
        {
            throw new ArgumentException($"'{position}' is not a position of this change feed.", nameof(position));
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await RunOnWriterAsync(writer => writer.Execute(SqliteChangeLog.SetHoldSql, [name, sequence, now]), cancellationToken).ConfigureAwait(false);
    }

    public async Task ReleaseHoldAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await RunOnWriterAsync(writer => writer.Execute(SqliteChangeLog.ReleaseHoldSql, [name]), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, string>> GetHoldsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return Read(session =>
        {
            using var reader = session.Command(SqliteChangeLog.ListHoldsSql).ExecuteReader();
            var holds = new SortedDictionary<string, string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                holds[reader.GetString(0)] = _epochs.Format(reader.GetInt64(1));
            }

            return (IReadOnlyDictionary<string, string>)holds;
        });
    }

    /// <summary>Bytes of document images the log holds now (what <see cref="ChangeFeedOptions.MaxBytes"/> bounds).</summary>
    internal long ChangeLogBytes => Interlocked.Read(ref _logBytes);

    public async Task<string> GetPositionAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return _epochs.Format(Volatile.Read(ref _lastSequence));
    }

    /// <summary>The position is the sequence number of the latest committed change (0 before the first).</summary>
    public bool PositionIsLatestChange => true;

    /// <summary>Positions are sequence numbers in this database's history (<see cref="SqliteFeedEpochs"/>): compared as numbers.</summary>
    public int? ComparePositions(string a, string b) =>
        _epochs is { } epochs && epochs.TryResolve(a, out var left) && epochs.TryResolve(b, out var right) ? left.CompareTo(right) : null;

    /// <summary>
    /// The query and the last logged sequence in one read transaction: in WAL mode its first read fixes the snapshot
    /// both statements see, and a write logs its change in its own transaction, so a document's state is in the rows
    /// exactly when its change's sequence is at or below the one read.
    /// </summary>
    public async Task<FeedSnapshot> QuerySnapshotAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);

        // Read before the table is looked up: a collection without a table now had no document at that position either.
        var before = _epochs.Format(Volatile.Read(ref _lastSequence));
        var state = await StateForReadAsync(collection, cancellationToken).ConfigureAwait(false);
        if (state is null || query.Limit <= 0)
        {
            return new FeedSnapshot([], before);
        }

        var text = SqliteFilterTranslator.Select(state.Table, query, state.ArrayPaths, state.PresenceTerms);
        var snapshot = Budgeted<FeedSnapshot?>(
            collection,
            query.Timeout,
            (session, stop) =>
            {
                // A failure leaves the transaction open, but a session that failed is closed, never pooled again.
                session.Execute("BEGIN");
                var last = session.Command(SqliteChangeLog.LastSequenceSql).ExecuteScalar() is long sequence ? sequence : 0;
                var documents = RunQuery(session, collection, state, query, text, stop);
                session.Execute("COMMIT");
                return new FeedSnapshot(documents, _epochs.Format(last));
            },
            missingTable: null,
            cancellationToken);

        // Dropped meanwhile (the table is gone): as if it had no table when the position was read.
        return snapshot ?? new FeedSnapshot([], before);
    }

    public IAsyncEnumerable<StoredChange> ReadAsync(string after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(after);
        return ReadChangesAsync(after, null, cancellationToken);
    }

    public IAsyncEnumerable<StoredChange> ReadAsync(string after, Action opened, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(opened);
        return ReadChangesAsync(after, opened, cancellationToken);
    }

    private async IAsyncEnumerable<StoredChange> ReadChangesAsync(string after, Action? opened, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (!_epochs.TryResolve(after, out var position))
        {
            // Malformed, of another database, of a timeline a restored backup never reached, or of an epoch dropped
            // once the log no longer held the changes after it (SqliteFeedEpochs).
            throw new ChangeHistoryUnavailableException(after, $"'{after}' is not a position of this change feed (its changes are no longer retained, or it is another database's, or one after the backup this database was restored from).");
        }

        if (position > Volatile.Read(ref _lastSequence))
        {
            // Ahead of everything committed: a position of another (or a restored) database.
            throw new ChangeHistoryUnavailableException(after, $"Position {after} is not a position of this change feed.");
        }

        opened?.Invoke();

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(_disposed, this);
            var committed = Volatile.Read(ref _committed).Task;
            if (position >= Volatile.Read(ref _lastSequence))
            {
                await committed.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var page = ReadChangePage(position, cancellationToken);

            // Sequences are contiguous in committed history, and there is something after the position: a page that
            // does not continue right after it means the pruner removed what this reader had not read yet.
            if (page.Count == 0 || page[0].Sequence != position + 1)
            {
                var current = _epochs.Format(position);
                throw new ChangeHistoryUnavailableException(current, $"The changes after position {current} are no longer retained.");
            }

            foreach (var (sequence, change, _) in page)
            {
                yield return change;
                position = sequence;
            }
        }
    }

    private List<(long Sequence, StoredChange Change, long Chars)> ReadChangePage(long position, CancellationToken cancellationToken) =>
        Read(
            session =>
            {
                var command = session.Command(SqliteChangeLog.PageSql, [position, ChangePageSize]);
                using var interrupt = Interruptible(command, cancellationToken);
                using var reader = command.ExecuteReader();
                var page = new List<(long, StoredChange, long)>();
                long chars = 0;
                while (chars < ChangePageMaxChars && reader.Read())
                {
                    var row = SqliteChangeLog.ReadRow(reader, _epochs);
                    chars += row.Chars;
                    page.Add(row);
                }

                return page;
            },
            missingTable: [],
            cancellationToken);

    /// <summary>Called at start-up, before the writer thread starts, after the log's table exists: counts the bytes it holds.</summary>
    private void InitializeChangeLog(SqliteSession writer)
    {
        writer.ExecuteOnce(SqliteChangeLog.CreateHoldsSql);
        var oldest = writer.Command(SqliteChangeLog.FirstSequenceSql).ExecuteScalar() as long?;
        _epochs = SqliteFeedEpochs.Start(writer, Volatile.Read(ref _lastSequence), oldest, _time.GetUtcNow());
        Interlocked.Exchange(ref _logBytes, writer.Command(SqliteChangeLog.TotalBytesSql).ExecuteScalar() is long bytes ? bytes : 0);
    }

    /// <summary>
    /// Called on the writer thread right after a commit that logged changes up to <paramref name="sequence"/>: counts
    /// what the commit added, enforces the byte bound, then wakes the readers.
    /// </summary>
    private void PublishCommitted(SqliteSession writer, long sequence)
    {
        try
        {
            var previous = Volatile.Read(ref _lastSequence);
            var added = writer.Command(SqliteChangeLog.BytesAfterSql, [previous]).ExecuteScalar() is long bytes ? bytes : 0;
            Interlocked.Add(ref _logBytes, added);
            if (Interlocked.Read(ref _logBytes) > _changeOptions.MaxBytes)
            {
                EnforceByteBound(writer, sequence);
            }
        }
        catch (SqliteException ex)
        {
            // The write is committed; failing it now would tell its client it was not. The next commit retries.
            SqliteStoreLog.PruneFailed(_logger, ex);
        }

        Volatile.Write(ref _lastSequence, sequence);
        Interlocked.Exchange(ref _committed, NewCommitSignal()).TrySetResult();
    }

    /// <summary>
    /// On the writer thread: removes the oldest changes (never <paramref name="last"/>, the newest) until the log holds
    /// at most seven eighths of <see cref="ChangeFeedOptions.MaxBytes"/>, whatever holds say. Reading sizes costs a
    /// record header per change; the delete frees what the commits that passed the bound wrote.
    /// </summary>
    private void EnforceByteBound(SqliteSession writer, long last)
    {
        var target = _changeOptions.MaxBytes - (_changeOptions.MaxBytes / 8);
        var excess = Interlocked.Read(ref _logBytes) - target;
        long keepFrom = 0;
        long freed = 0;
        var scanned = ByteBoundScanSize;
        while (freed < excess && scanned == ByteBoundScanSize)
        {
            scanned = 0;
            using var reader = writer.Command(SqliteChangeLog.OldestSizesSql, [keepFrom, last, ByteBoundScanSize]).ExecuteReader();
            while (freed < excess && reader.Read())
            {
                scanned++;
                freed += reader.GetInt64(1);
                keepFrom = reader.GetInt64(0) + 1;
            }
        }

        if (keepFrom == 0)
        {
            return;
        }

        writer.Execute(SqliteChangeLog.PruneBeforeSql, [keepFrom]);
        var remaining = Interlocked.Add(ref _logBytes, -freed);
        SqliteStoreLog.ChangesPrunedBySize(_logger, keepFrom, remaining);
    }

    // Continuations run on the thread pool, never inline on the writer thread.
    private static TaskCompletionSource NewCommitSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Removes changes older than the retention period that no hold needs, and changes beyond the retained count or
    /// byte bound whatever holds say, except the newest one, which keeps its number from being handed out again. The
    /// scans for the cutoffs run on a read connection; the deletes run in chunks of <see cref="PruneChunkSize"/>, each
    /// queued on the writer thread as work of its own, and the next chunk is queued only once the previous one is done:
    /// writes queued meanwhile go first, so a write waits for at most one chunk however long the prune (issue 13, item 6;
    /// before, the pruner took the lock again right after each chunk, ahead of the writer it had just woken, and writes
    /// waited for whole prunes). Returns how many changes were removed.
    /// </summary>
    internal async Task<long> PruneChangesAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var last = Volatile.Read(ref _lastSequence);
        var cutoff = (_time.GetUtcNow() - _changeOptions.Retention).ToUnixTimeMilliseconds();
        var firstByTime = Read(session => session.Command(SqliteChangeLog.FirstRetainedByTimeSql, [cutoff]).ExecuteScalar() is long seq ? seq : last + 1);

        // A hold at position p needs every change after p: time-based pruning stops there.
        if (Read(session => session.Command(SqliteChangeLog.MinHoldSql).ExecuteScalar()) is long held)
        {
            firstByTime = Math.Min(firstByTime, held + 1);
        }

        var firstByCount = last - _changeOptions.MaxRetained + 1;
        var keepFrom = Math.Min(Math.Max(firstByTime, firstByCount), last);

        long removed = 0;
        int chunk;
        do
        {
            chunk = 0;
            await RunOnWriterAsync(
                writer =>
                {
                    var bytes = writer.Command(SqliteChangeLog.PruneChunkBytesSql, [keepFrom, PruneChunkSize]).ExecuteScalar() is long b ? b : 0;
                    chunk = writer.Execute(SqliteChangeLog.PruneChunkSql, [keepFrom, PruneChunkSize]);
                    Interlocked.Add(ref _logBytes, -bytes);
                },
                cancellationToken).ConfigureAwait(false);
            removed += chunk;
        }
        while (chunk == PruneChunkSize);

        if (Interlocked.Read(ref _logBytes) > _changeOptions.MaxBytes)
        {
            // Only after a lowered bound at start-up: commits enforce it themselves.
            await RunOnWriterAsync(writer => EnforceByteBound(writer, Volatile.Read(ref _lastSequence)), cancellationToken).ConfigureAwait(false);
        }

        if (removed > 0)
        {
            SqliteStoreLog.ChangesPruned(_logger, removed, keepFrom);
        }

        return removed;
    }

    private async Task PruneLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(PruneInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                try
                {
                    await PruneChangesAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SqliteException or StorageUnavailableException)
                {
                    SqliteStoreLog.PruneFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}

internal static partial class SqliteStoreLog
{
    [LoggerMessage(EventId = 2111, Level = LogLevel.Debug, Message = "Pruned {Count} changes; the change log now starts at {First}")]
    public static partial void ChangesPruned(ILogger logger, long count, long first);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Warning, Message = "Pruning the change log failed; the next round retries")]
    public static partial void PruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Debug, Message = "The change log passed Baas:Changes:MaxBytes; it now starts at {First} and holds {Bytes} bytes")]
    public static partial void ChangesPrunedBySize(ILogger logger, long first, long bytes);
}
