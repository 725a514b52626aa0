using MongoDB.Bson;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// Joins the fragments <c>$changeStreamSplitLargeEvent</c> makes of a change event over 16 MiB back into one event.
/// Each fragment carries <c>splitEvent: { fragment, of }</c> (1-based) and its own resume token, and a disjoint part of
/// the event's top-level fields; they arrive one after the other. The joined event has every field once and the
/// <c>_id</c> (resume token) of the last fragment, so a reader that resumes from it continues with the next event.
/// One instance per stream, used by one reader at a time. Pure, so it is unit-tested.
/// </summary>
/// <remarks>
/// A stream re-opened from the last whole event (the feed's position) delivers the split event again from fragment 1:
/// a fragment 1 with the token of the pending fragment 1 starts over. The driver's own resume (after an election or a
/// dropped connection) continues with the fragment after the last one delivered, which simply follows. Anything else
/// (a fragment out of order, a new event before the last fragment, a different count) means a fragment is missing:
/// the event cannot be rebuilt, and the caller falls back to the skip-with-resync of an oversized event.
/// </remarks>
internal sealed class SplitEventAssembler
{
    private const string SplitEventField = "splitEvent";
    private const string IdField = "_id";

    private BsonDocument? _pending;
    private BsonValue? _firstToken;
    private int _received;
    private int _of;

    /// <summary>Whether fragments of an event have arrived and its last one has not.</summary>
    public bool IsPending => _pending is not null;

    /// <summary>
    /// Takes the next document of the stream. <see cref="SplitOutcome.Whole"/> and <see cref="SplitOutcome.Assembled"/> give
    /// the event in <paramref name="change"/>; <see cref="SplitOutcome.Pending"/> waits for more fragments;
    /// <see cref="SplitOutcome.Missing"/> says in <paramref name="problem"/> which fragment never came (nothing pending is kept).
    /// </summary>
    public SplitOutcome Add(BsonDocument document, out BsonDocument? change, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(document);
        change = null;
        problem = null;
        if (!document.TryGetValue(SplitEventField, out var split))
        {
            if (_pending is not null)
            {
                problem = $"fragments {_received + 1} to {_of} of {_of} of a split event never arrived (another event came first)";
                Reset();
                return SplitOutcome.Missing;
            }

            change = document;
            return SplitOutcome.Whole;
        }

        if (!TryReadSplit(split, out var fragment, out var of))
        {
            problem = $"a fragment carries an unreadable {SplitEventField} {split}";
            Reset();
            return SplitOutcome.Missing;
        }

        var token = document.GetValue(IdField, BsonNull.Value);
        if (fragment == 1)
        {
            if (_pending is not null && !token.Equals(_firstToken))
            {
                problem = $"fragments {_received + 1} to {_of} of {_of} of a split event never arrived (a new split event began)";
                Reset();
                return SplitOutcome.Missing;
            }

            // A first fragment, or the same event again from its start (the stream was re-opened before its end).
            _pending = new BsonDocument();
            _firstToken = token;
            _received = 0;
            _of = of;
        }
        else if (_pending is null || fragment != _received + 1 || of != _of)
        {
            problem = _pending is null
                ? $"fragment {fragment} of {of} arrived without the fragments before it"
                : $"fragment {fragment} of {of} arrived after fragment {_received} of {_of}";
            Reset();
            return SplitOutcome.Missing;
        }

        foreach (var element in document)
        {
            if (element.Name is not SplitEventField and not IdField)
            {
                _pending!.Set(element.Name, element.Value);
            }
        }

        _received = fragment;
        if (fragment < of)
        {
            return SplitOutcome.Pending;
        }

        // The last fragment's token: resuming from it continues with the next event, never inside this one.
        change = new BsonDocument(IdField, token).AddRange(_pending!);
        Reset();
        return SplitOutcome.Assembled;
    }

    private static bool TryReadSplit(BsonValue split, out int fragment, out int of)
    {
        fragment = 0;
        of = 0;
        if (split is not BsonDocument description
            || description.GetValue("fragment", BsonNull.Value) is not { IsNumeric: true } f
            || description.GetValue("of", BsonNull.Value) is not { IsNumeric: true } n)
        {
            return false;
        }

        fragment = f.ToInt32();
        of = n.ToInt32();
        return fragment >= 1 && of >= 1 && fragment <= of;
    }

    private void Reset()
    {
        _pending = null;
        _firstToken = null;
        _received = 0;
        _of = 0;
    }
}

/// <summary>What <see cref="SplitEventAssembler.Add"/> made of a document.</summary>
internal enum SplitOutcome
{
    /// <summary>An event that was not split.</summary>
    Whole,

    /// <summary>A fragment; more are to come.</summary>
    Pending,

    /// <summary>The last fragment: the whole event is rebuilt.</summary>
    Assembled,

    /// <summary>A fragment is missing: the event cannot be rebuilt.</summary>
    Missing,
}
