using System.Text.Json.Nodes;

namespace Platform.Server.Storage.Changes;

/// <summary>
/// The committed changes of user collections, in commit order: the source of realtime events. Each provider
/// implements it next to its <see cref="IDocumentStore"/>:
/// <list type="bullet">
/// <item>SQLite: a change-log table written in the same transaction as the data (so a change is in the log
/// exactly when it is committed), numbered by a monotonically increasing sequence, pruned after the
/// retention period, and announced in-process after each commit.</item>
/// <item>MongoDB: a database-wide change stream (with pre-images, so <see cref="StoredChange.Before"/> is known
/// for replaces and deletes); the sequence is the resume token, so every node sharing one database sees the
/// same positions and a client may resume on any node.</item>
/// </list>
/// Collections whose names start with <c>_</c> (system collections) never appear.
/// </summary>
public interface IChangeFeed
{
    /// <summary>
    /// The position of the latest committed change (or of "now" when there is none yet): reading after it
    /// yields exactly the changes committed later.
    /// </summary>
    Task<string> GetPositionAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Every change committed after <paramref name="after"/>, in commit order, then live changes as they commit,
    /// until <paramref name="cancellationToken"/> is cancelled. A writer's change is observable here before its
    /// <c>WriteAsync</c> returns to the writer (same process) or right after (other processes).
    /// </summary>
    /// <exception cref="ChangeHistoryUnavailableException">
    /// <paramref name="after"/> is older than the retained history, or is not a position of this feed.
    /// </exception>
    IAsyncEnumerable<StoredChange> ReadAsync(string after, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ReadAsync(string, CancellationToken)"/>, calling <paramref name="opened"/> each time the feed is open at
    /// its position (the position is valid and, on MongoDB, the change stream is open; again after it re-opens one), before
    /// any change arrives. Lets a reader that recovered from a failure know it at once, not only at the next change
    /// (<c>/health/ready</c>). A feed that cannot tell never calls it.
    /// </summary>
    IAsyncEnumerable<StoredChange> ReadAsync(string after, Action opened, CancellationToken cancellationToken = default) =>
        ReadAsync(after, cancellationToken);

    /// <summary>
    /// Orders two positions of this feed: negative when <paramref name="a"/> comes before <paramref name="b"/>, zero
    /// when they are the same, positive when after; null when either is not a position of this feed, or the feed
    /// cannot tell. Lets a reader of a range (<c>resumeAfter</c> from the stored feed) know it has passed its end
    /// even when the end is not the position of a change.
    /// </summary>
    int? ComparePositions(string a, string b) => null;

    /// <summary>
    /// Whether <see cref="GetPositionAsync"/> answers with the position of the latest committed change itself, which a
    /// reader reaches by reading that change (SQLite's sequence numbers), rather than with a mark of "now" that only a
    /// later change passes (MongoDB's high-water mark). When true, a reader can wait until it has read everything
    /// committed before a moment (realtime's <c>Subscribe</c> does); when false, such a wait could last until the next
    /// write. Default false.
    /// </summary>
    bool PositionIsLatestChange => false;

    /// <summary>
    /// Runs a query as <see cref="IDocumentStore.QueryAsync"/> does (same limits, time budget and errors) and answers
    /// the position of this feed that its documents reflect, read consistently with them: every change at or before the
    /// position is in the documents, none after it is. Reading <see cref="ReadAsync(string, CancellationToken)"/> after
    /// that position yields exactly what the documents miss (realtime's <c>Subscribe</c> snapshot). SQLite reads both
    /// in one read transaction; MongoDB reads the documents at a snapshot's cluster time and answers the position right
    /// after it.
    /// </summary>
    Task<FeedSnapshot> QuerySnapshotAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Documents read together with the feed position they reflect (<see cref="IChangeFeed.QuerySnapshotAsync"/>).</summary>
/// <param name="Documents">The query's documents.</param>
/// <param name="Position">Every change at or before it is in <paramref name="Documents"/>; none after it is.</param>
public sealed record FeedSnapshot(IReadOnlyList<JsonObject> Documents, string Position);

/// <summary>What a write did to one document.</summary>
public enum ChangeKind
{
    Insert,
    Replace,
    Delete,
}

/// <summary>One committed change of one document.</summary>
/// <param name="Sequence">Its position: opaque, unique, increasing in commit order (compare by feed, not by text).</param>
/// <param name="Collection">The collection.</param>
/// <param name="Id">The document id.</param>
/// <param name="Kind">Insert, replace or delete.</param>
/// <param name="Before">The document before the change (null for inserts; may be null when the provider lost it).</param>
/// <param name="After">The document after the change (null for deletes).</param>
/// <param name="CommittedAt">When it was committed.</param>
public sealed record StoredChange(
    string Sequence,
    string Collection,
    string Id,
    ChangeKind Kind,
    JsonObject? Before,
    JsonObject? After,
    DateTimeOffset CommittedAt)
{
    /// <summary>The function run that made the write (<see cref="WriteOperation.Origin"/>), or null for any other writer.</summary>
    public Functions.WriteOrigin? Origin { get; init; }
}

/// <summary>The requested position is no longer (or never was) in the feed's history: take a fresh snapshot.</summary>
public sealed class ChangeHistoryUnavailableException(string position, string message) : Exception(message)
{
    public string Position { get; } = position;
}
