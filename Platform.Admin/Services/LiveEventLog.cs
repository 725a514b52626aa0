using System.Text.Json.Nodes;
using Platform.Admin.Components;
using Platform.Sdk;

namespace Platform.Admin.Services;

/// <summary>One change shown by the realtime inspector.</summary>
/// <param name="Number">Its position in the watch (1, 2, ...), a stable key for the list.</param>
/// <param name="Type">What happened.</param>
/// <param name="Id">The document id (empty for a reset).</param>
/// <param name="At">When the dashboard received it.</param>
/// <param name="Lines">The document's fields, compared with the last state seen of it.</param>
/// <param name="HasPrevious">True when an earlier state was seen, so <see cref="DiffLine.Before"/> is meaningful.</param>
public sealed record LiveEvent(int Number, DocumentChangeType Type, string Id, DateTimeOffset At, IReadOnlyList<DiffLine> Lines, bool HasPrevious);

/// <summary>
/// The realtime inspector's list: the newest <see cref="Capacity"/> changes first, each with the fields that changed
/// since the last state seen of that document. Paused, it still tracks states (so the next change shows the right
/// difference) but shows nothing and counts what it skipped. Memory is bounded by the capacity.
/// </summary>
public sealed class LiveEventLog(int capacity, TimeProvider time)
{
    private readonly List<LiveEvent> _events = [];
    private readonly Dictionary<string, JsonObject> _lastSeen = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();
    private int _number;

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "The capacity must be positive.");

    /// <summary>Newest first.</summary>
    public IReadOnlyList<LiveEvent> Events => _events;

    public bool Paused { get; set; }

    /// <summary>Changes received while paused.</summary>
    public int Skipped { get; private set; }

    public void Clear()
    {
        _events.Clear();
        Skipped = 0;
    }

    /// <summary>Forgets everything, for a new watch.</summary>
    public void Reset()
    {
        Clear();
        _lastSeen.Clear();
        _seenOrder.Clear();
        Paused = false;
    }

    public void Add(DocumentChange<JsonObject> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var data = change.Data;
        _lastSeen.TryGetValue(change.Id, out var previous);
        switch (change.Type)
        {
            case DocumentChangeType.Reset:
                _lastSeen.Clear();
                _seenOrder.Clear();
                break;
            case DocumentChangeType.Removed:
                _lastSeen.Remove(change.Id);
                break;
            default:
                if (data is not null)
                {
                    Remember(change.Id, (JsonObject)data.DeepClone());
                }

                break;
        }

        if (Paused)
        {
            Skipped++;
            return;
        }

        var lines = change.Type == DocumentChangeType.Removed
            ? JsonDiff.Compare(previous ?? data, null)
            : JsonDiff.Compare(previous, data);
        _events.Insert(0, new LiveEvent(++_number, change.Type, change.Id, time.GetUtcNow(), lines, previous is not null || change.Type == DocumentChangeType.Removed));
        if (_events.Count > Capacity)
        {
            _events.RemoveRange(Capacity, _events.Count - Capacity);
        }
    }

    // Keeps the last state of at most 10 × capacity documents, dropping the oldest remembered first.
    private void Remember(string id, JsonObject state)
    {
        if (!_lastSeen.ContainsKey(id))
        {
            _seenOrder.Enqueue(id);
            while (_seenOrder.Count > Capacity * 10 && _seenOrder.TryDequeue(out var oldest))
            {
                _lastSeen.Remove(oldest);
            }
        }

        _lastSeen[id] = state;
    }
}
