using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Platform.Server.Common;

namespace Platform.Server.Storage.Sqlite;

/// <summary>
/// Checkpoints of the write-ahead log (issue 11: the log stays bounded; issue 13, item 6: no write waits on a long
/// checkpoint). SQLite's automatic checkpoint is off; a thread of its own (<c>baas-sqlite-checkpointer</c>) runs one
/// round every <see cref="StorageOptions.SqliteCheckpointInterval"/> on a connection of its own:
/// <list type="number">
/// <item>a PASSIVE checkpoint: copies the committed frames into the database file and fsyncs it, without holding back
/// any write or read. This is where the time of a checkpoint goes (the copy and the fsyncs), and writes go on
/// meanwhile.</item>
/// <item>once the log approaches <see cref="StorageOptions.SqliteMaxWalBytes"/> (<see cref="ResetThreshold"/>: it could
/// reach the bound by the round after next at the pace of the fastest of the last eight rounds, and holds at least half
/// of it): a reset, so that the next commit writes the log from its beginning again instead of growing it. A reset
/// needs a moment where every frame is copied and no reader still reads the log; with writes and reads arriving all the
/// time that moment never comes by itself (issue 11 measured 3.98 GB of log in 90 s), so the round makes one: more
/// PASSIVE checkpoints copy what was committed during the first, while what they find left still shrinks, then the round
/// queues the reset on the writer thread (writes queued after it wait for it, as for any write; it waits for the writes queued before it) and runs RESTART checkpoints, which copy only
/// the frames of the last few milliseconds and wait at most <see cref="StorageOptions.SqliteWalResetWait"/> for the
/// reads in flight. Reads that start meanwhile read the database
/// file and do not hold it up. Writes are held back for that short step only, never for the copy of a whole interval;
/// a read that outlasts the wait makes the reset give up until a later round.</item>
/// <item>the fallback, only past the bound: while a long read keeps its snapshot, nothing after it can be copied. Once
/// the log has stayed over the bound for <see cref="StorageOptions.SqliteCheckpointWait"/>, the reset waits up to that
/// long for the reads in flight, with writes held back: the only way to keep the log bounded when long reads overlap
/// without end.</item>
/// </list>
/// <c>journal_size_limit</c> is the bound, so the first commit after a reset trims a larger file back to it. Commits are
/// durable in the log either way: checkpoints change how large the log gets, never what survives a crash.
/// </summary>
public sealed partial class SqliteDocumentStore
{
    // Before a reset: copies after the first while the last one found more than SmallTailFrames new frames and fewer than
    // the copy before it (the tail still shrinks; under steady writes it settles at what commits during one copy).
    private const int MaxTailCopies = 8;
    private const long SmallTailFrames = 64;

    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private Task _checkpointer = Task.CompletedTask;
    private SqliteSession? _checkpointSession;
    private long _frameBytes;

    // Since when the log has been over the bound (Stopwatch timestamp), or 0.
    private long _overBoundSince;

    // Frames in the log at the previous round's first copy (0 after a reset): what the log grew by since is the pace.
    private long _previousRoundFrames;

    // What the log grew by in each of the last rounds (bytes, a ring): the pace is the fastest of them, since writes
    // come in bursts and one slow round must not let the next burst carry the log past the bound.
    private readonly long[] _recentGrowth = new long[8];
    private int _recentGrowthNext;


    /// <summary>Starts the checkpoint loop on a thread of its own, so a slow fsync never holds a thread-pool thread.</summary>
    private Task StartCheckpointLoop(CancellationToken stopping) => OwnThread.Start("baas-sqlite-checkpointer", () => CheckpointLoop(stopping));

    private void CheckpointLoop(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_checkpointInterval, _time);
        try
        {
            while (timer.WaitForNextTickAsync(stopping).AsTask().GetAwaiter().GetResult())
            {
                Checkpoint(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            _checkpointGate.Wait(CancellationToken.None);
            _checkpointSession?.Dispose();
            _checkpointSession = null;
            _checkpointGate.Release();
        }
    }

    /// <summary>One checkpoint round now (tests; the loop runs them on its own).</summary>
    internal async Task<WalCheckpoint> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await Task.Run(() => Checkpoint(cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One round (see the type's summary); never throws for a failure of SQLite, which the next round retries.</summary>
    private WalCheckpoint Checkpoint(CancellationToken cancellationToken)
    {
        _checkpointGate.Wait(cancellationToken);
        try
        {
            if (_checkpointSession is null)
            {
                // No busy handler: a checkpoint that would wait returns at once, and Reset polls in fine steps instead
                // of SQLite's sleeps of 1, 2, 5, 10, ... ms.
                _checkpointSession = SqliteSession.Open(_connectionString, busyTimeoutMs: 0, _cacheSizeKiB);
                _frameBytes = Convert.ToInt64(_checkpointSession.Command("PRAGMA page_size").ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) + 24;
            }

            var session = _checkpointSession;
            var first = Run(session, "PASSIVE", out var elapsed);
            _metrics?.SqliteCheckpointed("passive", elapsed);
            SqliteStoreLog.Checkpointed(_logger, first.Log, first.Copied, elapsed.TotalMilliseconds);
            var inUse = LogBytes(first.Log);
            var now = Stopwatch.GetTimestamp();
            if (inUse <= _maxWalBytes)
            {
                _overBoundSince = 0;
            }
            else if (_overBoundSince == 0)
            {
                _overBoundSince = now;
            }

            // A log SQLite restarted by itself (a commit found it all copied and no reader in it) is shorter than before;
            // right after a reset (previous 0) a log no commit has restarted yet counts whole, which only errs early.
            _recentGrowth[_recentGrowthNext] = LogBytes(first.Log >= _previousRoundFrames ? first.Log - _previousRoundFrames : first.Log);
            _recentGrowthNext = (_recentGrowthNext + 1) % _recentGrowth.Length;
            _previousRoundFrames = first.Log;
            if (inUse <= ResetThreshold(_maxWalBytes, _recentGrowth.Max()))
            {
                return new WalCheckpoint(inUse, WalBytes(), WalCheckpointOutcome.None);
            }

            // Copies what was committed during the first copy, and again while a copy still found more than a little
            // new (at most MaxTailCopies times), so that the reset below, which holds writes back while it copies the
            // rest and syncs both files, has only the last few milliseconds of commits to copy (issue 13, item 6).
            var previous = first.Log;
            var previousAppended = long.MaxValue;
            for (var copies = 0; copies < MaxTailCopies; copies++)
            {
                var next = Run(session, "PASSIVE", out elapsed);
                _metrics?.SqliteCheckpointed("passive", elapsed);
                SqliteStoreLog.Checkpointed(_logger, next.Log, next.Copied, elapsed.TotalMilliseconds);
                var appended = next.Log - previous;
                previous = next.Log;
                if (next.Busy || appended < 0 || appended <= SmallTailFrames || appended >= previousAppended)
                {
                    break;
                }

                previousAppended = appended;
            }
            if (_overBoundSince != 0 && Stopwatch.GetElapsedTime(_overBoundSince, now).TotalMilliseconds >= _checkpointWaitMs)
            {
                return Reset(session, _checkpointWaitMs, forced: true, cancellationToken);
            }

            return Reset(session, _resetWaitMs, forced: false, cancellationToken);
        }
        catch (SqliteException ex)
        {
            SqliteStoreLog.CheckpointFailed(_logger, ex);
            _checkpointSession?.Dispose();
            _checkpointSession = null;
            return new WalCheckpoint(-1, WalBytes(), WalCheckpointOutcome.Failed);
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    /// <summary>
    /// Holds writes back (the reset runs on the writer thread, in its turn among the queued writes, so writes queue
    /// behind it instead of spinning in SQLite's busy handler) and runs RESTART checkpoints until one succeeds (everything
    /// copied, no reader left in the log: the next commit starts the log from its beginning) or <paramref name="waitMs"/>
    /// has passed. Each attempt that finds nothing new to copy costs no fsync; between attempts the thread yields, then
    /// sleeps a millisecond at a time.
    /// </summary>
    private WalCheckpoint Reset(SqliteSession session, int waitMs, bool forced, CancellationToken cancellationToken)
    {
        var held = TimeSpan.Zero;
        var result = default(CheckpointResult);
        var attempts = 0;
        SqliteException? failure = null;
        RunOnWriterAsync(
            _ =>
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    while (true)
                    {
                        result = Run(session, "RESTART", out TimeSpan _);
                        attempts++;
                        if (!result.Busy || Stopwatch.GetElapsedTime(started).TotalMilliseconds >= waitMs || cancellationToken.IsCancellationRequested)
                        {
                            break;
                        }

                        Thread.Sleep(attempts < 50 ? 0 : 1);
                    }
                }
                catch (SqliteException ex)
                {
                    // Handed to the round as it is (logged there, the session reopened), not as a failed write.
                    failure = ex;
                }

                held = Stopwatch.GetElapsedTime(started);
            },
            cancellationToken).GetAwaiter().GetResult();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        var mode = forced ? "forced" : "reset";
        _metrics?.SqliteCheckpointed(mode, held);
        _metrics?.SqliteWalReset(result.Busy ? "busy" : mode);
        if (result.Busy)
        {
            SqliteStoreLog.ResetBusy(_logger, mode, attempts, held.TotalMilliseconds);
            if (forced)
            {
                SqliteStoreLog.CheckpointBusy(_logger, LogBytes(result.Log), _maxWalBytes);
            }

            return new WalCheckpoint(LogBytes(result.Log), WalBytes(), forced ? WalCheckpointOutcome.ForcedBusy : WalCheckpointOutcome.Busy);
        }

        _overBoundSince = 0;
        _previousRoundFrames = 0;
        SqliteStoreLog.WalReset(_logger, mode, result.Log, attempts, held.TotalMilliseconds);

        // Everything is copied and no reader is left in the log: the next commit writes it from its beginning.
        return new WalCheckpoint(0, WalBytes(), forced ? WalCheckpointOutcome.Forced : WalCheckpointOutcome.Reset);
    }

    /// <summary>
    /// The log size over which a round resets the log: once it could reach the bound by the round after next at the pace
    /// of the fastest of the last eight intervals (<paramref name="grownBytes"/>), so that a log growing slowly is reset
    /// rarely, near its bound, instead of every time it passes half of it; never under half the bound, so a log that
    /// grows a quarter of the bound per interval or faster is reset as soon as it passes half (issue 13, item 6: each
    /// reset holds the writes queued after it back for a moment).
    /// </summary>
    internal static long ResetThreshold(long maxWalBytes, long grownBytes) =>
        Math.Max(maxWalBytes / 2, maxWalBytes - (2 * Math.Max(0, grownBytes)));

    private static CheckpointResult Run(SqliteSession session, string mode, out TimeSpan elapsed)
    {
        var started = Stopwatch.GetTimestamp();
        using var reader = session.Command("PRAGMA wal_checkpoint(" + mode + ")").ExecuteReader();
        reader.Read();
        var result = new CheckpointResult(reader.GetInt64(0) != 0, reader.GetInt64(1), reader.GetInt64(2));
        elapsed = Stopwatch.GetElapsedTime(started);
        return result;
    }

    /// <summary>The bytes of log in use for <paramref name="frames"/> frames (the header, then a header per page).</summary>
    private long LogBytes(long frames) => frames <= 0 ? 0 : 32 + (frames * _frameBytes);

    /// <summary>The size of the write-ahead log file, 0 when there is none.</summary>
    internal long WalBytes()
    {
        var wal = new FileInfo(_path + "-wal");
        return wal.Exists ? wal.Length : 0;
    }

    /// <summary>What <c>PRAGMA wal_checkpoint</c> answers: whether it had to give up, frames in the log, frames copied.</summary>
    private readonly record struct CheckpointResult(bool Busy, long Log, long Copied);
}

/// <summary>What one checkpoint round did.</summary>
internal enum WalCheckpointOutcome
{
    /// <summary>Copied what there was; the log is under half the bound, so no reset was needed.</summary>
    None,

    /// <summary>The log is reset: the next commit writes it from its beginning.</summary>
    Reset,

    /// <summary>The fallback past the bound reset the log after holding writes back for readers.</summary>
    Forced,

    /// <summary>A reset held writes back for its whole wait (<c>SqliteWalResetWait</c>) and gave up; a later round retries.</summary>
    Busy,

    /// <summary>The fallback held writes back for its whole wait (<c>SqliteCheckpointWait</c>) and gave up; a later round retries.</summary>
    ForcedBusy,

    /// <summary>SQLite failed; logged, and the next round retries.</summary>
    Failed,
}

/// <summary>One checkpoint round's result: log bytes in use after it (-1 when it failed), the log file's size, the outcome.</summary>
internal readonly record struct WalCheckpoint(long LogBytes, long FileBytes, WalCheckpointOutcome Outcome);
