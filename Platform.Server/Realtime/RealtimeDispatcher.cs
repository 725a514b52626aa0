using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Platform.Server.Rules;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Realtime;

/// <summary>What <see cref="RealtimeDispatcher.Register"/> did: the subscription, where its events start, and whether a resume succeeded.</summary>
internal sealed record Registration(Subscription Subscription, string Sequence, bool? Resumed);

/// <summary>
/// The one fan-out of a node: every change read from <see cref="IChangeFeed"/> (by <see cref="ChangeFeedReader"/>)
/// is matched once against each subscription on its collection and queued on the subscriber's connection. It keeps
/// a bounded window of recent changes for <c>resumeAfter</c>. One lock orders registration, replay and live changes,
/// so a subscription sees every change after its start position exactly once.
/// </summary>
internal sealed class RealtimeDispatcher(
    IHubContext<RealtimeHub> hub,
    IOptions<RealtimeOptions> options,
    RealtimeMetrics metrics,
    TimeProvider time,
    ILogger<RealtimeDispatcher> logger)
{
    public const string OverflowReason = "overflow";
    public const string HistoryLostReason = "history_lost";
    public const string RulesChangedReason = "rules_changed";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, RealtimeConnection> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Subscription>> _byCollection = new(StringComparer.Ordinal);
    private readonly LinkedList<DispatchedChange> _window = new();
    private readonly Dictionary<string, LinkedListNode<DispatchedChange>> _windowIndex = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _position = "";

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

    /// <summary>How many subscriptions the connection holds, or null when the node does not know it (anymore).</summary>
    public int? SubscriptionCount(string connectionId)
    {
        lock (_gate)
        {
            return _connections.TryGetValue(connectionId, out var connection) ? connection.Subscriptions.Count : null;
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
                collections.Add(new CollectionSubscriptions(collection, list.Count));
                subscriptions += list.Count;
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

    /// <summary>Adds a connection; false when the node is at <see cref="RealtimeOptions.MaxConnections"/>.</summary>
    public bool TryConnect(HubCallerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var limits = options.Value;
        var connection = new RealtimeConnection(context, limits.SendQueueCapacity, time);
        lock (_gate)
        {
            if (limits.MaxConnections > 0 && _connections.Count >= limits.MaxConnections)
            {
                connection.Dispose();
                RealtimeLog.ConnectionRefused(logger, limits.MaxConnections);
                return false;
            }

            _connections.Add(context.ConnectionId, connection);
        }

        metrics.ConnectionOpened();
        connection.Sender = Task.Run(() => SendLoopAsync(connection), CancellationToken.None);
        return true;
    }

    /// <summary>Forgets a closed connection: its subscriptions, its queue, its sender.</summary>
    public async Task DisconnectAsync(string connectionId)
    {
        RealtimeConnection? connection;
        lock (_gate)
        {
            if (!_connections.Remove(connectionId, out connection))
            {
                return;
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
    /// <exception cref="HubException"><c>too_many_subscriptions</c>, or the connection is closing.</exception>
    public Registration Register(string connectionId, SubscriptionSpec spec, string? resumeAfter)
    {
        var limits = options.Value;
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var connection) || connection.DropReason is not null)
            {
                throw new HubException("unavailable: The connection is closing.");
            }

            if (connection.Subscriptions.Count >= limits.MaxSubscriptionsPerConnection)
            {
                throw new HubException($"too_many_subscriptions: A connection may hold at most {limits.MaxSubscriptionsPerConnection} subscriptions.");
            }

            var subscription = new Subscription(NewId(), connection, spec);
            bool? resumed = null;
            if (resumeAfter is not null)
            {
                resumed = Replay(subscription, resumeAfter, limits);
            }

            connection.Subscriptions.Add(subscription.Id, subscription);
            if (!_byCollection.TryGetValue(spec.Collection, out var list))
            {
                list = [];
                _byCollection.Add(spec.Collection, list);
            }

            list.Add(subscription);
            metrics.SubscriptionAdded();
            return new Registration(subscription, _position, resumed);
        }
    }

    /// <summary>Releases the held events of a registered subscription and lets live ones through.</summary>
    public void Activate(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_gate)
        {
            if (subscription.Removed || subscription.Pending is not { } pending)
            {
                return;
            }

            subscription.Pending = null;
            foreach (var message in pending)
            {
                if (!subscription.Connection.Queue.Writer.TryWrite(message))
                {
                    Overflow(subscription.Connection);
                    return;
                }
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
            metrics.SubscriptionsRemoved(1);
            return true;
        }
    }

    /// <summary>Fans one committed change out to every subscription on its collection. Called in commit order by one reader.</summary>
    public void Dispatch(StoredChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var limits = options.Value;
        var dispatched = new DispatchedChange(change);
        lock (_gate)
        {
            _position = change.Sequence;
            if (limits.ReplayEvents > 0)
            {
                _windowIndex[change.Sequence] = _window.AddLast(dispatched);
            }
            else
            {
                _windowStart = change.Sequence;
            }

            Prune(limits);
            if (!_byCollection.TryGetValue(change.Collection, out var subscriptions))
            {
                return;
            }

            List<RealtimeConnection>? overflowed = null;
            foreach (var subscription in subscriptions)
            {
                if (subscription.Evaluate(dispatched) is { } change1 && !Deliver(subscription, change1, limits))
                {
                    (overflowed ??= []).Add(subscription.Connection);
                }
            }

            foreach (var connection in overflowed ?? [])
            {
                Overflow(connection);
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
            _position = position;
            _windowStart = position;
        }
    }

    /// <summary>Collections that have subscriptions bound by rules (those of app users and visitors).</summary>
    public IReadOnlyList<string> RuleBoundCollections()
    {
        lock (_gate)
        {
            return [.. _byCollection.Where(entry => entry.Value.Exists(s => s.Spec.Rule is not null)).Select(entry => entry.Key)];
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
            if (!_byCollection.TryGetValue(collection, out var subscriptions))
            {
                return 0;
            }

            var stale = subscriptions
                .Where(s => s.Spec.Rule is { } operation && currentRuleText(operation) != s.Spec.RuleText)
                .Select(s => s.Connection)
                .Distinct()
                .ToList();
            return stale.Count(connection => Drop(connection, RulesChangedReason));
        }
    }

    // Lock held. Returns whether the position was still in the window (the missed events are then pending).
    private bool Replay(Subscription subscription, string resumeAfter, RealtimeOptions limits)
    {
        Prune(limits);
        LinkedListNode<DispatchedChange>? next;
        if (resumeAfter == _position)
        {
            return true;
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
            return false;
        }

        var pending = subscription.Pending!;
        for (; next is not null; next = next.Next)
        {
            if (next.Value.Change.Collection == subscription.Spec.Collection && subscription.Evaluate(next.Value) is { } missed)
            {
                pending.Add(new OutgoingMessage(RealtimeEvents.Change, missed, subscription));
            }
        }

        if (pending.Count > limits.SendQueueCapacity)
        {
            // More missed events than the connection could queue: a snapshot is cheaper for everyone.
            pending.Clear();
            return false;
        }

        return true;
    }

    // Lock held. False when the connection's queue is full.
    private static bool Deliver(Subscription subscription, ChangeEvent change, RealtimeOptions limits)
    {
        if (subscription.Connection.DropReason is not null)
        {
            return true;
        }

        var message = new OutgoingMessage(RealtimeEvents.Change, change, subscription);
        if (subscription.Pending is { } pending)
        {
            pending.Add(message);
            return pending.Count <= limits.SendQueueCapacity;
        }

        return subscription.Connection.Queue.Writer.TryWrite(message);
    }

    // Lock held.
    private void Prune(RealtimeOptions limits)
    {
        var oldest = time.GetUtcNow() - limits.ReplayWindow;
        while (_window.First is { } first && (_window.Count > limits.ReplayEvents || first.Value.Change.CommittedAt < oldest))
        {
            _window.RemoveFirst();
            _windowIndex.Remove(first.Value.Change.Sequence);
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

        if (count > 0)
        {
            metrics.SubscriptionsRemoved(count);
        }
    }

    // Lock held.
    private void Remove(Subscription subscription)
    {
        subscription.Removed = true;
        subscription.Pending = null;
        subscription.Connection.Subscriptions.Remove(subscription.Id);
        if (_byCollection.TryGetValue(subscription.Spec.Collection, out var list))
        {
            list.Remove(subscription);
            if (list.Count == 0)
            {
                _byCollection.Remove(subscription.Spec.Collection);
            }
        }
    }

    private async Task SendLoopAsync(RealtimeConnection connection)
    {
        var client = hub.Clients.Client(connection.Id);
        try
        {
            await foreach (var message in connection.Queue.Reader.ReadAllAsync(connection.SendAborted))
            {
                if (connection.DropReason is not null)
                {
                    break;
                }

                if (message.Subscription is { Removed: true })
                {
                    continue;
                }

                await client.SendAsync(message.Method, message.Payload, connection.SendAborted);
                metrics.EventSent();
            }

            if (connection.DropReason is { } reason)
            {
                await client.SendAsync(RealtimeEvents.Resync, new ResyncEvent { Reason = reason }, connection.SendAborted);
                metrics.EventSent();
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

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
