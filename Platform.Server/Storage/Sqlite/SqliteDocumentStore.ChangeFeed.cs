using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// The change feed of the SQLite store. <see cref="WriteAsync"/> appends one row per operation on a user collection
/// to <c>baas_changes</c> inside the write's own transaction, so the log holds a change exactly when its data is
/// committed; after the commit it publishes the new last sequence and wakes waiting readers. Readers page through
/// the log on pooled read connections and, once caught up, wait for that wake-up: an idle feed costs nothing.
/// A background loop prunes the log by <see cref="ChangeFeedOptions"/>, a chunk at a time between writes.
/// </summary>
/// <remarks>
/// Dropping a collection logs nothing (no per-document deletes): the realtime layer ends subscriptions of a dropped
/// collection itself. SQLite serves one server process, so the feed is in-process only.
/// </remarks>
public sealed partial class SqliteDocumentStore : IChangeFeed
{
    private const int ChangePageSize = 256;
    private const int PruneChunkSize = 2000;
    private static readonly TimeSpan PruneInterval = TimeSpan.FromSeconds(10);

    // The last committed sequence, published after each commit. Readers compare their position with it to know
    // whether to read or to wait, so an idle reader never queries.
    private long _lastSequence;

    // Completed and replaced after each commit that logged changes: a reader takes the current one, then checks
    // _lastSequence, then waits on it, so no commit can slip between its check and its wait.
    private TaskCompletionSource _committed = NewCommitSignal();

    public async Task<string> GetPositionAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return SqliteChangeLog.FormatPosition(Volatile.Read(ref _lastSequence));
    }

    public IAsyncEnumerable<StoredChange> ReadAsync(string after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(after);
        return ReadChangesAsync(after, cancellationToken);
    }

    private async IAsyncEnumerable<StoredChange> ReadChangesAsync(string after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (!SqliteChangeLog.TryParsePosition(after, out var position))
        {
            throw new ChangeHistoryUnavailableException(after, $"'{after}' is not a position of this change feed.");
        }

        if (position > Volatile.Read(ref _lastSequence))
        {
            // Ahead of everything committed: a position of another (or a restored) database.
            throw new ChangeHistoryUnavailableException(after, $"Position {after} is not a position of this change feed.");
        }

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
                var current = SqliteChangeLog.FormatPosition(position);
                throw new ChangeHistoryUnavailableException(current, $"The changes after position {current} are no longer retained.");
            }

            foreach (var (sequence, change) in page)
            {
                yield return change;
                position = sequence;
            }
        }
    }

    private List<(long Sequence, StoredChange Change)> ReadChangePage(long position, CancellationToken cancellationToken) =>
        Read(
            session =>
            {
                var command = session.Command(SqliteChangeLog.PageSql, [position, ChangePageSize]);
                using var interrupt = Interruptible(command, cancellationToken);
                using var reader = command.ExecuteReader();
                var page = new List<(long, StoredChange)>();
                while (reader.Read())
                {
                    page.Add(SqliteChangeLog.ReadRow(reader));
                }

                return page;
            },
            missingTable: [],
            cancellationToken);

    /// <summary>Called under the write lock right after a commit that logged changes up to <paramref name="sequence"/>.</summary>
    private void PublishCommitted(long sequence)
    {
        Volatile.Write(ref _lastSequence, sequence);
        Interlocked.Exchange(ref _committed, NewCommitSignal()).TrySetResult();
    }

    // Continuations run on the thread pool, never inline on the writer while it holds the write lock.
    private static TaskCompletionSource NewCommitSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Removes changes older than the retention period or beyond the retained count, except the newest one, which
    /// keeps its number from being handed out again. The scan for the time cutoff runs on a read connection; the
    /// deletes run in small chunks, each briefly taking the write lock, so writes interleave with a long prune instead
    /// of queueing behind it. Returns how many changes were removed.
    /// </summary>
    internal async Task<long> PruneChangesAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var last = Volatile.Read(ref _lastSequence);
        var cutoff = (_time.GetUtcNow() - _changeOptions.Retention).ToUnixTimeMilliseconds();
        var firstByTime = Read(session => session.Command(SqliteChangeLog.FirstRetainedByTimeSql, [cutoff]).ExecuteScalar() is long seq ? seq : last + 1);
        var firstByCount = last - _changeOptions.MaxRetained + 1;
        var keepFrom = Math.Min(Math.Max(firstByTime, firstByCount), last);

        long removed = 0;
        int chunk;
        do
        {
            chunk = 0;
            await WriteLockedAsync(writer => chunk = writer.Execute(SqliteChangeLog.PruneChunkSql, [keepFrom, PruneChunkSize]), cancellationToken).ConfigureAwait(false);
            removed += chunk;
        }
        while (chunk == PruneChunkSize);

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
}
