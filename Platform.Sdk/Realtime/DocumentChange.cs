namespace Platform.Sdk;

/// <summary>What happened to a document in a watched result.</summary>
public enum DocumentChangeType
{
    /// <summary>The document entered the result: it was created, updated into the filter, or is part of a snapshot.</summary>
    Added,

    /// <summary>The document is still in the result and changed.</summary>
    Modified,

    /// <summary>The document left the result: deleted, updated out of the filter, or no longer visible under the rules.</summary>
    Removed,

    /// <summary>
    /// The server could not replay what was missed while the watch was disconnected (or lagging): forget every
    /// document you hold for this watch. The <see cref="Added"/> changes that follow are the current result.
    /// </summary>
    Reset,
}

/// <summary>One change seen by a watch (<c>query.WatchAsync()</c> or <c>collection.WatchAsync(id)</c>).</summary>
/// <typeparam name="T">The document type.</typeparam>
/// <param name="Type">What happened.</param>
/// <param name="Id">The document id; empty for <see cref="DocumentChangeType.Reset"/>.</param>
/// <param name="Document">
/// The document after the change; for <see cref="DocumentChangeType.Removed"/> its last visible state, or null when the
/// server does not know it; null for <see cref="DocumentChangeType.Reset"/>.
/// </param>
/// <param name="Sequence">
/// The change-feed position of the change (opaque). Snapshot documents and a reset carry the position the
/// subscription started at.
/// </param>
public sealed record DocumentChange<T>(DocumentChangeType Type, string Id, Document<T>? Document, string Sequence)
{
    /// <summary>The document's data, or the default when there is no <see cref="Document"/>.</summary>
    public T? Data => Document is null ? default : Document.Data;
}

/// <summary>How a watch starts.</summary>
public sealed class WatchOptions
{
    /// <summary>
    /// Deliver the documents that match now as <see cref="DocumentChangeType.Added"/> changes before any live change.
    /// The server caps a snapshot (<c>Baas:Realtime:SnapshotLimit</c>, default 1,000 documents). Default false.
    /// </summary>
    public bool Snapshot { get; set; }
}
