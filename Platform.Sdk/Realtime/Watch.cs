using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Platform.Sdk.Realtime;

/// <summary>Where a watch stands with the server.</summary>
internal enum WatchState
{
    /// <summary>No subscription; the next connection (or retry) subscribes it.</summary>
    Idle,

    /// <summary>A <c>Subscribe</c> call is on its way.</summary>
    Subscribing,

    /// <summary>Events arrive under <see cref="Watch.SubscriptionId"/>.</summary>
    Subscribed,

    /// <summary>Its reader fell behind: unsubscribed until the reader reaches the <see cref="WatchItemKind.Lagged"/> marker.</summary>
    Lagging,
}

internal enum WatchItemKind
{
    Added,
    Modified,
    Removed,
    Reset,

    /// <summary>The buffer was full; the reader resumes the watch when it gets here.</summary>
    Lagged,
}

/// <summary>One buffered change: <paramref name="Live"/> ones (events) count against the buffer's capacity, snapshots do not.</summary>
internal readonly record struct WatchItem(WatchItemKind Kind, string Id, JsonObject? Document, string Sequence, bool Live);

/// <summary>
/// One <c>WatchAsync</c> enumeration: what it subscribes to, where it stands, and its buffer. Everything but the buffer's
/// reader and <see cref="LiveCount"/> is guarded by the session's lock.
/// </summary>
internal sealed class Watch
{
    // Enough to catch a replayed tail overlapping what was delivered; sequences of one watch never repeat otherwise.
    private const int RecentSequences = 256;

    private readonly HashSet<string> _recent = new(StringComparer.Ordinal);

    // The versions a snapshot delivered. Servers before session 11 read a snapshot after registering the subscription, so
    // a change committed in between arrived both in the snapshot and as an event, which must not be delivered twice;
    // later servers start the events at the snapshot's own position, and this check then never drops anything.
    private readonly Dictionary<string, long> _snapshotVersions = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentOrder = new();
    private int _liveCount;

    public Watch(string collection, JsonObject? filter, string? id, bool snapshot)
    {
        Collection = collection;
        Filter = filter;
        Id = id;
        Snapshot = snapshot;
    }

    public string Collection { get; }

    public JsonObject? Filter { get; }

    public string? Id { get; }

    public bool Snapshot { get; }

    public Channel<WatchItem> Items { get; } = Channel.CreateUnbounded<WatchItem>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Completes when the server first acknowledged the subscription; fails when the watch ends before that.</summary>
    public TaskCompletionSource Live { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Ends the watch with <paramref name="error"/>: the reader gets it after the buffered changes, and so does a wait for <see cref="Live"/>.</summary>
    public void Complete(Exception? error = null)
    {
        Items.Writer.TryComplete(error);
        if (error is null)
        {
            Live.TrySetCanceled();
        }
        else
        {
            Live.TrySetException(error);
        }
    }

    public WatchState State { get; set; }

    public string? SubscriptionId { get; set; }

    /// <summary>The sequence of the last change put in the buffer (or the start position): where a resubscription resumes.</summary>
    public string? LastSequence { get; set; }

    /// <summary>The server dropped the connection for a reason a resumption cannot repair (e.g. changed rules): start over with a snapshot.</summary>
    public bool NeedsReset { get; set; }

    /// <summary>Whether the <c>Subscribe</c> on its way asked for a reset snapshot (a later <see cref="NeedsReset"/> outdates it).</summary>
    public bool RequestedReset { get; private set; }

    /// <summary>Set once the enumeration ended or failed.</summary>
    public bool Closed { get; set; }

    public int LiveCount => Volatile.Read(ref _liveCount);

    /// <summary>The <c>Subscribe</c> argument: a resumption after <see cref="LastSequence"/> once the watch has one.</summary>
    public Dictionary<string, object?> BuildRequest()
    {
        var request = new Dictionary<string, object?>(StringComparer.Ordinal) { ["collection"] = Collection };
        RequestedReset = NeedsReset;
        if (Filter is not null)
        {
            request["filter"] = HubValues.ToPlain(Filter);
        }

        if (Id is not null)
        {
            request["id"] = Id;
        }

        if (LastSequence is null || NeedsReset)
        {
            request["snapshot"] = LastSequence is not null || Snapshot;
        }
        else
        {
            request["resumeAfter"] = LastSequence;
        }

        return request;
    }

    /// <summary>Buffers a live change; false for one already delivered (a replay overlapping live events).</summary>
    public bool TryAddLive(WatchItemKind kind, string id, JsonObject? document, string sequence)
    {
        if (!_recent.Add(sequence))
        {
            return false;
        }

        if (_snapshotVersions.TryGetValue(id, out var snapshotVersion))
        {
            if (kind != WatchItemKind.Removed
                && document?["_version"] is JsonValue version && version.TryGetValue<long>(out var number) && number <= snapshotVersion)
            {
                // The snapshot already holds this state (or a later one).
                LastSequence = sequence;
                return false;
            }

            _snapshotVersions.Remove(id);
        }

        _recentOrder.Enqueue(sequence);
        if (_recentOrder.Count > RecentSequences)
        {
            _recent.Remove(_recentOrder.Dequeue());
        }

        Interlocked.Increment(ref _liveCount);
        LastSequence = sequence;
        Items.Writer.TryWrite(new WatchItem(kind, id, document, sequence, Live: true));
        return true;
    }

    /// <summary>Buffers a snapshot, after a <see cref="WatchItemKind.Reset"/> when it replaces what the reader had.</summary>
    public void AddSnapshot(IEnumerable<JsonObject> documents, string sequence, bool reset)
    {
        _snapshotVersions.Clear();
        if (reset)
        {
            _recent.Clear();
            _recentOrder.Clear();
            Items.Writer.TryWrite(new WatchItem(WatchItemKind.Reset, string.Empty, null, sequence, Live: false));
        }

        foreach (var document in documents)
        {
            var id = document["_id"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;
            if (document["_version"] is JsonValue version && version.TryGetValue<long>(out var number))
            {
                _snapshotVersions[id] = number;
            }

            Items.Writer.TryWrite(new WatchItem(WatchItemKind.Added, id, document, sequence, Live: false));
        }

        LastSequence = sequence;
        NeedsReset = false;
    }

    public void AddLaggedMarker() => Items.Writer.TryWrite(new WatchItem(WatchItemKind.Lagged, string.Empty, null, LastSequence ?? string.Empty, Live: false));

    /// <summary>The reader took <paramref name="item"/>.</summary>
    public void Taken(in WatchItem item)
    {
        if (item.Live)
        {
            Interlocked.Decrement(ref _liveCount);
        }
    }
}
