using System.Text.Json.Nodes;
using Platform.Server.Rules;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Realtime;

/// <summary>What a subscription watches: a collection, and which of its documents the caller sees.</summary>
/// <param name="Collection">The collection.</param>
/// <param name="DocumentId">The watched document for an id subscription, else null.</param>
/// <param name="Visible">
/// Filter ∧ rule: true when the caller sees this state of a document. Pure: called by the connection's worker and,
/// for a resume, by the hub call that subscribes, possibly at the same time.
/// </param>
/// <param name="Rule">The rule operation the subscription is bound by, or null for privileged callers.</param>
/// <param name="RuleText">That rule's text when the subscription started, to notice when it changes.</param>
/// <param name="Cost">What one evaluation of <paramref name="Visible"/> costs (<see cref="FilterCost"/>).</param>
/// <param name="ScanCost">The part of <paramref name="Cost"/> spent scanning strings (<see cref="FilterCost.ScansOf"/>).</param>
internal sealed record SubscriptionSpec(
    string Collection, string? DocumentId, Func<JsonObject, bool> Visible, RuleOperation? Rule = null, string? RuleText = null, int Cost = 0, int ScanCost = 0)
{
    /// <summary>What matching one change of <paramref name="sizeKib"/> KiB costs (<see cref="FilterCost.Weighted"/>).</summary>
    public long WeightedCost(int sizeKib) => FilterCost.Weighted(Cost, ScanCost, sizeKib);
}

/// <summary>
/// One live subscription. Membership is guarded by the dispatcher's lock; the held events by <see cref="Pending"/>'s
/// own lock (the connection's worker adds to them while a resume inserts the replayed ones in front).
/// <see cref="Removed"/> is read by the worker, which skips subscriptions ended meanwhile.
/// </summary>
internal sealed class Subscription(string id, RealtimeConnection connection, SubscriptionSpec spec, long startIndex)
{
    private readonly Lock _pendingGate = new();
    private volatile bool _removed;
    private List<OutgoingMessage>? _pending = [];

    // Set when the Subscribe snapshot was read at a position the dispatcher had not passed at registration: events at or
    // before it are in the snapshot. Cleared by the first event past it (the feed's order: none at or before it follows).
    private SnapshotMark? _skipThrough;

    public string Id { get; } = id;

    public RealtimeConnection Connection { get; } = connection;

    public SubscriptionSpec Spec { get; } = spec;

    /// <summary>The dispatcher's count of changes when the subscription was registered: it sees only later ones.</summary>
    public long StartIndex { get; } = startIndex;

    /// <summary>A copy of the events held back until the <c>Subscribe</c> result has been written; null once active.</summary>
    public IReadOnlyList<OutgoingMessage>? Pending
    {
        get
        {
            lock (_pendingGate)
            {
                return _pending is null ? null : [.. _pending];
            }
        }
    }

    public bool Removed
    {
        get => _removed;
        set => _removed = value;
    }

    /// <summary>
    /// Holds a live event while the subscription is not active yet: null when it is (send it), else whether the held
    /// events still fit <paramref name="capacity"/>. An event its snapshot already holds (<see cref="SkipThrough"/>) is
    /// dropped here (true: nothing to send).
    /// </summary>
    public bool? TryHold(OutgoingMessage message, int capacity)
    {
        lock (_pendingGate)
        {
            if (_skipThrough is { } mark && message.Change is { } dispatched)
            {
                if (mark.Holds(dispatched.Change.Sequence))
                {
                    return true;
                }

                _skipThrough = null;
            }

            if (_pending is null)
            {
                return null;
            }

            _pending.Add(message);
            return _pending.Count <= capacity;
        }
    }

    /// <summary>Puts replayed events before the live ones held meanwhile (they all come later in the feed); false when they no longer fit <paramref name="capacity"/>.</summary>
    public bool HoldReplayed(List<OutgoingMessage> replayed, int capacity)
    {
        lock (_pendingGate)
        {
            if (_pending is null)
            {
                return true;
            }

            if (_pending.Count + replayed.Count > capacity)
            {
                return false;
            }

            _pending.InsertRange(0, replayed);
            return true;
        }
    }

    /// <summary>
    /// The subscription's snapshot holds every change at or before <paramref name="position"/>: the events of those held
    /// so far are dropped, and so are those still to come (the dispatcher had not passed the position when the
    /// subscription was registered). A position <paramref name="compare"/> cannot order drops nothing.
    /// </summary>
    public void SkipThrough(string position, Func<string, string, int?> compare)
    {
        ArgumentNullException.ThrowIfNull(position);
        ArgumentNullException.ThrowIfNull(compare);
        var mark = new SnapshotMark(position, compare);
        lock (_pendingGate)
        {
            _skipThrough = mark;
            _pending?.RemoveAll(message => message.Change is { } dispatched && mark.Holds(dispatched.Change.Sequence));
        }
    }

    /// <summary>Makes the subscription active at once when it holds nothing; false when held events must be sent first.</summary>
    public bool TryActivateEmpty()
    {
        lock (_pendingGate)
        {
            if (_pending is { Count: > 0 })
            {
                return false;
            }

            _pending = null;
            return true;
        }
    }

    /// <summary>Makes the subscription active and returns what it held.</summary>
    public List<OutgoingMessage> Release()
    {
        lock (_pendingGate)
        {
            var held = _pending ?? [];
            _pending = null;
            return held;
        }
    }

    /// <summary>The event this change means for this subscription, or null when the caller sees it neither before nor after.</summary>
    public ChangeEvent? Evaluate(DispatchedChange dispatched)
    {
        var change = dispatched.Change;

        // An id subscription sees one document of the collection: skip the filter and rule for all the others.
        if (Spec.DocumentId is { } watched && !string.Equals(watched, change.Id, StringComparison.Ordinal))
        {
            return null;
        }

        // A provider may lose the before-image; a delete then still ends what the client may hold (only the id
        // is revealed), while a replace is judged by its after-image alone.
        var before = change.Before is { } previous ? Spec.Visible(previous) : change.Kind == ChangeKind.Delete;
        var after = change.After is { } current && Spec.Visible(current);
        var (type, document) = (before, after) switch
        {
            (false, true) => (RealtimeEvents.Added, dispatched.AfterPayload),
            (true, true) => (RealtimeEvents.Modified, dispatched.AfterPayload),
            (true, false) => (RealtimeEvents.Removed, dispatched.BeforePayload),
            _ => (null, null),
        };
        return type is null
            ? null
            : new ChangeEvent { SubscriptionId = Id, Type = type, Id = change.Id, Document = document, Sequence = change.Sequence };
    }
}

/// <summary>A snapshot's feed position: it holds the changes at or before it.</summary>
internal sealed record SnapshotMark(string Position, Func<string, string, int?> Compare)
{
    public bool Holds(string sequence) => Compare(sequence, Position) is <= 0;
}

/// <summary>
/// A change as the dispatcher holds it: the payloads are converted once, on first use (by whichever connection
/// worker needs them first), and shared by every recipient, as are its events' wire frames (<see cref="Frames"/>).
/// </summary>
internal sealed class DispatchedChange(StoredChange change, long index)
{
    private Dictionary<string, object?>? _before;
    private Dictionary<string, object?>? _after;

    public StoredChange Change { get; } = change;

    /// <summary>This change's <c>change</c> events as each hub protocol writes them, encoded once and shared by every recipient.</summary>
    public ChangeFrames Frames { get; } = new();

    /// <summary>The dispatcher's running count of changes, this one included.</summary>
    public long Index { get; } = index;

    /// <summary>Estimated memory the change holds while the replay window keeps it (<see cref="DocumentSize"/>).</summary>
    public long EstimatedBytes { get; } = DocumentSize.OfChange(change);

    /// <summary>
    /// The larger of the document's two versions, in KiB as held in memory (<see cref="DocumentSize.Of"/>), at least
    /// 1: what a string scan of it costs, relative to a 1 KiB document (<see cref="FilterCost.Weighted"/>).
    /// </summary>
    public int SizeKib { get; } = DocumentSize.Kib(change);

    public Dictionary<string, object?>? BeforePayload =>
        Change.Before is null ? null : Volatile.Read(ref _before) ?? Interlocked.CompareExchange(ref _before, PayloadValues.FromDocument(Change.Before), null) ?? _before;

    public Dictionary<string, object?>? AfterPayload =>
        Change.After is null ? null : Volatile.Read(ref _after) ?? Interlocked.CompareExchange(ref _after, PayloadValues.FromDocument(Change.After), null) ?? _after;
}

/// <summary>
/// A message for a connection; <see cref="Subscription"/> is null for connection-wide ones. A <c>change</c> event
/// carries the <see cref="Change"/> it reports, whose shared frames it is written from.
/// </summary>
internal sealed record OutgoingMessage(string Method, object Payload, Subscription? Subscription, DispatchedChange? Change = null);

/// <summary>Work waiting in a connection's queue: match a change against its subscriptions, or release a subscription's held events.</summary>
internal readonly record struct ConnectionWork(DispatchedChange? Change, Subscription? Activate);
