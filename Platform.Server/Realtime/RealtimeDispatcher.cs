using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.RateLimiting;
using Platform.Server.Rules;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Realtime;

/// <summary>What <see cref="RealtimeDispatcher.Register"/> did: the subscription, where its events start, and whether a resume succeeded.</summary>
/// <param name="Subscription">The subscription.</param>
/// <param name="Sequence">The position its events start after.</param>
/// <param name="Resumed">Whether a resume succeeded (null: no resume asked).</param>
/// <param name="OutsideWindow">The resume position was not in the replay window: the stored feed may still hold it (<see cref="StoredResume"/>).</param>
internal sealed record Registration(Subscription Subscription, string Sequence, bool? Resumed, bool OutsideWindow = false);

/// <summary>Why <see cref="RealtimeDispatcher.TryConnect"/> refused a connection, or that it did not.</summary>
internal enum ConnectOutcome
{
    Accepted,
    NodeFull,
    ClientFull,
    ShuttingDown,
}

/// <summary>
/// The one fan-out of a node: every change read from <see cref="IChangeFeed"/> (by <see cref="ChangeFeedReader"/>)
/// is queued, in commit order, on each connection that has a subscription on its collection; each connection's own
/// worker matches it against that connection's subscriptions and sends the events, several per flush when it has a
/// backlog, each written from the change's frames encoded once per protocol (<see cref="ChangeFrames"/>). Matching
/// thus happens outside any shared lock, and a connection with costly filters delays only itself (its queue fills and
/// it is told to resync, as a slow reader is). The lock only numbers each change and orders registration against the
/// feed, so a subscription sees every change after its start position exactly once; the connections of a collection
/// are a copy-on-write array (<see cref="CollectionSubscribers.Recipients"/>), so a change is queued on them outside
/// the lock. A connection with nothing queued and no send in progress gets the change from the dispatcher's own
/// thread (matched and written right there, no wake-up of its worker); whoever sends for a connection holds its send
/// turn (<see cref="RealtimeConnection.TryEnterSend"/>), so its messages keep their order. The dispatcher also keeps a
/// bounded window of recent changes for <c>resumeAfter</c>.
/// </summary>
internal sealed class RealtimeDispatcher(
    IHubContext<RealtimeHub> hub,
    IOptions<RealtimeOptions> options,
    RealtimeMetrics metrics,
    CostlyMatcher costlyMatcher,
    TimeProvider time,
    ILogger<RealtimeDispatcher> logger)
{
    public const string OverflowReason = "overflow";
    public const string HistoryLostReason = "history_lost";
    public const string RulesChangedReason = "rules_changed";
    public const string SessionEndedReason = "session_ended";

    /// <summary>The node is shutting down: reconnect (to another node) and resume; nothing was lost.</summary>
    public const string ShutdownReason = "shutdown";

    /// <summary>The connection's client address spent its <see cref="RealtimeOptions.MatchBudgetPerClient"/> on costly matching.</summary>
    public const string MatchBudgetReason = "match_budget_exceeded";

    /// <summary>Every subscription id has this many lowercase hex characters (<see cref="ChangeFrames"/> relies on it).</summary>
    public const int SubscriptionIdLength = 24;

    /// <summary>Most queued messages a connection's worker writes with one flush when it has a backlog.</summary>
    public const int MaxMessagesPerFlush = 64;

    /// <summary>Connections a change is handed to before the dispatcher lets the thread pool send what it left behind, if anything (<see cref="DispatchAsync"/>).</summary>
    public const int FanOutSlice = 64;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, RealtimeConnection> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClientMatchBudget> _perClient = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CollectionSubscribers> _byCollection = new(StringComparer.Ordinal);
    private readonly LinkedList<DispatchedChange> _window = new();
    private readonly Dictionary<string, LinkedListNode<DispatchedChange>> _windowIndex = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<DispatchWaiter> _waiters = [];
    private string _position = "";
    private long _index;
    private long _windowBytes;
    private bool _draining;

    // The position right before the oldest change in the window: resuming from it replays the whole window.
    private string _windowStart = "";

    /// <summary>Completes once the feed position is known (<see cref="Start"/>).</summary>
    public Task Started => _started.Task;

    /// <summary>The position of the last change dispatched.</summary>
    public string Position
    {
        get
        {
            lock (_gate)
            {
                return _position;
            }
        }
    }

    /// <summary>Estimated bytes the replay window holds now.</summary>
    public long WindowBytes
    {
        get
        {
            lock (_gate)
            {
                return _windowBytes;
            }
        }
    }

    /// <summary>How many subscriptions the connection holds, or null when the node does not know it (anymore).</summary>
    public int? SubscriptionCount(string connectionId)
    {
        lock (_gate)
        {
            return _connections.TryGetValue(connectionId, out var connection) ? connection.Subscriptions.Count : null;
        }
    }

    /// <summary>Where the dispatcher sends a connection's messages, or null for a connection it does not hold (tests).</summary>
    internal IClientProxy? ProxyOf(string connectionId)
    {
        lock (_gate)
        {
            return _connections.TryGetValue(connectionId, out var connection) ? connection.Proxy : null;
        }
    }

    /// <summary>This node's connections and subscriptions, per collection: counts read under the lock, nothing copied but numbers.</summary>
    public RealtimeStatistics Statistics()
    {
        lock (_gate)
        {
            var collections = new List<CollectionSubscriptions>(_byCollection.Count);
            var subscriptions = 0;
            foreach (var (collection, list) in _byCollection)
            {
                collections.Add(new CollectionSubscriptions(collection, list.Subscriptions.Count));
                subscriptions += list.Subscriptions.Count;
            }

            collections.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return new RealtimeStatistics(_connections.Count, subscriptions, collections);
        }
    }

    public void Start(string position)
    {
        ArgumentException.ThrowIfNullOrEmpty(position);
        lock (_gate)
        {
            _position = position;
            _windowStart = position;
        }

        _started.TrySetResult();
    }

    /// <summary>
    /// Completes once the change at <paramref name="position"/> (and every one before it) has been dispatched, or the
    /// feed restarted: a subscription registered afterwards starts after everything committed before the position was
    /// read, as its snapshot (read later) does (issue: a change committed but not yet dispatched reached a new
    /// subscriber both in its snapshot and as an event). At once when <paramref name="compare"/> cannot order the
    /// positions (null): nothing to wait for then. Cancelling <paramref name="cancellationToken"/> stops the wait.
    /// </summary>
    public async Task WhenDispatchedAsync(string position, Func<string, string, int?> compare, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(position);
        ArgumentNullException.ThrowIfNull(compare);
        DispatchWaiter waiter;
        lock (_gate)
        {
            waiter = new DispatchWaiter(position, compare);
            if (waiter.ReachedBy(_position))
            {
                return;
            }

            _waiters.Add(waiter);
        }

        try
        {
            await waiter.Done.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }

            throw;
        }
    }

    /// <summary>
    /// Adds a connection, unless the node is at <see cref="RealtimeOptions.MaxConnections"/> or its client address at
    /// <see cref="RealtimeOptions.MaxConnectionsPerClient"/>.
    /// </summary>
    public ConnectOutcome TryConnect(HubCallerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var limits = options.Value;
        var http = context.GetHttpContext();
        var address = http is null ? null : RateLimitPartitions.ClientAddress(http);
        var connection = new RealtimeConnection(context, limits.SendQueueCapacity, time, address);
        lock (_gate)
        {
            if (_draining)
            {
                connection.Dispose();
                return ConnectOutcome.ShuttingDown;
            }

            if (limits.MaxConnections > 0 && _connections.Count >= limits.MaxConnections)
            {
                connection.Dispose();
                RealtimeLog.ConnectionRefused(logger, limits.MaxConnections);
                return ConnectOutcome.NodeFull;
            }

            if (address is not null)
            {
                if (!_perClient.TryGetValue(address, out var client))
                {
                    client = new ClientMatchBudget(address, time);
                }

                if (limits.MaxConnectionsPerClient > 0 && client.Connections >= limits.MaxConnectionsPerClient)
                {
                    connection.Dispose();
                    RealtimeLog.ClientConnectionRefused(logger, address, limits.MaxConnectionsPerClient);
                    return ConnectOutcome.ClientFull;
                }

                client.Connections++;
                _perClient[address] = client;
                connection.Client = client;
            }

            _connections.Add(context.ConnectionId, connection);
        }

        metrics.ConnectionOpened();
        connection.Proxy = (IClientProxy?)context.Features.Get<ConnectionProxy>() ?? hub.Clients.Client(connection.Id);
        connection.Direct = context.Features.Get<DirectChangeSender>();
        connection.Sender = Task.Run(() => RunAsync(connection), CancellationToken.None);
        return ConnectOutcome.Accepted;
    }

    /// <summary>Forgets a closed connection: its subscriptions, its queue, its worker.</summary>
    public async Task DisconnectAsync(string connectionId)
    {
        RealtimeConnection? connection;
        lock (_gate)
        {
            if (!_connections.Remove(connectionId, out connection))
            {
                return;
            }

            if (connection.Client is { } client && --client.Connections <= 0)
            {
                _perClient.Remove(client.Address);
            }

            RemoveAll(connection);
        }

        connection.Close();
        await connection.Sender;
        connection.Dispose();
        metrics.ConnectionClosed();
    }

    /// <summary>
    /// Registers a subscription at the current position. Its events (and, for a resume within the window, the missed
    /// ones) are held until <see cref="Activate"/>, which the hub calls once the result has been written.
    /// </summary>
    /// <exception cref="HubException">
    /// <c>too_many_subscriptions</c>, <c>connection_cost_exceeded</c>, or <c>unavailable</c> when the connection is closing.
    /// </exception>
    public Registration Register(string connectionId, SubscriptionSpec spec, string? resumeAfter)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var limits = options.Value;
        Subscription subscription;
        string position;
        List<DispatchedChange>? missed = null;
        bool? resumed = null;
        var outsideWindow = false;
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var connection) || connection.DropReason is not null)
            {
                throw new HubException(connection?.DropReason == SessionEndedReason ? RealtimeHub.SessionEndedRefusal : "unavailable: The connection is closing.");
            }

            if (connection.Subscriptions.Count >= limits.MaxSubscriptionsPerConnection)
            {
                throw new HubException($"too_many_subscriptions: A connection may hold at most {limits.MaxSubscriptionsPerConnection} subscriptions.");
            }

            if (connection.Cost + spec.Cost > limits.MaxConnectionFilterCost)
            {
                throw new HubException(
                    $"connection_cost_exceeded: This subscription's filter costs {spec.Cost}; the connection's subscriptions may cost "
                    + $"{limits.MaxConnectionFilterCost} together and already cost {connection.Cost}. Unsubscribe from something, or use "
                    + "cheaper filters (see 'Matching cost' in docs/realtime.md).");
            }

            subscription = new Subscription(NewId(), connection, spec, _index);
            if (resumeAfter is not null)
            {
                missed = Missed(resumeAfter, spec.Collection, limits);
                resumed = missed is not null;
                outsideWindow = missed is null;
            }

            connection.Subscriptions.Add(subscription.Id, subscription);
            connection.Cost += spec.Cost;
            connection.PublishSubscriptions();
            if (!_byCollection.TryGetValue(spec.Collection, out var subscribers))
            {
                subscribers = new CollectionSubscribers();
                _byCollection.Add(spec.Collection, subscribers);
            }

            subscribers.Add(subscription);
            position = _position;
            metrics.SubscriptionAdded();
        }

        // Matched outside the lock: a resume costs only its own caller.
        if (missed is { Count: > 0 } && !subscription.HoldReplayed(Replay(subscription, missed), limits.SendQueueCapacity))
        {
            // More missed events than the connection could queue: a snapshot is cheaper for everyone.
            resumed = false;
        }

        return new Registration(subscription, position, resumed, outsideWindow);
    }

    /// <summary>
    /// Holds the changes a resume read from the stored feed (those between the client's position and the
    /// subscription's start, in commit order) ahead of the live events held since registration. False when they are
    /// more than the connection could queue: a snapshot is cheaper then.
    /// </summary>
    public bool HoldStoredReplay(Subscription subscription, IReadOnlyList<StoredChange> missed)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(missed);
        var dispatched = missed.Select(change => new DispatchedChange(change, 0)).ToList();
        return dispatched.Count == 0 || subscription.HoldReplayed(Replay(subscription, dispatched), options.Value.SendQueueCapacity);
    }

    /// <summary>
    /// Holds the changes of the subscription's collection after <paramref name="after"/> that the dispatcher passed
    /// before the subscription was registered (a snapshot read at a position behind the registration's), ahead of the live
    /// events held since. Null when the replay window does not reach back to <paramref name="after"/> (or cannot order it);
    /// false when they are more than the connection could queue.
    /// </summary>
    public bool? HoldWindowReplay(Subscription subscription, string after, Func<string, string, int?> compare)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(compare);
        var limits = options.Value;
        var missed = new List<DispatchedChange>();
        lock (_gate)
        {
            Prune(limits);
            if (compare(after, _windowStart) is not >= 0)
            {
                return null;
            }

            foreach (var dispatched in _window)
            {
                if (dispatched.Index > subscription.StartIndex)
                {
                    // Registered before this one: it comes live.
                    break;
                }

                if (string.Equals(dispatched.Change.Collection, subscription.Spec.Collection, StringComparison.Ordinal)
                    && compare(dispatched.Change.Sequence, after) > 0)
                {
                    missed.Add(dispatched);
                }
            }
        }

        return missed.Count == 0 || subscription.HoldReplayed(Replay(subscription, missed), limits.SendQueueCapacity);
    }

    /// <summary>Releases the held events of a registered subscription (in order, by the connection's worker) and lets live ones through.</summary>
    public void Activate(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        // With held events, the worker releases them in its queue's order: behind what it matched already, before
        // what it has not.
        if (subscription.Removed || subscription.TryActivateEmpty())
        {
            return;
        }

        if (!subscription.Connection.Queue.Writer.TryWrite(new ConnectionWork(null, subscription)))
        {
            lock (_gate)
            {
                Overflow(subscription.Connection);
            }
        }
    }

    /// <summary>Ends a subscription; false when the connection has none with this id.</summary>
    public bool Unsubscribe(string connectionId, string subscriptionId)
    {
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var connection)
                || !connection.Subscriptions.TryGetValue(subscriptionId, out var subscription))
            {
                return false;
            }

            Remove(subscription);
            connection.PublishSubscriptions();
            metrics.SubscriptionsRemoved(1);
            return true;
        }
    }

    /// <summary>
    /// Queues one committed change on every connection with a subscription on its collection; their workers match it.
    /// Called in commit order by one reader, which awaits each change before the next. A connection whose queue is full
    /// is told to resync and closed.
    /// </summary>
    public async ValueTask DispatchAsync(StoredChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var limits = options.Value;
        DispatchedChange dispatched;
        ImmutableArray<RealtimeConnection> recipients;
        lock (_gate)
        {
            dispatched = new DispatchedChange(change, ++_index);
            _position = change.Sequence;
            if (_waiters.Count > 0)
            {
                ReleaseWaiters(all: false);
            }

            if (limits.ReplayEvents > 0 && limits.ReplayMaxBytes > 0)
            {
                _windowIndex[change.Sequence] = _window.AddLast(dispatched);
                _windowBytes += dispatched.EstimatedBytes;
            }
            else
            {
                _windowStart = change.Sequence;
            }

            Prune(limits);
            if (!_byCollection.TryGetValue(change.Collection, out var subscribers))
            {
                return;
            }

            recipients = subscribers.Recipients;
        }

        // Outside the lock: the array is never changed, only replaced. A subscription registered from now on starts
        // after this change (its StartIndex), and one removed meanwhile is skipped by its worker. A connection with
        // nothing queued gets the change right here, on this thread (TryDeliverHere); the others through their queue.
        List<RealtimeConnection>? overflowed = null;
        var sinceYield = 0;
        var sentHere = 0;
        var leftWork = false;
        foreach (var connection in recipients)
        {
            if (++sinceYield > FanOutSlice)
            {
                // A frame written through SignalR's own transport leaves a work item behind (its websocket send loop for
                // that connection) at the end of the thread pool's queue, and so does a change queued for a worker. Going on
                // through thousands of connections first would pile up thousands of them, each holding its connection's
                // buffers, until the cache holds none of them when they run; yielding lets the pool send this slice's frames
                // while they are still warm (issue 13 item 1). A slice that left nothing behind (every frame went to its
                // socket here) goes on without the yield, which cost a thread-pool wake-up per slice for nothing.
                sinceYield = 1;
                if (leftWork)
                {
                    leftWork = false;
                    await Task.Yield();
                }
            }

            if (connection.DropReason is not null || connection.IsClosed)
            {
                metrics.EventDropped("closing");
            }
            else if (TryDeliverHere(connection, dispatched, limits, out var sent, out var onSocket))
            {
                sentHere += sent;
                leftWork |= !onSocket;
                continue;
            }
            else if (connection.Queue.Writer.TryWrite(new ConnectionWork(dispatched, null)))
            {
                leftWork = true;
            }
            else
            {
                (overflowed ??= []).Add(connection);
            }
        }

        // Counted once per change, not per recipient: each count is a measurement for every listener of the meter.
        if (sentHere > 0)
        {
            metrics.EventsSent(sentHere);
        }

        if (overflowed is null)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var connection in overflowed)
            {
                // Closed or dropped since (its queue was completed): not an overflow.
                var open = connection.DropReason is null && !connection.IsClosed;
                metrics.EventDropped(open ? "overflow" : "closing");
                if (open)
                {
                    Overflow(connection);
                }
            }
        }
    }

    /// <summary>
    /// The feed lost the position this node had read to: changes may have been missed, so every connection is told
    /// to resync and closed, and reading restarts from <paramref name="position"/>.
    /// </summary>
    public void Restart(string position)
    {
        ArgumentException.ThrowIfNullOrEmpty(position);
        lock (_gate)
        {
            foreach (var connection in _connections.Values)
            {
                Drop(connection, HistoryLostReason);
            }

            _window.Clear();
            _windowIndex.Clear();
            _windowBytes = 0;
            _position = position;
            _windowStart = position;

            // What they waited for may never be read now; their connections were just dropped anyway.
            ReleaseWaiters(all: true);
        }
    }

    /// <summary>
    /// Graceful shutdown (docs/deployment.md): refuses new connections from now on and sends every open one
    /// <c>resync</c> with reason <c>shutdown</c>, after which its worker closes it. A client resumes after the last
    /// change it received (<c>resumeAfter</c>) on whichever node it reconnects to. Returns the workers, which end once
    /// their message is sent (or the client did not take it within <c>ResyncTimeout</c>).
    /// </summary>
    public IReadOnlyList<Task> DrainForShutdown()
    {
        lock (_gate)
        {
            _draining = true;
            var connections = _connections.Values.ToList();
            foreach (var connection in connections)
            {
                Drop(connection, ShutdownReason);
            }

            return [.. connections.Select(c => c.Sender)];
        }
    }

    /// <summary>Collections that have subscriptions bound by rules (those of app users and visitors).</summary>
    public IReadOnlyList<string> RuleBoundCollections()
    {
        lock (_gate)
        {
            return [.. _byCollection.Where(entry => entry.Value.Subscriptions.Exists(s => s.Spec.Rule is not null)).Select(entry => entry.Key)];
        }
    }

    /// <summary>
    /// Tells every connection whose subscription on <paramref name="collection"/> was planned under a rule that is no
    /// longer in force (<paramref name="currentRuleText"/> differs) to resync, and closes it: it subscribes again under
    /// the rules as they are now. Returns how many connections were dropped.
    /// </summary>
    public int DropStale(string collection, Func<RuleOperation, string?> currentRuleText)
    {
        ArgumentNullException.ThrowIfNull(currentRuleText);
        lock (_gate)
        {
            if (!_byCollection.TryGetValue(collection, out var subscribers))
            {
                return 0;
            }

            var stale = subscribers.Subscriptions
                .Where(s => s.Spec.Rule is { } operation && currentRuleText(operation) != s.Spec.RuleText)
                .Select(s => s.Connection)
                .Distinct()
                .ToList();
            return stale.Count(connection => Drop(connection, RulesChangedReason));
        }
    }

    /// <summary>The callers with credentials that can end (app users, admins, service keys) behind the open connections, each once.</summary>
    public IReadOnlyList<BaasCaller> SignedInCallers()
    {
        lock (_gate)
        {
            return [.. _connections.Values
                .Where(c => c.DropReason is null && c.Caller is { Kind: BaasCallerKind.User or BaasCallerKind.Admin or BaasCallerKind.ServiceKey })
                .Select(c => c.Caller!)
                .DistinctBy(c => (c.Kind, c.Id, c.SessionId))];
        }
    }

    /// <summary>
    /// Tells the connections opened with an ended session (<paramref name="ended"/>) to resync and closes them.
    /// Returns how many were dropped.
    /// </summary>
    public int DropEnded(SessionEnded ended)
    {
        ArgumentNullException.ThrowIfNull(ended);
        lock (_gate)
        {
            var matching = _connections.Values.Where(c => ended.Covers(c.Caller)).ToList();
            return matching.Count(connection => Drop(connection, SessionEndedReason));
        }
    }

    // Lock held. Completes (asynchronously: their continuations never run under the lock) the waiters the dispatched
    // position has reached, or all of them.
    private void ReleaseWaiters(bool all)
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (all || _waiters[i].ReachedBy(_position))
            {
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    // Lock held. The window's changes after resumeAfter on the collection; null when the position is not in the window.
    private List<DispatchedChange>? Missed(string resumeAfter, string collection, RealtimeOptions limits)
    {
        Prune(limits);
        LinkedListNode<DispatchedChange>? next;
        if (resumeAfter == _position)
        {
            return [];
        }
        else if (_windowIndex.TryGetValue(resumeAfter, out var seen))
        {
            next = seen.Next;
        }
        else if (resumeAfter == _windowStart)
        {
            next = _window.First;
        }
        else
        {
            return null;
        }

        var missed = new List<DispatchedChange>();
        for (; next is not null; next = next.Next)
        {
            if (next.Value.Change.Collection == collection)
            {
                missed.Add(next.Value);
            }
        }

        return missed;
    }

    private static List<OutgoingMessage> Replay(Subscription subscription, List<DispatchedChange> missed)
    {
        var replayed = new List<OutgoingMessage>();
        foreach (var change in missed)
        {
            if (subscription.Evaluate(change) is { } missedEvent)
            {
                replayed.Add(new OutgoingMessage(RealtimeEvents.Change, missedEvent, subscription, change));
            }
        }

        return replayed;
    }

    // Lock held.
    private void Prune(RealtimeOptions limits)
    {
        var oldest = time.GetUtcNow() - limits.ReplayWindow;
        while (_window.First is { } first
            && (_window.Count > limits.ReplayEvents || _windowBytes > limits.ReplayMaxBytes || first.Value.Change.CommittedAt < oldest))
        {
            _window.RemoveFirst();
            _windowIndex.Remove(first.Value.Change.Sequence);
            _windowBytes -= first.Value.EstimatedBytes;
            _windowStart = first.Value.Change.Sequence;
        }
    }

    // Lock held.
    private void Overflow(RealtimeConnection connection)
    {
        if (Drop(connection, OverflowReason))
        {
            metrics.Overflowed();
            RealtimeLog.QueueOverflow(logger, connection.Id, options.Value.SendQueueCapacity);
        }
    }

    // Lock held. The connection keeps its place in _connections until it is closed (DisconnectAsync).
    private bool Drop(RealtimeConnection connection, string reason)
    {
        if (!connection.TryDrop(reason, options.Value.ResyncTimeout))
        {
            return false;
        }

        RemoveAll(connection);
        return true;
    }

    // Lock held.
    private void RemoveAll(RealtimeConnection connection)
    {
        var count = connection.Subscriptions.Count;
        foreach (var subscription in connection.Subscriptions.Values.ToList())
        {
            Remove(subscription);
        }

        connection.PublishSubscriptions();
        if (count > 0)
        {
            metrics.SubscriptionsRemoved(count);
        }
    }

    // Lock held. The caller publishes the connection's subscriptions afterwards.
    private void Remove(Subscription subscription)
    {
        subscription.Removed = true;
        subscription.Release();
        subscription.Connection.Subscriptions.Remove(subscription.Id);
        subscription.Connection.Cost -= subscription.Spec.Cost;
        if (_byCollection.TryGetValue(subscription.Spec.Collection, out var subscribers) && subscribers.Remove(subscription))
        {
            _byCollection.Remove(subscription.Spec.Collection);
        }
    }

    private void OverflowFromWorker(RealtimeConnection connection)
    {
        lock (_gate)
        {
            Overflow(connection);
        }
    }

    private void OverBudgetFromWorker(RealtimeConnection connection, long cost)
    {
        lock (_gate)
        {
            if (Drop(connection, MatchBudgetReason))
            {
                metrics.MatchBudgetExceeded();
                RealtimeLog.MatchBudgetExceeded(logger, connection.Id, connection.ClientAddress ?? "unknown", cost, options.Value.MatchBudgetPerClient);
            }
        }
    }

    // The connection's worker: matches each queued change against this connection's subscriptions (no shared lock) and
    // sends the events, in queue order, so events of one document keep commit order. What is queued already when it
    // wakes (up to MaxMessagesPerFlush events) goes out in one write and one flush.
    private async Task RunAsync(RealtimeConnection connection)
    {
        var client = connection.Proxy ?? hub.Clients.Client(connection.Id);
        var capacity = options.Value.SendQueueCapacity;
        var reader = connection.Queue.Reader;
        try
        {
            while (connection.DropReason is null && await reader.WaitToReadAsync(connection.SendAborted))
            {
                // The dispatcher holds the turn only while it delivers one change, without waiting.
                connection.EnterSend();
                try
                {
                    await SendQueuedAsync(connection, client, reader, capacity);
                }
                finally
                {
                    connection.ExitSend();
                }
            }

            if (connection.DropReason is { } reason)
            {
                connection.EnterSend();
                try
                {
                    // What the dispatcher sent goes out before the resync.
                    await TakePendingSend(connection);
                    await client.SendAsync(RealtimeEvents.Resync, new ResyncEvent { Reason = reason }, connection.SendAborted);
                }
                finally
                {
                    connection.ExitSend();
                }

                metrics.EventsSent(1);
            }
        }
        catch (OperationCanceledException)
        {
            // Closed, or the client did not take the resync within the grace time.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RealtimeLog.SendFailed(logger, ex, connection.Id);

            // Nothing drains the queue anymore: without a close the client would wait for events forever.
            connection.Context.Abort();
        }
        finally
        {
            if (connection.DropReason is not null)
            {
                connection.Context.Abort();
            }
        }
    }

    // Send turn held. Waits for what the dispatcher sent on its own thread and had not finished sending (a failure there
    // is this worker's to report).
    private static Task TakePendingSend(RealtimeConnection connection)
    {
        var pending = connection.PendingSend ?? Task.CompletedTask;
        connection.PendingSend = null;
        return pending;
    }

    // Send turn held. What is queued already (up to MaxMessagesPerFlush events) goes out in one write and one flush.
    private async Task SendQueuedAsync(RealtimeConnection connection, IClientProxy client, ChannelReader<ConnectionWork> reader, int capacity)
    {
        await TakePendingSend(connection);
        var batch = new List<OutgoingMessage>();
        while (batch.Count < MaxMessagesPerFlush && connection.DropReason is null && reader.TryRead(out var work))
        {
            if (work.Activate is { } activated)
            {
                // Held events go out in full, in order, whatever the batch holds already.
                foreach (var held in activated.Release())
                {
                    if (activated.Removed || connection.DropReason is not null)
                    {
                        break;
                    }

                    batch.Add(held);
                }

                continue;
            }

            if (work.Change is not { } dispatched)
            {
                // Only woke the worker for a send the dispatcher left pending (taken above).
                continue;
            }

            var matched = await MatchAsync(connection, dispatched);
            foreach (var (subscription, change) in matched)
            {
                if (subscription.Removed)
                {
                    continue;
                }

                var message = new OutgoingMessage(RealtimeEvents.Change, change, subscription, dispatched);
                switch (subscription.TryHold(message, capacity))
                {
                    case null:
                        batch.Add(message);
                        break;
                    case false:
                        OverflowFromWorker(connection);
                        break;
                }

                if (connection.DropReason is not null)
                {
                    break;
                }
            }
        }

        if (batch.Count > 0 && connection.DropReason is null)
        {
            await SendAsync(client, batch, connection);
        }
    }

    // The dispatcher's thread, outside its lock: when nothing is queued for the connection and its worker is not sending,
    // the change is matched and its events written to the connection right here, saving the wake-up of the connection's
    // worker (a thread-pool hop per recipient). Only cheap matching runs here: a costly one (charged to the client
    // address's budget, run on the background matcher) goes through the queue, as does everything while the connection
    // has a backlog, so order and backpressure are the worker's as before. False: queue it.
    // onSocket: nothing was left for another thread (no event, or it went to the socket through the connection's
    // DirectChangeSender); false when the hub's path may have left its transport a send to do.
    private bool TryDeliverHere(RealtimeConnection connection, DispatchedChange dispatched, RealtimeOptions limits, out int sent, out bool onSocket)
    {
        sent = 0;
        onSocket = true;
        if (connection.Proxy is not { } client || !connection.TryEnterSend())
        {
            return false;
        }

        try
        {
            // Anything queued (changes, a subscription's release) goes first; so does an unfinished send.
            if (connection.Queue.Reader.Count > 0 || connection.PendingSend is { IsCompletedSuccessfully: false })
            {
                return false;
            }

            connection.PendingSend = null;
            var candidates = connection.Active;
            var (any, cost) = MatchCost(candidates, dispatched);
            if (!any)
            {
                return true;
            }

            if (cost > limits.CostlyMatchThreshold)
            {
                return false;
            }

            // Matched right here rather than through Match: no list per recipient for the usual one event (issue 13 item 1:
            // at 5,000 recipients a change's allocations are what start the garbage collections of a fan-out).
            OutgoingMessage? first = null;
            ChangeEvent? firstChange = null;
            List<OutgoingMessage>? more = null;
            foreach (var subscription in candidates)
            {
                if (connection.DropReason is not null)
                {
                    return true;
                }

                if (!IsCandidate(subscription, dispatched) || subscription.Evaluate(dispatched) is not { } change || subscription.Removed)
                {
                    continue;
                }

                var message = new OutgoingMessage(RealtimeEvents.Change, change, subscription, dispatched);
                switch (subscription.TryHold(message, limits.SendQueueCapacity))
                {
                    case null when first is null:
                        first = message;
                        firstChange = change;
                        break;
                    case null:
                        (more ??= [first]).Add(message);
                        break;
                    case false:
                        OverflowFromWorker(connection);
                        break;
                }

                if (connection.DropReason is not null)
                {
                    return true;
                }
            }

            if (first is null)
            {
                return true;
            }

            if (more is null && connection.Direct is { } direct)
            {
                switch (direct.TrySend(dispatched, firstChange!, out var room))
                {
                    case DirectSend.Sent:
                        sent = 1;
                        if (room is not null)
                        {
                            // The socket's queue is over its limit: the worker waits for room before anything else, as for a
                            // hub write that did not complete. The marker wakes it; the queue was empty, so it fits.
                            connection.PendingSend = room;
                            connection.Queue.Writer.TryWrite(default);
                            onSocket = false;
                        }

                        return true;
                    case DirectSend.Gone:
                        // The connection is closing: its events go with it, as a hub write to a closed websocket would.
                        return true;
                }
            }

            onSocket = false;
            var sending = client.SendAsync(RealtimeEvents.Change, more is null ? new ChangeBatch(first) : new ChangeBatch(more), connection.SendAborted);
            sent = more?.Count ?? 1;
            if (!sending.IsCompletedSuccessfully)
            {
                // Not on the wire yet (a client not reading, the hub writing something else): the worker waits for it before
                // anything else, and reports a failure. The marker wakes it; the queue was empty, so it fits.
                connection.PendingSend = sending;
                connection.Queue.Writer.TryWrite(default);
            }

            return true;
        }
        finally
        {
            connection.ExitSend();
        }
    }

    // The subscriptions of the connection that see this change, with their events. Cheap matching runs right here
    // on the connection's worker; costly matching (RealtimeOptions.CostlyMatchThreshold) is charged to the client
    // address's budget and runs on the background matcher, which the worker waits for, keeping the connection's order.
    private async ValueTask<IReadOnlyList<(Subscription Subscription, ChangeEvent Change)>> MatchAsync(RealtimeConnection connection, DispatchedChange dispatched)
    {
        var candidates = connection.Active;
        var (any, cost) = MatchCost(candidates, dispatched);
        if (!any)
        {
            return [];
        }

        var limits = options.Value;
        if (cost <= limits.CostlyMatchThreshold)
        {
            return Match(connection, candidates, dispatched);
        }

        if (connection.Client is { } client && !client.TryCharge(cost, limits.MatchBudgetPerClient))
        {
            OverBudgetFromWorker(connection, cost);
            return [];
        }

        metrics.CostlyMatched();
        return await costlyMatcher.RunAsync(() => Match(connection, candidates, dispatched), connection.SendAborted);
    }

    // Whether any of the subscriptions may see the change, and what matching it against them costs.
    private static (bool Any, long Cost) MatchCost(Subscription[] candidates, DispatchedChange dispatched)
    {
        long cost = 0;
        var any = false;
        foreach (var subscription in candidates)
        {
            if (IsCandidate(subscription, dispatched))
            {
                any = true;
                cost += subscription.Spec.WeightedCost(dispatched.SizeKib);
            }
        }

        return (any, cost);
    }

    private static List<(Subscription Subscription, ChangeEvent Change)> Match(RealtimeConnection connection, Subscription[] candidates, DispatchedChange dispatched)
    {
        List<(Subscription, ChangeEvent)>? matched = null;
        foreach (var subscription in candidates)
        {
            if (connection.DropReason is not null)
            {
                break;
            }

            if (IsCandidate(subscription, dispatched) && subscription.Evaluate(dispatched) is { } change)
            {
                (matched ??= []).Add((subscription, change));
            }
        }

        return matched ?? [];
    }

    private static bool IsCandidate(Subscription subscription, DispatchedChange dispatched) =>
        !subscription.Removed
        && dispatched.Index > subscription.StartIndex
        && string.Equals(subscription.Spec.Collection, dispatched.Change.Collection, StringComparison.Ordinal);

    // One message goes as itself; several as a ChangeBatch, which the hub's protocols (SharedFrameHubProtocol) write as
    // one invocation each, with one flush.
    private async Task SendAsync(IClientProxy client, List<OutgoingMessage> batch, RealtimeConnection connection)
    {
        if (batch is [var single])
        {
            await client.SendAsync(single.Method, single.Change is null ? single.Payload : new ChangeBatch(batch), connection.SendAborted);
        }
        else
        {
            await client.SendAsync(RealtimeEvents.Change, new ChangeBatch(batch), connection.SendAborted);
        }

        metrics.EventsSent(batch.Count);
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SubscriptionIdLength / 2));

    /// <summary>A <see cref="WhenDispatchedAsync"/> in progress: the position it waits for.</summary>
    private sealed class DispatchWaiter(string position, Func<string, string, int?> compare)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // A position the feed cannot order against the dispatched one is not waited for.
        public bool ReachedBy(string dispatched) => compare(dispatched, position) is not < 0;
    }

    /// <summary>
    /// The subscriptions on one collection, and each connection holding any of them once (with how many). Changed under
    /// the dispatcher's lock; <see cref="Recipients"/> is replaced, never changed, so a change is queued on it outside.
    /// </summary>
    private sealed class CollectionSubscribers
    {
        private readonly Dictionary<RealtimeConnection, int> _connections = [];

        public List<Subscription> Subscriptions { get; } = [];

        /// <summary>The connections with a subscription here, each once: a copy replaced when one comes or goes.</summary>
        public ImmutableArray<RealtimeConnection> Recipients { get; private set; } = [];

        public void Add(Subscription subscription)
        {
            Subscriptions.Add(subscription);
            var held = _connections.GetValueOrDefault(subscription.Connection);
            _connections[subscription.Connection] = held + 1;
            if (held == 0)
            {
                Recipients = Recipients.Add(subscription.Connection);
            }
        }

        /// <summary>Removes it; true when the collection has no subscription left.</summary>
        public bool Remove(Subscription subscription)
        {
            if (Subscriptions.Remove(subscription))
            {
                var left = _connections[subscription.Connection] - 1;
                if (left == 0)
                {
                    _connections.Remove(subscription.Connection);
                    Recipients = Recipients.Remove(subscription.Connection);
                }
                else
                {
                    _connections[subscription.Connection] = left;
                }
            }

            return Subscriptions.Count == 0;
        }
    }
}
