namespace Platform.Server.Functions.Triggers;

/// <summary>
/// Which feed position a function's checkpoint may move to: the position of the newest change such that it and every
/// change read before it are fully handled. Changes finish out of order (documents run in parallel, one may wait for a
/// retry), so the checkpoint trails the oldest unfinished change: after a crash, everything after it is delivered again
/// (at-least-once), nothing before it is lost. Thread-safe.
/// </summary>
public sealed class CheckpointTracker(string position)
{
    private readonly Lock _gate = new();
    private readonly Queue<Entry> _inOrder = new();
    private string _safe = position;

    /// <summary>One change read from the feed, in read order.</summary>
    public sealed class Entry(string position)
    {
        public string Position { get; } = position;

        internal bool Done { get; set; }
    }

    /// <summary>The checkpoint may be saved at this position.</summary>
    public string SafePosition
    {
        get
        {
            lock (_gate)
            {
                return _safe;
            }
        }
    }

    /// <summary>
    /// Where <see cref="SafePosition"/> would be if <paramref name="alsoDone"/> were handled too: the position to commit
    /// in the same store write as what finishes them (their run records), so a change's record and the checkpoint
    /// passing it are committed together. Does not mark them handled.
    /// </summary>
    public string SafePositionIf(IReadOnlySet<Entry> alsoDone)
    {
        ArgumentNullException.ThrowIfNull(alsoDone);
        lock (_gate)
        {
            var safe = _safe;
            foreach (var entry in _inOrder)
            {
                if (!entry.Done && !alsoDone.Contains(entry))
                {
                    break;
                }

                safe = entry.Position;
            }

            return safe;
        }
    }

    /// <summary>Changes read and not yet behind <see cref="SafePosition"/>.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _inOrder.Count;
            }
        }
    }

    /// <summary>Tracks the next change read from the feed (call in feed order).</summary>
    public Entry Add(string changePosition)
    {
        var entry = new Entry(changePosition);
        lock (_gate)
        {
            _inOrder.Enqueue(entry);
        }

        return entry;
    }

    /// <summary>Marks a change handled; returns how many changes moved behind <see cref="SafePosition"/> (0 when an older one is still open).</summary>
    public int Complete(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            entry.Done = true;
            var released = 0;
            while (_inOrder.TryPeek(out var head) && head.Done)
            {
                _safe = _inOrder.Dequeue().Position;
                released++;
            }

            return released;
        }
    }
}
