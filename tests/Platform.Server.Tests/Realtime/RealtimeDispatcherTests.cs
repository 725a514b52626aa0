using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Realtime;
using Platform.Server.Storage.Changes;
using Platform.Server.Tests.Auth;

namespace Platform.Server.Tests.Realtime;

/// <summary>The dispatcher as plain code: replay window by count and age, events for lost before-images, held events.</summary>
public sealed class RealtimeDispatcherTests : IDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly FakeHubContext _hub = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private int _sequence;

    private readonly CostlyMatcher _matcher = new();

    public void Dispose()
    {
        _matcher.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void Register_ResumeAfterAChangeOlderThanTheWindow_IsNotResumed()
    {
        var dispatcher = Create(new RealtimeOptions { ReplayEvents = 100, ReplayWindow = TimeSpan.FromMinutes(1) });
        var context = Connect(dispatcher);
        var first = Dispatch(dispatcher, "a");
        _time.Advance(TimeSpan.FromMinutes(2));
        var second = Dispatch(dispatcher, "b");

        // 'first' aged out: a client that saw only the start position missed it for good.
        Assert.False(dispatcher.Register(context.ConnectionId, Everything(), "0").Resumed);

        // A client that saw 'first' missed only 'second', which is still held.
        var resumed = dispatcher.Register(context.ConnectionId, Everything(), first.Sequence);
        Assert.True(resumed.Resumed);
        Assert.Equal(second.Sequence, resumed.Sequence);
        Assert.Equal(["b"], resumed.Subscription.Pending!.Select(m => ((ChangeEvent)m.Payload).Id));
    }

    [Fact]
    public void HoldWindowReplay_SnapshotBehindTheRegistration_HoldsTheChangesBetween_AheadOfTheLiveOnes()
    {
        // A snapshot read at a position the dispatcher had passed when the subscription was registered (MongoDB: a
        // snapshot read's cluster time behind the change stream): the changes between come from the window.
        var dispatcher = Create(new RealtimeOptions { ReplayEvents = 100 });
        var context = Connect(dispatcher);
        var atSnapshot = Dispatch(dispatcher, "a");
        Dispatch(dispatcher, "b");
        Dispatch(dispatcher, "c");
        var registration = dispatcher.Register(context.ConnectionId, Everything(), resumeAfter: null);
        Dispatch(dispatcher, "d");

        Assert.True(dispatcher.HoldWindowReplay(registration.Subscription, atSnapshot.Sequence, ComparePositions));
        Assert.Equal(["b", "c", "d"], registration.Subscription.Pending!.Select(m => ((ChangeEvent)m.Payload).Id));
    }

    [Fact]
    public void HoldWindowReplay_PositionBeforeTheWindow_IsNotServed()
    {
        var dispatcher = Create(new RealtimeOptions { ReplayEvents = 1 });
        var context = Connect(dispatcher);
        var old = Dispatch(dispatcher, "a");
        Dispatch(dispatcher, "b");
        Dispatch(dispatcher, "c");
        var registration = dispatcher.Register(context.ConnectionId, Everything(), resumeAfter: null);

        Assert.Null(dispatcher.HoldWindowReplay(registration.Subscription, old.Sequence, ComparePositions));
        Assert.Null(dispatcher.HoldWindowReplay(registration.Subscription, "not a position", ComparePositions));
        Assert.Empty(registration.Subscription.Pending!);
    }

    [Fact]
    public async Task SkipThrough_DropsHeldAndLaterEventsTheSnapshotHolds_EvenAfterActivation()
    {
        var dispatcher = Create(new RealtimeOptions());
        var context = Connect(dispatcher);
        var registration = dispatcher.Register(context.ConnectionId, Everything(), resumeAfter: null);
        Dispatch(dispatcher, "held");
        var notDispatchedYet = NewChange("late");
        var snapshotPosition = notDispatchedYet.Sequence;

        registration.Subscription.SkipThrough(snapshotPosition, ComparePositions);
        Assert.Empty(registration.Subscription.Pending!);
        dispatcher.Activate(registration.Subscription);

        // Dispatched after the result went: still in the snapshot, so not sent; the next one is.
        Assert.True(dispatcher.DispatchAsync(notDispatchedYet).IsCompletedSuccessfully);
        Dispatch(dispatcher, "next");
        var first = await _hub.NextAsync();
        Assert.Equal((RealtimeEvents.Added, "next"), (first.Type, first.Id));
    }

    [Fact]
    public void Register_ResumeAfterTheLatestPosition_ReplaysNothing()
    {
        var dispatcher = Create(new RealtimeOptions { ReplayEvents = 0 });
        var context = Connect(dispatcher);
        var latest = Dispatch(dispatcher, "a");
        var resumed = dispatcher.Register(context.ConnectionId, Everything(), latest.Sequence);
        Assert.True(resumed.Resumed);
        Assert.Empty(resumed.Subscription.Pending!);
        Assert.False(dispatcher.Register(context.ConnectionId, Everything(), "0").Resumed);
    }

    [Fact]
    public void Dispatch_LargeDocuments_KeepTheWindowWithinReplayMaxBytes()
    {
        const long maxBytes = 8L * 1024 * 1024;
        var dispatcher = Create(new RealtimeOptions { ReplayEvents = 1000, ReplayMaxBytes = maxBytes });
        var context = Connect(dispatcher);
        var big = new string('x', 1024 * 1024);
        var changes = Enumerable.Range(0, 40)
            .Select(i => Dispatch(dispatcher, "d" + i, after: new JsonObject { ["_id"] = "d" + i, ["payload"] = big }))
            .ToList();

        // 40 upserts of a 1 MiB document: the window keeps what fits its bytes, not 40 events (over 160 MB as trees).
        Assert.InRange(dispatcher.WindowBytes, 1, maxBytes);
        Assert.False(dispatcher.Register(context.ConnectionId, Everything(), changes[0].Sequence).Resumed);
        var recent = dispatcher.Register(context.ConnectionId, Everything(), changes[^2].Sequence);
        Assert.True(recent.Resumed);
        Assert.Equal(["d39"], recent.Subscription.Pending!.Select(m => ((ChangeEvent)m.Payload).Id));
    }

    [Fact]
    public async Task Dispatch_LostBeforeImage_DeleteIsRemovedAndReplaceIsJudgedByItsAfterImage()
    {
        var dispatcher = Create(new RealtimeOptions());
        var context = Connect(dispatcher);
        var spec = new SubscriptionSpec("c", null, document => document["open"]?.GetValue<bool>() == true);
        var registration = dispatcher.Register(context.ConnectionId, spec, resumeAfter: null);
        dispatcher.Activate(registration.Subscription);

        Dispatch(dispatcher, "hidden", ChangeKind.Replace, before: null, after: new JsonObject { ["_id"] = "hidden", ["open"] = false });
        Dispatch(dispatcher, "shown", ChangeKind.Replace, before: null, after: new JsonObject { ["_id"] = "shown", ["open"] = true });
        Dispatch(dispatcher, "gone", ChangeKind.Delete, before: null, after: null);

        var added = await _hub.NextAsync();
        Assert.Equal((RealtimeEvents.Added, "shown"), (added.Type, added.Id));
        var removed = await _hub.NextAsync();
        Assert.Equal((RealtimeEvents.Removed, "gone", (object?)null), (removed.Type, removed.Id, removed.Document));
    }

    [Fact]
    public async Task Dispatch_MoreHeldEventsThanTheQueueHolds_DropsTheConnection()
    {
        var dispatcher = Create(new RealtimeOptions { SendQueueCapacity = 2 });
        var context = Connect(dispatcher);
        var aborted = new TaskCompletionSource();
        using var registered = context.ConnectionAborted.Register(() => aborted.TrySetResult());
        var registration = dispatcher.Register(context.ConnectionId, Everything(), resumeAfter: null);
        Dispatch(dispatcher, "a");
        Dispatch(dispatcher, "b");
        Assert.Equal(1, dispatcher.SubscriptionCount(context.ConnectionId));
        Dispatch(dispatcher, "c");

        // The connection's worker holds the events (or its queue fills first): either way it is dropped.
        await aborted.Task.WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);
        Assert.Equal(0, dispatcher.SubscriptionCount(context.ConnectionId));
        Assert.True(registration.Subscription.Removed);
        var error = Assert.Throws<HubException>(() => dispatcher.Register(context.ConnectionId, Everything(), resumeAfter: null));
        Assert.StartsWith("unavailable: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_SendFails_ClosesTheConnection()
    {
        var dispatcher = Create(new RealtimeOptions());
        var context = Connect(dispatcher);
        var aborted = new TaskCompletionSource();
        using var registered = context.ConnectionAborted.Register(() => aborted.TrySetResult());
        var registration = dispatcher.Register(context.ConnectionId, Everything(), resumeAfter: null);
        dispatcher.Activate(registration.Subscription);
        _hub.Failure = new InvalidOperationException("The transport broke.");

        Dispatch(dispatcher, "a");

        await aborted.Task.WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Statistics_CountsConnectionsAndSubscriptionsPerCollection()
    {
        var dispatcher = Create(new RealtimeOptions());
        Assert.Equal((0, 0), (dispatcher.Statistics().Connections, dispatcher.Statistics().Subscriptions));
        var a = Connect(dispatcher);
        var b = Connect(dispatcher);
        dispatcher.Register(a.ConnectionId, Everything(), null);
        dispatcher.Register(a.ConnectionId, new SubscriptionSpec("d", null, _ => true), null);
        dispatcher.Register(b.ConnectionId, Everything(), null);

        var stats = dispatcher.Statistics();
        Assert.Equal(2, stats.Connections);
        Assert.Equal(3, stats.Subscriptions);
        Assert.Equal([("c", 2), ("d", 1)], stats.Collections.Select(c => (c.Name, c.Subscriptions)));

        await dispatcher.DisconnectAsync(a.ConnectionId);
        stats = dispatcher.Statistics();
        Assert.Equal((1, 1), (stats.Connections, stats.Subscriptions));
        Assert.Equal([("c", 1)], stats.Collections.Select(c => (c.Name, c.Subscriptions)));
    }

    [Fact]
    public async Task Dispatch_CostlyConnection_IsMatchedOnTheBackgroundMatcherWhileCheapOnesAreServedAtOnce()
    {
        var dispatcher = Create(new RealtimeOptions { CostlyMatchThreshold = 1000, MatchBudgetPerClient = 0 });
        using var release = new ManualResetEventSlim();
        string? costlyThread = null;
        string? cheapThread = null;
        var costly = Connect(dispatcher);
        var cheap = Connect(dispatcher);
        var costlySpec = new SubscriptionSpec("c", null, _ =>
        {
            costlyThread = Thread.CurrentThread.Name;
            release.Wait(HubClient.Patience);
            return true;
        }, Cost: 1001);
        var costlySubscription = dispatcher.Register(costly.ConnectionId, costlySpec, resumeAfter: null).Subscription;
        dispatcher.Activate(costlySubscription);
        var cheapSubscription = dispatcher.Register(cheap.ConnectionId, new SubscriptionSpec("c", null, _ =>
        {
            cheapThread = Thread.CurrentThread.Name;
            return true;
        }, Cost: 1000), resumeAfter: null).Subscription;
        dispatcher.Activate(cheapSubscription);

        Dispatch(dispatcher, "a");

        // The cheap connection gets its event while the costly one's match is still running (blocked) in the background.
        var first = await _hub.NextAsync();
        Assert.Equal((cheapSubscription.Id, "a"), (first.SubscriptionId, first.Id));
        Assert.NotEqual("Baas costly matching", cheapThread);
        release.Set();
        var second = await _hub.NextAsync();
        Assert.Equal((costlySubscription.Id, "a"), (second.SubscriptionId, second.Id));
        Assert.Equal("Baas costly matching", costlyThread);
    }

    [Fact]
    public async Task Dispatch_ScansOnALargeDocument_AreCostlyWhileTheSameFilterOnASmallOneIsNot()
    {
        var dispatcher = Create(new RealtimeOptions { CostlyMatchThreshold = 100, MatchBudgetPerClient = 0 });
        var threads = Channel.CreateUnbounded<string?>();
        var context = Connect(dispatcher);

        // 8 units of scans: 8 on a document under 1 KiB, 8 × 64 + ... on a 64 KiB one.
        var spec = new SubscriptionSpec("c", null, _ => threads.Writer.TryWrite(Thread.CurrentThread.Name), Cost: 8, ScanCost: 8);
        dispatcher.Activate(dispatcher.Register(context.ConnectionId, spec, resumeAfter: null).Subscription);

        Dispatch(dispatcher, "small", after: new JsonObject { ["_id"] = "small", ["text"] = "short" });
        Dispatch(dispatcher, "large", after: new JsonObject { ["_id"] = "large", ["text"] = new string('x', 32 * 1024) });

        Assert.Equal("small", (await _hub.NextAsync()).Id);
        Assert.Equal("large", (await _hub.NextAsync()).Id);
        Assert.NotEqual("Baas costly matching", await threads.Reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Baas costly matching", await threads.Reader.ReadAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Dispatch_BacklogWhileTheClientIsSlow_IsSentInOrderWithOneFlush()
    {
        var dispatcher = Create(new RealtimeOptions());
        var context = Connect(dispatcher);
        var subscription = dispatcher.Register(context.ConnectionId, Everything(), resumeAfter: null).Subscription;
        dispatcher.Activate(subscription);
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hub.Gate = slow;

        // The first send waits on the slow client while five more changes queue up behind it.
        Dispatch(dispatcher, "a");
        Assert.Equal("a", (await _hub.NextAsync()).Id);
        foreach (var id in new[] { "b", "c", "d", "e", "f" })
        {
            Dispatch(dispatcher, id);
        }

        _hub.Gate = null;
        slow.SetResult();
        foreach (var id in new[] { "b", "c", "d", "e", "f" })
        {
            Assert.Equal(id, (await _hub.NextAsync()).Id);
        }

        Assert.Equal([1, 5], _hub.SendSizes);
    }

    [Fact]
    public async Task Dispatch_IdleConnection_IsSentOnTheDispatchingThreadAndABacklogStillGoesInOrder()
    {
        var dispatcher = Create(new RealtimeOptions());
        var context = Connect(dispatcher);
        var subscription = dispatcher.Register(context.ConnectionId, Everything(), resumeAfter: null).Subscription;
        dispatcher.Activate(subscription);

        // Nothing queued: the change is matched and written before Dispatch returns, on this thread (no worker wake-up).
        DispatchHere(dispatcher, "a");
        Assert.Equal(["a"], _hub.SentOnDispatchingThread);
        Assert.Equal("a", (await _hub.NextAsync()).Id);

        // A send that does not complete at once (a client not reading) leaves the next changes to the worker, which waits
        // for it and then sends them in order with one flush.
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hub.Gate = slow;
        DispatchHere(dispatcher, "b");
        Assert.Equal("b", (await _hub.NextAsync()).Id);
        _hub.Gate = null;
        DispatchHere(dispatcher, "c");
        DispatchHere(dispatcher, "d");
        slow.SetResult();
        Assert.Equal("c", (await _hub.NextAsync()).Id);
        Assert.Equal("d", (await _hub.NextAsync()).Id);
        Assert.Equal(["a", "b"], _hub.SentOnDispatchingThread);
        Assert.Equal([1, 1, 2], _hub.SendSizes);
    }

    [Fact]
    public async Task Dispatch_MoreConnectionsThanASlice_YieldsBetweenSlicesAndEveryConnectionGetsEachChangeInOrder()
    {
        var dispatcher = Create(new RealtimeOptions());
        var connections = (RealtimeDispatcher.FanOutSlice * 2) + 1;
        for (var i = 0; i < connections; i++)
        {
            var context = Connect(dispatcher);
            dispatcher.Activate(dispatcher.Register(context.ConnectionId, Everything(), resumeAfter: null).Subscription);
        }

        // The first slice is written on this thread; the rest only after the dispatcher has let the thread pool run (what
        // the first slice's sends left queued there, in a real hub), so on another thread, or on this one after it is free.
        var first = NewChange("a");
        _hub.DispatchingThread = Environment.CurrentManagedThreadId;
        var dispatching = dispatcher.DispatchAsync(first);
        _hub.DispatchingThread = null;
        Assert.Equal(RealtimeDispatcher.FanOutSlice, _hub.SentOnDispatchingThread.Count);
        await dispatching;
        await dispatcher.DispatchAsync(NewChange("b"));

        var received = new List<string>();
        for (var i = 0; i < connections * 2; i++)
        {
            received.Add((await _hub.NextAsync()).Id);
        }

        // Each change reached every connection once, and "b" went out only after every "a" had.
        Assert.Equal([.. Enumerable.Repeat("a", connections), .. Enumerable.Repeat("b", connections)], received);
    }

    // Dispatches on this thread, recording which sends happen on it (the worker runs on thread-pool threads, possibly this
    // one once the test awaits).
    private void DispatchHere(RealtimeDispatcher dispatcher, string id)
    {
        _hub.DispatchingThread = Environment.CurrentManagedThreadId;
        try
        {
            Dispatch(dispatcher, id);
        }
        finally
        {
            _hub.DispatchingThread = null;
        }
    }

    [Fact]
    public async Task WhenDispatched_CompletesOnceThatPositionIsDispatched_AndAtOnceForOneBehind()
    {
        var dispatcher = Create(new RealtimeOptions());
        var cancellationToken = TestContext.Current.CancellationToken;
        var waiting = dispatcher.WhenDispatchedAsync("2", ComparePositions, cancellationToken);
        Dispatch(dispatcher, "a");
        Assert.False(waiting.IsCompleted);

        Dispatch(dispatcher, "b");
        await waiting.WaitAsync(HubClient.Patience, cancellationToken);
        Assert.True(dispatcher.WhenDispatchedAsync("1", ComparePositions, cancellationToken).IsCompletedSuccessfully);
        Assert.True(dispatcher.WhenDispatchedAsync("not a position", ComparePositions, cancellationToken).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WhenDispatched_TheFeedRestarts_CompletesWhatWaitedForALostPosition()
    {
        var dispatcher = Create(new RealtimeOptions());
        var cancellationToken = TestContext.Current.CancellationToken;
        var waiting = dispatcher.WhenDispatchedAsync("5", ComparePositions, cancellationToken);
        using var cancelled = new CancellationTokenSource();
        var abandoned = dispatcher.WhenDispatchedAsync("5", ComparePositions, cancelled.Token);
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        dispatcher.Restart("3");
        await waiting.WaitAsync(HubClient.Patience, cancellationToken);
    }

    private static int? ComparePositions(string a, string b) =>
        int.TryParse(a, out var left) && int.TryParse(b, out var right) ? left.CompareTo(right) : null;

    private RealtimeDispatcher Create(RealtimeOptions options)
    {
        var dispatcher = new RealtimeDispatcher(
            _hub,
            Options.Create(options),
            new RealtimeMetrics(_services.GetRequiredService<IMeterFactory>()),
            _matcher,
            _time,
            NullLogger<RealtimeDispatcher>.Instance);
        dispatcher.Start("0");
        return dispatcher;
    }

    private static FakeCallerContext Connect(RealtimeDispatcher dispatcher)
    {
        var context = new FakeCallerContext();
        Assert.Equal(ConnectOutcome.Accepted, dispatcher.TryConnect(context));
        return context;
    }

    private static SubscriptionSpec Everything() => new("c", null, _ => true);

    private StoredChange Dispatch(RealtimeDispatcher dispatcher, string id, ChangeKind kind = ChangeKind.Insert, JsonObject? before = null, JsonObject? after = null)
    {
        var change = NewChange(id, kind, before, after);

        // Up to FanOutSlice connections, a change is handed out before DispatchAsync returns.
        Assert.True(dispatcher.DispatchAsync(change).IsCompletedSuccessfully);
        return change;
    }

    private StoredChange NewChange(string id, ChangeKind kind = ChangeKind.Insert, JsonObject? before = null, JsonObject? after = null)
    {
        var change = new StoredChange(
            (++_sequence).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "c",
            id,
            kind,
            before,
            kind == ChangeKind.Insert ? after ?? new JsonObject { ["_id"] = id } : after,
            _time.GetUtcNow());
        return change;
    }

    private sealed class FakeCallerContext : HubCallerContext
    {
        private readonly CancellationTokenSource _aborted = new();

        public override string ConnectionId { get; } = Guid.NewGuid().ToString("N");

        public override string? UserIdentifier => null;

        public override ClaimsPrincipal? User => null;

        public override IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override CancellationToken ConnectionAborted => _aborted.Token;

        public override void Abort() => _aborted.Cancel();
    }

    /// <summary>Records what the dispatcher sends to single connections.</summary>
    private sealed class FakeHubContext : IHubContext<RealtimeHub>, IHubClients, IClientProxy
    {
        private readonly Channel<ChangeEvent> _sent = Channel.CreateUnbounded<ChangeEvent>();

        IHubClients IHubContext<RealtimeHub>.Clients => this;

        IGroupManager IHubContext<RealtimeHub>.Groups => throw new NotSupportedException();

        public IClientProxy All => throw new NotSupportedException();

        public async Task<ChangeEvent> NextAsync() =>
            await _sent.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);

        /// <summary>When set, every send fails with it.</summary>
        public Exception? Failure { get; set; }

        public IClientProxy Client(string connectionId) => this;

        /// <summary>While set, every send waits for it (the client does not read).</summary>
        public TaskCompletionSource? Gate { get; set; }

        /// <summary>How many events each send carried, in order.</summary>
        public ConcurrentQueue<int> SendSizes { get; } = new();

        /// <summary>The thread that calls <see cref="RealtimeDispatcher.DispatchAsync"/> in the test, or null.</summary>
        public int? DispatchingThread { get; set; }

        /// <summary>The ids of the events sent on <see cref="DispatchingThread"/>, in order.</summary>
        public ConcurrentQueue<string> SentOnDispatchingThread { get; } = new();

        public Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
        {
            if (Failure is { } failure)
            {
                return Task.FromException(failure);
            }

            SendSizes.Enqueue(args[0] is ChangeBatch sizes ? sizes.Messages.Count : 1);
            var onDispatchingThread = DispatchingThread == Environment.CurrentManagedThreadId;

            IEnumerable<ChangeEvent> changes = args[0] switch
            {
                ChangeEvent change => [change],
                ChangeBatch batch => batch.Messages.Select(message => (ChangeEvent)message.Payload),
                _ => [],
            };
            foreach (var change in changes)
            {
                if (onDispatchingThread)
                {
                    SentOnDispatchingThread.Enqueue(change.Id);
                }

                _sent.Writer.TryWrite(change);
            }

            return Gate?.Task ?? Task.CompletedTask;
        }

        public IClientProxy AllExcept(IReadOnlyList<string> excludedConnectionIds) => throw new NotSupportedException();

        public IClientProxy Clients(IReadOnlyList<string> connectionIds) => throw new NotSupportedException();

        public IClientProxy Group(string groupName) => throw new NotSupportedException();

        public IClientProxy GroupExcept(string groupName, IReadOnlyList<string> excludedConnectionIds) => throw new NotSupportedException();

        public IClientProxy Groups(IReadOnlyList<string> groupNames) => throw new NotSupportedException();

        public IClientProxy User(string userId) => throw new NotSupportedException();

        public IClientProxy Users(IReadOnlyList<string> userIds) => throw new NotSupportedException();
    }
}
