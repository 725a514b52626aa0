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
