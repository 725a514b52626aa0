namespace Platform.Server.Storage;

/// <summary>Base of the storage failures the service turns into client errors. Carries the batch position.</summary>
public abstract class StorageException(string message, int opIndex, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Index of the failing operation within the batch passed to <see cref="IDocumentStore.WriteAsync"/>.</summary>
    public int OpIndex { get; } = opIndex;
}

/// <summary>An insert used an id that already exists in the collection.</summary>
public sealed class DuplicateIdException(string collection, string id, int opIndex)
    : StorageException($"Document '{id}' already exists in '{collection}'.", opIndex)
{
    public string Collection { get; } = collection;
    public string Id { get; } = id;
}

/// <summary>A conditional replace or delete found another version, or no document at all.</summary>
public sealed class VersionMismatchException(string collection, string id, long? actualVersion, int opIndex)
    : StorageException(actualVersion is null ? $"Document '{id}' does not exist in '{collection}'." : $"Document '{id}' in '{collection}' is at version {actualVersion}.", opIndex)
{
    public string Collection { get; } = collection;
    public string Id { get; } = id;

    /// <summary>The stored version, or null when the document does not exist.</summary>
    public long? ActualVersion { get; } = actualVersion;
}

/// <summary>A write (or building a unique index over existing data) would break a unique index.</summary>
public sealed class UniqueIndexViolationException(string collection, string indexName, int opIndex, Exception? inner = null)
    : StorageException($"The write breaks unique index '{indexName}' of '{collection}'.", opIndex, inner)
{
    public string Collection { get; } = collection;
    public string IndexName { get; } = indexName;
}

/// <summary>The store could not be reached or failed; never reported to clients as anything but 503.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A query or count ran past its time budget (<see cref="DocumentQuery.Timeout"/>) and the store stopped it. Nothing was
/// changed; the caller gets a <c>query_timeout</c> problem.
/// </summary>
public sealed class QueryTimeoutException(string collection, TimeSpan timeout, Exception? inner = null)
    : Exception($"The query on '{collection}' ran past its budget of {timeout.TotalMilliseconds:0} ms and was stopped.", inner)
{
    public string Collection { get; } = collection;

    /// <summary>The budget that ran out.</summary>
    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>
/// The store cannot serve this server as configured (for example, the MongoDB user lacks a privilege): start-up stops
/// with this one-line message (Program.cs writes it to stderr and exits with 1).
/// </summary>
public sealed class StorageStartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A compound index covers two fields that are both arrays in one document, which MongoDB cannot index ("cannot index
/// parallel arrays", error 171). Raised by a write (<see cref="IndexName"/> names the index the document breaks) or by
/// building the index over existing data (<see cref="IndexPosition"/> is the index's position in the applied list).
/// SQLite indexes whole JSON values and never raises it.
/// </summary>
public sealed class ParallelArraysException(string collection, string? indexName, IReadOnlyList<string> fields, int opIndex, int? indexPosition = null, Exception? inner = null)
    : StorageException(
        $"Index '{indexName ?? "?"}' of '{collection}' covers {string.Join(" and ", fields.Select(f => $"'{f}'"))}, which are both arrays in one document; MongoDB cannot index two array fields of one document.",
        opIndex,
        inner)
{
    public string Collection { get; } = collection;

    /// <summary>The index, when known.</summary>
    public string? IndexName { get; } = indexName;

    /// <summary>The two array paths MongoDB named.</summary>
    public IReadOnlyList<string> Fields { get; } = fields;

    /// <summary>Set when building an index failed: its position in the list passed to <see cref="IDocumentStore.ApplyIndexesAsync"/>.</summary>
    public int? IndexPosition { get; } = indexPosition;
}

/// <summary>
/// A document is larger (or deeper) than the store can hold: on MongoDB, more than <see cref="Limit"/> bytes of BSON (half of
/// BSON's 16 MiB less room, so that a change event holding the document before and after a replace still fits) or
/// nested deeper than MongoDB allows. Nothing was written.
/// </summary>
public sealed class DocumentTooLargeForStoreException(string collection, string id, long? size, long limit, int opIndex, bool tooDeep = false, Exception? inner = null)
    : StorageException(
        tooDeep
            ? $"Document '{id}' is nested deeper than the store allows ({limit} levels)."
            : $"Document '{id}' takes {(size is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes" : "more than the store's limit")} as stored; the store holds at most {limit} bytes per document.",
        opIndex,
        inner)
{
    public string Collection { get; } = collection;
    public string Id { get; } = id;

    /// <summary>The stored size in bytes, when known.</summary>
    public long? Size { get; } = size;

    /// <summary>The limit that was exceeded: bytes, or levels when <see cref="TooDeep"/>.</summary>
    public long Limit { get; } = limit;

    /// <summary>True for the nesting limit, false for the size limit.</summary>
    public bool TooDeep { get; } = tooDeep;
}

/// <summary>Building an index failed because the collection already has as many indexes as the store allows (MongoDB: 64, <c>_id_</c> included).</summary>
public sealed class TooManyIndexesException(string collection, string indexName, int indexPosition, int limit, Exception? inner = null)
    : Exception($"'{collection}' cannot have index '{indexName}': the store allows at most {limit} indexes per collection, its own id index included.", inner)
{
    public string Collection { get; } = collection;
    public string IndexName { get; } = indexName;

    /// <summary>The index's position in the applied list.</summary>
    public int IndexPosition { get; } = indexPosition;

    public int Limit { get; } = limit;
}

/// <summary>
/// A stored document holds a value the server cannot represent as JSON (e.g. a BSON DBPointer written by another tool)
/// or cannot be decoded at all. Reads answer with a clear error instead of failing; the document must be fixed in the database.
/// </summary>
public sealed class UnreadableDocumentException(string collection, string? id, string reason, Exception? inner = null)
    : Exception($"A document in '{collection}'{(id is null ? string.Empty : $" ('{id}')")} cannot be read: {reason}", inner)
{
    public string Collection { get; } = collection;
    public string? Id { get; } = id;
    public string Reason { get; } = reason;
}

/// <summary>
/// A page of a query sorted by <see cref="Path"/> was refused because a matching document holds an array there
/// (<see cref="KeysetArrays"/>): keyset paging over arrays would skip or repeat documents. Nothing was returned.
/// </summary>
public sealed class SortOverArrayException(string collection, string path, string? id)
    : Exception($"'{collection}' cannot be paged by '{path}': document '{id ?? "?"}' holds an array there.")
{
    public string Collection { get; } = collection;

    /// <summary>The sort path at fault.</summary>
    public string Path { get; } = path;

    /// <summary>A matching document that holds the array, when known.</summary>
    public string? Id { get; } = id;
}
