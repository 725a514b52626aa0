using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Platform.Server.Common;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// Group commit (issue 13, item 2). <see cref="WriteAsync"/> queues its operations and waits; one loop takes what is
/// queued (up to <see cref="StorageOptions.SqliteGroupCommitMaxOperations"/> operations), runs it in one
/// <c>BEGIN IMMEDIATE</c> transaction, commits once, and only then completes each caller. While a group commits the
/// next one gathers, so under load a commit carries many writes and the per-commit cost (the write lock, the journal
/// write, the wake-up of change readers) is paid once for all of them; a lone write commits alone, at once.
/// </summary>
/// <remarks>
/// A group runs without savepoints, so SQLite copies no page into a statement journal for each write (a savepoint per
/// write keeps the original of every page the write changes, to roll that write back alone). When a write of the group
/// fails (duplicate id, version mismatch, unique index), the whole transaction is rolled back, nothing of it committed
/// or acknowledged, and the group runs again, each write inside its own <c>SAVEPOINT</c>: the failing write is rolled
/// back to its savepoint and fails alone, with the same error, while the others commit. The change log's numbers are
/// given out by the commit that keeps them, so the rerun leaves neither a gap nor a duplicate. A batch (one call with
/// several operations) is one savepoint, so it stays all-or-nothing. A failure of the store itself (busy, I/O, disk
/// full) fails every write of the group, none of which committed. A caller that cancels while its write is still queued
/// gets the cancellation and the write never runs; once taken into a group it runs to its end.
/// </remarks>
public sealed partial class SqliteDocumentStore
{
    // Not SingleReader: that channel cannot count what it holds, and QueuedWork needs the count.
    private readonly Channel<WriterWork> _writes = Channel.CreateUnbounded<WriterWork>();
    private Task _writeLoop = Task.CompletedTask;
    private long _commits;

    /// <summary>Write transactions committed by <see cref="WriteAsync"/> (a group counts once).</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    /// <summary>Writes and other work (prune chunks, resets, index builds) queued and not yet taken by the writer thread.</summary>
    internal int QueuedWork => _writes.Reader.Count;

    /// <summary>Every call is all or nothing within its group's transaction, whatever it holds.</summary>
    public bool CombinedWritesAreCheap => true;

    public async Task WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
        {
            return;
        }

        foreach (var operation in operations)
        {
            ValidateCollectionName(operation.Collection);
        }

        cancellationToken.ThrowIfCancellationRequested();
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var pending = new PendingWrite(operations);
        await QueueAsync(pending, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="body"/> on the writer thread with the write connection, in its turn among the queued writes
    /// (first come, first served): whatever else needs SQLite's write lock (change-log prune chunks, log resets, index
    /// builds, holds) goes through the same queue as the writes, so a write waits for at most the work queued before
    /// it, never for a caller that keeps coming back for the lock. Failures of the store become
    /// <see cref="StorageUnavailableException"/>; anything else <paramref name="body"/> throws reaches the caller as it is.
    /// </summary>
    private Task RunOnWriterAsync(Action<SqliteSession> body, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return QueueAsync(new ExclusiveWork(body), cancellationToken);
    }

    /// <summary>The value of <c>PRAGMA <paramref name="name"/></c> on the write connection, read in the writer's turn (tests, diagnostics).</summary>
    internal async Task<object?> WriterPragmaAsync(string name, CancellationToken cancellationToken = default)
    {
        object? value = null;
        await RunOnWriterAsync(writer => value = writer.Command("PRAGMA " + name).ExecuteScalar(), cancellationToken).ConfigureAwait(false);
        return value;
    }

    private async Task QueueAsync(WriterWork work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(work), this);
        using (cancellationToken.CanBeCanceled ? cancellationToken.Register(static (state, token) => ((WriterWork)state!).Cancel(token), work) : default)
        {
            await work.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the write loop on a thread of its own. Under steady writes the loop never waits, so as a thread-pool work
    /// item it would hold one of the pool's few threads (two on a 2-core machine) for good and every request would
    /// queue behind the rest; on its own thread a write also wakes it directly, without a trip through the pool's queue.
    /// </summary>
    private Task StartWriteLoop() => OwnThread.Start("baas-sqlite-writer", WriteLoop);

    /// <summary>
    /// Runs until <see cref="Dispose"/> completes the queue, doing what remains in it first. The only thread that writes
    /// (after start-up): it takes the queue in order, writes into groups (up to the bound, stopping at the first other
    /// work) and any other work alone, so each waits for what was queued before it and nothing else.
    /// </summary>
    private void WriteLoop()
    {
        var reader = _writes.Reader;
        var group = new List<PendingWrite>();
        WriterWork? next = null;
        while (next is not null || WaitToRead(reader))
        {
            if (next is null && !reader.TryRead(out next))
            {
                continue;
            }

            var work = next;
            next = null;
            if (work is ExclusiveWork exclusive)
            {
                if (exclusive.TryTake())
                {
                    RunExclusive(exclusive);
                }

                continue;
            }

            var operations = 0;
            while (true)
            {
                if (work is ExclusiveWork)
                {
                    // Its turn comes right after this group.
                    next = work;
                    break;
                }

                var pending = (PendingWrite)work;
                if (pending.TryTake())
                {
                    group.Add(pending);
                    operations += pending.Operations.Count;
                }

                if (operations >= _maxGroupOperations || !reader.TryRead(out work))
                {
                    break;
                }
            }

            if (group.Count > 0)
            {
                CommitGroup(group);
            }

            // Callers' continuations run elsewhere (RunContinuationsAsynchronously).
            foreach (var pending in group)
            {
                pending.Complete();
            }

            group.Clear();
        }
    }

    private void RunExclusive(ExclusiveWork work)
    {
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            work.Body(_writer!);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 5 or 6 or 10 or 13 or 14)
        {
            // BUSY, LOCKED, IOERR, FULL, CANTOPEN: the store, not the request, is at fault.
            work.Failure = new StorageUnavailableException("The SQLite store failed to write.", ex);
        }
        catch (Exception ex)
        {
            // Never lets the writer thread die: the caller hears of it.
            work.Failure = ex;
        }

        work.Complete();
    }

    /// <summary>Blocks the writer thread until work is queued (true) or the queue is completed and empty (false).</summary>
    private static bool WaitToRead(ChannelReader<WriterWork> reader)
    {
        var waiting = reader.WaitToReadAsync();
        return waiting.IsCompletedSuccessfully ? waiting.Result : waiting.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// On the writer thread: one transaction for the group; sets each write's <see cref="WriterWork.Failure"/>. The group
    /// runs first without savepoints. Should one of its writes fail, the whole transaction is rolled back (nothing of it
    /// was committed or acknowledged) and the group runs again with a savepoint per write, so that write fails alone.
    /// </summary>
    private void CommitGroup(List<PendingWrite> group)
    {
        var writer = _writer!;
        var committedAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var created = new Dictionary<string, CollectionState>(StringComparer.Ordinal);
        List<(CollectionState, string)>? recorded = null;
        long lastLogged = 0;
        try
        {
            if (!TryRunGroup(writer, group, savepoints: false, committedAt, created, ref recorded, out lastLogged))
            {
                _metrics?.SqliteGroupRerun();
                created.Clear();
                TryRunGroup(writer, group, savepoints: true, committedAt, created, ref recorded, out lastLogged);
            }
        }
        catch (Exception ex)
        {
            // Whatever it was, every caller of the group must hear of it: the loop must never stop with writes waiting.
            var failure = ex is SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 or 14 }
                ? new StorageUnavailableException("The SQLite store failed to write.", ex)
                : ex;
            foreach (var pending in group)
            {
                pending.Failure ??= failure;
            }

            if (recorded is not null)
            {
                TryRerecordArrayPaths(writer, recorded);
            }

            return;
        }

        foreach (var (name, state) in created)
        {
            _collections.TryAdd(name, state);
        }

        Interlocked.Increment(ref _commits);
        _metrics?.SqliteCommitted(group.Count);
        if (lastLogged > 0)
        {
            PublishCommitted(writer, lastLogged);
        }
    }

    /// <summary>
    /// Runs the group in one transaction and commits it (true), or, without savepoints, stops at the first write of
    /// several that fails and rolls the whole transaction back (false: nothing committed, no write's outcome set).
    /// With savepoints, a write that fails is rolled back to its savepoint and fails alone while the others commit.
    /// Throws, with the transaction rolled back, for a failure of the store, or of a lone write.
    /// </summary>
    private bool TryRunGroup(
        SqliteSession writer,
        List<PendingWrite> group,
        bool savepoints,
        long committedAt,
        Dictionary<string, CollectionState> created,
        ref List<(CollectionState, string)>? recorded,
        out long lastLogged)
    {
        lastLogged = 0;
        writer.Execute("BEGIN IMMEDIATE");
        try
        {
            if (recorded is not null)
            {
                // A rerun: the paths the rolled-back run published to readers stay published, and its writes, finding
                // them known, no longer record them; the table must hold them all at the commit.
                RerecordArrayPaths(writer, recorded);
            }

            foreach (var pending in group)
            {
                if (savepoints)
                {
                    writer.Execute("SAVEPOINT w");
                }

                Dictionary<string, CollectionState>? createdHere = null;
                try
                {
                    var logged = ApplyAll(writer, pending.Operations, committedAt, created, ref createdHere, ref recorded);
                    if (savepoints)
                    {
                        writer.Execute("RELEASE w");
                    }

                    foreach (var (name, state) in createdHere ?? [])
                    {
                        created[name] = state;
                    }

                    lastLogged = logged > 0 ? logged : lastLogged;
                }
                catch (Exception ex) when (!savepoints && group.Count > 1 && IsWriteFault(writer, ex))
                {
                    // The others must not fail with it: the caller runs the group again, a savepoint per write. (A
                    // lone write's failure is the transaction's: it reaches the caller as it is, below.)
                    writer.Execute("ROLLBACK");
                    return false;
                }
                catch (Exception ex) when (savepoints && IsWriteFault(writer, ex))
                {
                    writer.Execute("ROLLBACK TO w");
                    writer.Execute("RELEASE w");
                    if (recorded is not null)
                    {
                        // Paths this group published stay published; the table must hold them all at the commit.
                        RerecordArrayPaths(writer, recorded);
                    }

                    pending.Failure = ex;
                }
            }

            writer.Execute("COMMIT");
            return true;
        }
        catch
        {
            TryRollback(writer);
            throw;
        }
    }

    /// <summary>Applies one write's operations; returns the last change sequence it logged, or 0.</summary>
    private long ApplyAll(
        SqliteSession writer,
        IReadOnlyList<WriteOperation> operations,
        long committedAt,
        Dictionary<string, CollectionState> created,
        ref Dictionary<string, CollectionState>? createdHere,
        ref List<(CollectionState, string)>? recorded)
    {
        long lastLogged = 0;
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            if (operation is SqliteRunInsert run)
            {
                // Not a collection's document: a row of the runs table (SqliteDocumentStore.FunctionRuns.cs).
                InsertRun(writer, run, i);
                continue;
            }

            if (!_collections.TryGetValue(operation.Collection, out var state)
                && !created.TryGetValue(operation.Collection, out state)
                && (createdHere is null || !createdHere.TryGetValue(operation.Collection, out state)))
            {
                state = EnsureTable(writer, operation.Collection);
                (createdHere ??= new Dictionary<string, CollectionState>(StringComparer.Ordinal))[operation.Collection] = state;
            }

            if (Apply(writer, state, operation, i, committedAt, ref recorded) is > 0 and var logged)
            {
                lastLogged = logged;
            }
        }

        return lastLogged;
    }

    /// <summary>
    /// A failure of this write alone, which its savepoint undoes: anything but a fault of the store (busy, I/O, full,
    /// cannot open), and only while the transaction is still open (SQLite ends it by itself after some errors).
    /// </summary>
    private static bool IsWriteFault(SqliteSession writer, Exception exception) =>
        exception is not (SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 or 14 } or OutOfMemoryException)
        && SQLitePCL.raw.sqlite3_get_autocommit(writer.Connection.Handle) == 0;

    private static void TryRollback(SqliteSession writer)
    {
        try
        {
            writer.Execute("ROLLBACK");
        }
        catch (SqliteException)
        {
            // SQLite may already have rolled back (e.g. after SQLITE_FULL); the original error matters.
        }
    }

    /// <summary>After a rolled-back group: the paths it published to readers go into the table on their own.</summary>
    private void TryRerecordArrayPaths(SqliteSession writer, List<(CollectionState, string)> recorded)
    {
        try
        {
            InTransaction(writer, () => RerecordArrayPaths(writer, recorded));
        }
        catch (SqliteException ex)
        {
            // Readers keep the paths (a superset is only slower, never wrong); the table catches up on the next
            // write that holds an array there once the store recovers.
            SqliteStoreLog.ArrayPathsNotRecorded(_logger, ex);
        }
    }

    /// <summary>What the writer thread takes from its queue, in order.</summary>
    private abstract class WriterWork
    {
        private const int Queued = 0;
        private const int Taken = 1;
        private const int Cancelled = 2;

        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _state;

        public Task Completion => _done.Task;

        /// <summary>Why this work did not complete; null when it did.</summary>
        public Exception? Failure { get; set; }

        /// <summary>Takes the work, unless its caller cancelled first.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        /// <summary>Cancels the work if the writer has not taken it yet; taken work runs to its end.</summary>
        public void Cancel(CancellationToken token)
        {
            if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
            {
                _done.TrySetCanceled(token);
            }
        }

        public void Complete()
        {
            if (Failure is null)
            {
                _done.TrySetResult();
            }
            else
            {
                _done.TrySetException(Failure);
            }
        }
    }

    /// <summary>One queued <see cref="WriteAsync"/> call: joins a group.</summary>
    private sealed class PendingWrite(IReadOnlyList<WriteOperation> operations) : WriterWork
    {
        public IReadOnlyList<WriteOperation> Operations { get; } = operations;
    }

    /// <summary>Work of <see cref="RunOnWriterAsync"/>: runs alone, between groups.</summary>
    private sealed class ExclusiveWork(Action<SqliteSession> body) : WriterWork
    {
        public Action<SqliteSession> Body { get; } = body;
    }
}
