using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Platform.Server.Functions.Runs;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Functions.Triggers;

/// <summary>
/// Consumes the change feed for one function's <c>after</c> triggers on this node, while it holds the function's lease:
/// reads from the stored checkpoint, runs the function for each matching change (one document's changes in order,
/// different documents in parallel), retries failures with backoff until the last attempt (a dead letter), and moves the
/// checkpoint behind the oldest change not yet handled. Run records are committed in groups (one store write for the runs
/// that finished while the previous write waited for the store, carrying the checkpoint too), and a change counts as
/// handled only once its record is committed. Stopping (or losing the lease) abandons the changes in flight;
/// the next owner delivers them again from the checkpoint, with the same event ids.
/// </summary>
internal sealed class AfterTriggerConsumer : IDisposable
{
    private readonly IChangeFeed _feed;
    private readonly IFunctionExecutor _executor;
    private readonly FunctionLeases _leases;
    private readonly FunctionCheckpoints _checkpoints;
    private readonly TriggerRunRecorder _recorder;
    private readonly FunctionOptions _options;
    private readonly AfterTriggerOptions _triggerOptions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _node;
    private readonly CancellationTokenSource _stopping = new();
    private FunctionDefinition _definition;
    private volatile bool _forget;
    private Task _running = Task.CompletedTask;

    public AfterTriggerConsumer(
        FunctionDefinition definition,
        string node,
        IChangeFeed feed,
        IFunctionExecutor executor,
        FunctionLeases leases,
        FunctionCheckpoints checkpoints,
        TriggerRunRecorder recorder,
        IOptions<FunctionOptions> options,
        IOptions<AfterTriggerOptions> triggerOptions,
        TimeProvider time,
        ILogger logger)
    {
        _definition = definition;
        _node = node;
        _feed = feed;
        _executor = executor;
        _leases = leases;
        _checkpoints = checkpoints;
        _recorder = recorder;
        _options = options.Value;
        _triggerOptions = triggerOptions.Value;
        _time = time;
        _logger = logger;
    }

    public string Name => _definition.Name;

    /// <summary>The current version of the function; a new version applies to changes handled from then on.</summary>
    public FunctionDefinition Definition
    {
        get => Volatile.Read(ref _definition);
        set => Volatile.Write(ref _definition, value);
    }

    public void Start() => _running = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);

    /// <summary>
    /// Stops consuming and releases the lease. With <paramref name="forget"/> (the function was disabled, deleted or lost
    /// its last after trigger) the checkpoint is deleted too, so enabling it again starts at that moment.
    /// </summary>
    public async Task StopAsync(bool forget)
    {
        _forget = forget;
        await _stopping.CancelAsync();
        await _running;
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            FunctionLease? lease = null;
            try
            {
                lease = await _leases.TryAcquireAsync(Name, _node, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                AfterTriggerLog.LeaseFailed(_logger, ex, Name);
            }

            if (lease is null)
            {
                if (!await WaitAsync(_triggerOptions.LeaseRenewInterval, stopping))
                {
                    return;
                }

                continue;
            }

            AfterTriggerLog.LeaseAcquired(_logger, Name, _node);
            await ConsumeWhileLeasedAsync(lease, stopping);
        }
    }

    private async Task ConsumeWhileLeasedAsync(FunctionLease lease, CancellationToken stopping)
    {
        using var owned = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var holder = new LeaseHolder(lease);
        var renewing = RenewAsync(holder, owned);
        FunctionCheckpoint? checkpoint = null;
        void Lost()
        {
            holder.Lost = true;
            owned.Cancel();
        }

        try
        {
            await ConsumeAsync(c => checkpoint = c, Lost, owned.Token);
        }
        catch (OperationCanceledException) when (owned.IsCancellationRequested)
        {
            // Stopped, or the lease was lost.
        }
        catch (LeaseLostException)
        {
            Lost();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            AfterTriggerLog.ConsumeFailed(_logger, ex, Name, _options.RetryDelay);
            await WaitAsync(_options.RetryDelay, owned.Token);
        }
        finally
        {
            await owned.CancelAsync();
            await renewing;
        }

        if (holder.Lost)
        {
            AfterTriggerLog.LeaseLost(_logger, Name, _node);
            return;
        }

        if (!stopping.IsCancellationRequested)
        {
            // A failure above: carry on under the same lease.
            return;
        }

        // Shutting down or the function went away: hand over promptly, without waiting for the lease to expire.
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            if (_forget && checkpoint is not null)
            {
                await _checkpoints.DeleteAsync(checkpoint, bounded.Token);
            }

            await _leases.ReleaseAsync(holder.Current, bounded.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            AfterTriggerLog.LeaseFailed(_logger, ex, Name);
        }
    }

    private sealed class LeaseHolder(FunctionLease lease)
    {
        public FunctionLease Current { get; set; } = lease;

        public bool Lost { get; set; }
    }

    /// <summary>Renews the lease every <see cref="AfterTriggerOptions.LeaseRenewInterval"/>; cancels <paramref name="owned"/> when it is lost or expires unrenewed.</summary>
    private async Task RenewAsync(LeaseHolder holder, CancellationTokenSource owned)
    {
        var delay = UntilRenewalDue(holder.Current);
        while (await WaitAsync(delay, owned.Token))
        {
            // A failed renewal is retried one interval later (not at once: the store is likely still failing).
            delay = _triggerOptions.LeaseRenewInterval;
            try
            {
                var renewed = await _leases.RenewAsync(holder.Current, owned.Token);
                if (renewed is null)
                {
                    holder.Lost = true;
                    await owned.CancelAsync();
                    return;
                }

                holder.Current = renewed;
                delay = UntilRenewalDue(renewed);
            }
            catch (OperationCanceledException) when (owned.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                AfterTriggerLog.LeaseFailed(_logger, ex, Name);
                if (_time.GetUtcNow() >= holder.Current.ExpiresAt)
                {
                    // Could not renew in time: another node may own it now, so stop before two consume at once.
                    holder.Lost = true;
                    await owned.CancelAsync();
                    return;
                }
            }
        }
    }

    /// <summary>Consumes until cancelled; reports each saved checkpoint through <paramref name="saved"/>, and a checkpoint another node wrote through <paramref name="lost"/>.</summary>
    private async Task ConsumeAsync(Action<FunctionCheckpoint> saved, Action lost, CancellationToken cancellationToken)
    {
        var checkpoint = await _checkpoints.GetAsync(Name, cancellationToken);
        if (checkpoint is null)
        {
            checkpoint = await _checkpoints.CreateAsync(Name, await _feed.GetPositionAsync(cancellationToken), cancellationToken);
            AfterTriggerLog.Started(_logger, Name, checkpoint.Position);
        }
        else
        {
            await _checkpoints.HoldAsync(checkpoint, cancellationToken);
        }

        saved(checkpoint);
        while (true)
        {
            using var run = new FeedRun(this, checkpoint, saved, lost, cancellationToken);
            var gap = await run.RunAsync();
            checkpoint = run.Checkpoint;

            // The feed no longer holds what follows the checkpoint: record the gap once, then carry on from now.
            var resumeAt = await _feed.GetPositionAsync(cancellationToken);
            await _recorder.RecordMissedEventsAsync(Definition, checkpoint.Position, resumeAt, gap.Message, cancellationToken);
            AfterTriggerLog.MissedEvents(_logger, Name, checkpoint.Position, resumeAt);
            checkpoint = await _checkpoints.SaveAsync(checkpoint, resumeAt, cancellationToken) ?? throw new LeaseLostException(Name);
            saved(checkpoint);
        }
    }

    /// <summary>
    /// Time left until <paramref name="lease"/> is one renew interval old. Counted from when the lease was granted,
    /// not from when its write returned, so a slow store write does not push every later renewal back.
    /// </summary>
    private TimeSpan UntilRenewalDue(FunctionLease lease)
    {
        var due = lease.ExpiresAt - _triggerOptions.LeaseDuration + _triggerOptions.LeaseRenewInterval;
        var left = due - _time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task<bool> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private sealed class LeaseLostException(string function) : Exception($"The checkpoint of '{function}' was written by another node.");

    /// <summary>One pass over the feed from a checkpoint, until cancelled or until the feed's history runs out.</summary>
    private sealed class FeedRun : IDisposable
    {
        private readonly AfterTriggerConsumer _owner;
        private readonly Action<FunctionCheckpoint> _saved;
        private readonly Action _lost;
        private readonly CancellationToken _cancellationToken;
        private readonly CheckpointTracker _tracker;
        private readonly SemaphoreSlim _pendingSlots;
        private readonly SemaphoreSlim _parallel;
        private readonly SemaphoreSlim _progress = new(0);
        private readonly Dictionary<(string Collection, string Id), Queue<Work>> _lanes = [];
        private readonly List<PendingRecord> _records = [];
        private readonly Lock _gate = new();

        // Completed whenever no lane runs (a lane runs exactly while its key is in _lanes); replaced when one starts.
        private TaskCompletionSource _lanesIdle = CompletedSignal();

        public FeedRun(AfterTriggerConsumer owner, FunctionCheckpoint checkpoint, Action<FunctionCheckpoint> saved, Action lost, CancellationToken cancellationToken)
        {
            _owner = owner;
            _saved = saved;
            _lost = lost;
            _cancellationToken = cancellationToken;
            Checkpoint = checkpoint;
            _tracker = new CheckpointTracker(checkpoint.Position);
            _pendingSlots = new SemaphoreSlim(owner._triggerOptions.MaxPendingChanges);
            _parallel = new SemaphoreSlim(owner._triggerOptions.MaxParallelDocuments);
        }

        public FunctionCheckpoint Checkpoint { get; private set; }

        private sealed record Work(StoredChange Change, CheckpointTracker.Entry Entry);

        /// <summary>A run's record waiting for the group commit; <paramref name="Finishes"/> is its change when the run is the change's last (succeeded or dead letter).</summary>
        private sealed record PendingRecord(FunctionRunRecord Run, CheckpointTracker.Entry? Finishes, TaskCompletionSource Committed);

        /// <summary>Runs until cancelled (throws) or until the feed cannot continue (returns why, with every read change handled and saved).</summary>
        public async Task<ChangeHistoryUnavailableException> RunAsync()
        {
            using var stopSaver = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
            var saver = CommitLoopAsync(stopSaver.Token);
            try
            {
                var gap = await ReadAsync();
                await DrainLanesAsync();
                await stopSaver.CancelAsync();
                await saver;
                await SaveAsync(_cancellationToken);
                return gap;
            }
            finally
            {
                await stopSaver.CancelAsync();
                await DrainLanesAsync();
                await saver;
            }
        }

        public void Dispose()
        {
            _pendingSlots.Dispose();
            _parallel.Dispose();
            _progress.Dispose();
        }

        private async Task<ChangeHistoryUnavailableException> ReadAsync()
        {
            var position = Checkpoint.Position;
            var delay = _owner._options.RetryDelay;
            while (true)
            {
                try
                {
                    await foreach (var change in _owner._feed.ReadAsync(position, _cancellationToken))
                    {
                        await _pendingSlots.WaitAsync(_cancellationToken);
                        position = change.Sequence;
                        var entry = _tracker.Add(change.Sequence);
                        Dispatch(new Work(change, entry));
                        delay = _owner._options.RetryDelay;
                    }
                }
                catch (ChangeHistoryUnavailableException gap)
                {
                    return gap;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException && !_cancellationToken.IsCancellationRequested)
                {
                    // The store is down or the read broke: read again from the last change read, nothing is skipped.
                    AfterTriggerLog.FeedFailed(_owner._logger, ex, _owner.Name, position, delay);
                    await Task.Delay(delay, _owner._time, _cancellationToken);
                    delay = Min(delay * 2, _owner._options.MaxRetryDelay);
                }
            }
        }

        private void Dispatch(Work work)
        {
            var definition = _owner.Definition;
            if (!AfterTriggerEvents.Matches(definition, work.Change) || AfterTriggerEvents.Skip(definition, work.Change, _owner._options.MaxChainDepth) == SkipReason.OwnWrite)
            {
                Complete(work.Entry);
                return;
            }

            var key = (work.Change.Collection, work.Change.Id);
            lock (_gate)
            {
                if (_lanes.TryGetValue(key, out var queue))
                {
                    queue.Enqueue(work);
                    return;
                }

                if (_lanes.Count == 0)
                {
                    _lanesIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                _lanes[key] = new Queue<Work>();
            }

            // Started inline, not queued to the thread pool: the lane runs on the reader's thread until its run is
            // handed to a run thread (or waits for a parallel slot), so a change costs no thread-pool hop and no Task
            // of its own before it runs. Under load every change is a new document, so this is once per change.
            _ = RunLaneAsync(key, work);
        }

        /// <summary>One document's changes, one after another in feed order; leaves <see cref="_lanes"/> when it ends, however it ends.</summary>
        private async Task RunLaneAsync((string Collection, string Id) key, Work first)
        {
            var work = first;
            var ended = false;
            try
            {
                while (true)
                {
                    var entry = work.Entry;
                    await _owner.HandleAsync(work.Change, _parallel, (run, final) => SaveRunAsync(run, final ? entry : null), _cancellationToken);
                    Complete(entry);
                    lock (_gate)
                    {
                        // Under the same lock as Dispatch's enqueue: a change queued for this document is never left behind.
                        if (!_lanes[key].TryDequeue(out work!))
                        {
                            EndLane(key);
                            ended = true;
                            return;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
            {
                // Stopped: this document's changes are abandoned, delivered again from the checkpoint.
            }
            finally
            {
                if (!ended)
                {
                    lock (_gate)
                    {
                        EndLane(key);
                    }
                }
            }
        }

        /// <summary>Under <see cref="_gate"/>: the lane of <paramref name="key"/> has ended.</summary>
        private void EndLane((string Collection, string Id) key)
        {
            _lanes.Remove(key);
            if (_lanes.Count == 0)
            {
                _lanesIdle.TrySetResult();
            }
        }

        private void Complete(CheckpointTracker.Entry entry)
        {
            var released = _tracker.Complete(entry);
            if (released > 0)
            {
                _pendingSlots.Release(released);
                _progress.Release();
            }
        }

        private Task DrainLanesAsync()
        {
            lock (_gate)
            {
                return _lanesIdle.Task;
            }
        }

        private static TaskCompletionSource CompletedSignal()
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            signal.SetResult();
            return signal;
        }

        /// <summary>Queues a finished run's record for the next group commit; completes once it is committed.</summary>
        private Task SaveRunAsync(FunctionRunRecord run, CheckpointTracker.Entry? finishes)
        {
            var pending = new PendingRecord(run, finishes, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            lock (_gate)
            {
                _records.Add(pending);
            }

            _progress.Release();
            return pending.Committed.Task.WaitAsync(_cancellationToken);
        }

        /// <summary>
        /// The group commit: whenever run records are waiting or the checkpoint can move, commits the waiting records (up to
        /// <see cref="AfterTriggerOptions.MaxRunsPerCommit"/>) and the checkpoint in one store write. Coalesces: what finishes
        /// while a write waits for the store goes in the next one. The checkpoint written counts the changes this write's
        /// records finish as handled: record and checkpoint commit together or not at all.
        /// </summary>
        private async Task CommitLoopAsync(CancellationToken stop)
        {
            var delay = _owner._options.RetryDelay;
            var batch = new List<PendingRecord>();
            try
            {
                while (true)
                {
                    try
                    {
                        await _progress.WaitAsync(stop);
                        while (_progress.CurrentCount > 0)
                        {
                            await _progress.WaitAsync(stop);
                        }

                        lock (_gate)
                        {
                            var take = Math.Min(_records.Count, _owner._triggerOptions.MaxRunsPerCommit);
                            batch.AddRange(_records.GetRange(0, take));
                            _records.RemoveRange(0, take);
                            if (_records.Count > 0)
                            {
                                _progress.Release();
                            }
                        }

                        await CommitAsync(batch, stop);
                        foreach (var pending in batch)
                        {
                            pending.Committed.TrySetResult();
                        }

                        batch.Clear();
                        delay = _owner._options.RetryDelay;
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (LeaseLostException)
                    {
                        _lost();
                        return;
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        // Nothing of this write was committed: its runs count as not run (their lanes run them again, as when
                        // a run's own record could not be saved), and the checkpoint is tried again after a pause.
                        AfterTriggerLog.CheckpointFailed(_owner._logger, ex, _owner.Name, delay);
                        foreach (var pending in batch)
                        {
                            pending.Committed.TrySetException(ex);
                        }

                        batch.Clear();
                        try
                        {
                            await Task.Delay(delay, _owner._time, stop);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }

                        delay = Min(delay * 2, _owner._options.MaxRetryDelay);
                        _progress.Release();
                    }
                }
            }
            finally
            {
                // Stopped or lost: records not committed are abandoned with their changes (delivered again from the checkpoint).
                lock (_gate)
                {
                    batch.AddRange(_records);
                    _records.Clear();
                }

                foreach (var pending in batch)
                {
                    pending.Committed.TrySetCanceled(stop.IsCancellationRequested ? stop : new CancellationToken(canceled: true));
                }
            }
        }

        private async Task CommitAsync(List<PendingRecord> batch, CancellationToken cancellationToken)
        {
            var finishing = new HashSet<CheckpointTracker.Entry>(batch.Count);
            foreach (var pending in batch)
            {
                if (pending.Finishes is { } entry)
                {
                    finishing.Add(entry);
                }
            }

            var safe = _tracker.SafePositionIf(finishing);
            if (batch.Count == 0 && safe == Checkpoint.Position)
            {
                return;
            }

            var records = new WriteOperation[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                records[i] = _owner._recorder.Insert(batch[i].Run);
            }

            var next = await _owner._checkpoints.SaveWithAsync(Checkpoint, safe, records, cancellationToken);
            if (next is null)
            {
                // Another node wrote the checkpoint: it owns the function now, and these records were not committed.
                AfterTriggerLog.CheckpointTaken(_owner._logger, _owner.Name);
                throw new LeaseLostException(_owner.Name);
            }

            if (!ReferenceEquals(next, Checkpoint))
            {
                Checkpoint = next;
                _saved(next);
            }
        }

        private async Task SaveAsync(CancellationToken cancellationToken)
        {
            var safe = _tracker.SafePosition;
            if (safe == Checkpoint.Position)
            {
                return;
            }

            var next = await _owner._checkpoints.SaveAsync(Checkpoint, safe, cancellationToken);
            if (next is null)
            {
                // Another node wrote the checkpoint: it owns the function now.
                AfterTriggerLog.CheckpointTaken(_owner._logger, _owner.Name);
                throw new LeaseLostException(_owner.Name);
            }

            Checkpoint = next;
            _saved(next);
        }

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }

    /// <summary>Runs the function for one change: the chain-depth check, then attempts with backoff until success or the last attempt.</summary>
    private async Task HandleAsync(StoredChange change, SemaphoreSlim parallel, Func<FunctionRunRecord, bool, Task> save, CancellationToken cancellationToken)
    {
        var functionEvent = AfterTriggerEvents.ToEvent(change);
        var infrastructureDelay = _options.RetryDelay;
        for (var attempt = 1; ;)
        {
            var definition = Definition;
            try
            {
                if (AfterTriggerEvents.Skip(definition, change, _options.MaxChainDepth) == SkipReason.ChainTooDeep)
                {
                    await _recorder.RecordChainTooDeepAsync(definition, functionEvent, change.Origin!, _options.MaxChainDepth, cancellationToken);
                    AfterTriggerLog.ChainTooDeep(_logger, Name, functionEvent.Id, change.Origin!.Depth);
                    return;
                }

                var last = attempt > definition.Retries;
                var invocation = new FunctionInvocation
                {
                    RunId = RandomNumberGenerator.GetHexString(24, lowercase: true),
                    Trigger = RunTrigger.Document,
                    Attempt = attempt,
                    LastAttempt = last,
                    Event = functionEvent,
                    Depth = change.Origin?.Depth ?? 0,
                };
                FunctionRunRecord run;
                await parallel.WaitAsync(cancellationToken);
                try
                {
                    run = await _executor.RunUnrecordedAsync(definition, invocation, cancellationToken);
                }
                finally
                {
                    parallel.Release();
                }

                var finishedAt = _time.GetUtcNow();

                // Committed with the records of other runs (group commit) and, when this run is the change's last, with the
                // checkpoint moving past it; the change is handled once it is.
                await save(run, run.Status == RunStatus.Succeeded || last);

                if (run.Status == RunStatus.Succeeded)
                {
                    return;
                }

                if (last)
                {
                    AfterTriggerLog.DeadLetter(_logger, Name, functionEvent.Id, attempt);
                    return;
                }

                var delay = AfterTriggerEvents.RetryDelay(attempt, _options.RetryDelay, _options.MaxRetryDelay);
                AfterTriggerLog.RunFailed(_logger, Name, functionEvent.Id, attempt, delay);
                attempt++;

                // The backoff counts from the failure, not from the record's commit: a slow store must not stretch it.
                var remaining = finishedAt + delay - _time.GetUtcNow();
                if (remaining > TimeSpan.Zero)
                {
                    await Task.Delay(remaining, _time, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Not the function failing but the machinery (the store is down, say): the attempt did not happen, so it
                // is tried again, for as long as it takes. A change is never skipped.
                AfterTriggerLog.ExecuteFailed(_logger, ex, Name, functionEvent.Id, infrastructureDelay);
                await Task.Delay(infrastructureDelay, _time, cancellationToken);
                infrastructureDelay = infrastructureDelay * 2 < _options.MaxRetryDelay ? infrastructureDelay * 2 : _options.MaxRetryDelay;
            }
        }
    }
}
