using System.Text.Json.Nodes;

namespace Platform.Server.Storage;

/// <summary>
/// The storage port: everything the server asks of a database. Two providers implement it
/// (<c>Storage/Sqlite</c>, <c>Storage/Mongo</c>) and one conformance suite pins these semantics:
/// <list type="bullet">
/// <item>A document is a JSON object that includes its system fields (<c>_id</c>, <c>_version</c>,
/// <c>_createdAt</c>, <c>_updatedAt</c>, <c>_createdBy</c>). Providers store and return it as given:
/// field order, strings, booleans, nulls, nested objects and arrays round-trip unchanged.</item>
/// <item>Numbers: integers within the 64-bit range round-trip exactly; other numbers as IEEE doubles.
/// Comparisons and sorts treat all numbers as one type (1 == 1.0).</item>
/// <item>Dates are not a type: system timestamps are ISO-8601 UTC strings with milliseconds
/// (<c>2026-01-02T03:04:05.678Z</c>), which sort chronologically as strings.</item>
/// <item>String comparison and sorting are ordinal (binary UTF-8/UTF-16 order), case-sensitive,
/// except for <c>$containsi</c>.</item>
/// <item>Filters have MongoDB semantics, including matching any element of an array and missing = null
/// (see <see cref="Filters.FilterNode"/>).</item>
/// <item>Sorting uses MongoDB's type order: missing/null &lt; numbers &lt; strings &lt; objects &lt; arrays &lt; booleans.
/// The service always ends a sort with <c>_id</c>, so the order is total.</item>
/// <item>Writes never upsert implicitly: inserts fail on an existing id, replaces and deletes on a
/// missing document or a different version.</item>
/// <item><see cref="WriteAsync"/> is all-or-nothing and atomic per call: readers see all of a batch or none of it.</item>
/// <item>Collection and index management is idempotent.</item>
/// <item>Cost: <see cref="QueryAsync"/> and <see cref="CountAsync(string, Filters.FilterNode, TimeSpan?, CancellationToken)"/> stop
/// the work in the database, not only the wait for it, when their time budget runs out
/// (<see cref="QueryTimeoutException"/>) or their cancellation token is cancelled (<see cref="OperationCanceledException"/>);
/// either way nothing is returned and the store stays usable. Reads by id and writes have no budget.</item>
/// </list>
/// Collections whose names start with <c>_</c> are system collections; the store treats them like any other.
/// </summary>
public interface IDocumentStore
{
    /// <summary>Prepares the store (files, schema, connections). Called once at start-up; idempotent.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>True when the store answers (used by <c>/health/ready</c>).</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates the collection if it does not exist.</summary>
    Task CreateCollectionAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>Drops the collection, its documents and its indexes; no-op when absent.</summary>
    Task DropCollectionAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the collection's user-defined indexes exactly <paramref name="indexes"/>: creates the
    /// missing ones, drops the ones no longer listed. Throws <see cref="UniqueIndexViolationException"/>
    /// (and changes nothing for that index) when existing documents break a new unique index; on MongoDB also
    /// <see cref="ParallelArraysException"/> (a compound index over two fields that are arrays in one document) and
    /// <see cref="TooManyIndexesException"/> (past 64 indexes). Indexes are named by <see cref="IndexDefinition.Name"/>; a provider may add <c>_id</c> as the last
    /// key of a non-unique index that lacks it (the keyset tiebreak; MongoDB does), and then names it by the keys it built.
    /// </summary>
    Task ApplyIndexesAsync(string collection, IReadOnlyList<IndexDefinition> indexes, CancellationToken cancellationToken = default);

    /// <summary>Reads one document by id, or null.</summary>
    Task<JsonObject?> GetAsync(string collection, string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a query: matching documents in sort order, after the keyset position, at most <c>Limit</c>, within
    /// <see cref="DocumentQuery.Timeout"/> when set (else <see cref="QueryTimeoutException"/>). A page that continues from a
    /// keyset position or fills its limit, sorted by a key some matching document holds an array at, throws
    /// <see cref="SortOverArrayException"/> (see <see cref="KeysetArrays"/>). A stored document the provider cannot
    /// represent as JSON throws <see cref="UnreadableDocumentException"/>.
    /// </summary>
    Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default);

    /// <summary>Counts the documents matching the filter, without a time budget.</summary>
    Task<long> CountAsync(string collection, Filters.FilterNode filter, CancellationToken cancellationToken = default) =>
        CountAsync(collection, filter, timeout: null, cancellationToken);

    /// <summary>
    /// Counts the documents matching the filter within <paramref name="timeout"/> when it is not null: a count still
    /// running after that long is stopped and throws <see cref="QueryTimeoutException"/>.
    /// </summary>
    Task<long> CountAsync(string collection, Filters.FilterNode filter, TimeSpan? timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// True when adding operations to a <see cref="WriteAsync"/> call costs only those operations: the call is one
    /// transaction whatever it holds (SQLite, where every call joins a group commit). False when a call of several
    /// operations costs a transaction that a call of one does not (MongoDB: one document is atomic on its own). A caller
    /// with a side record to keep beside a write (a <c>before</c> trigger's run record) asks this to choose between
    /// writing it in the same call and writing it apart.
    /// </summary>
    bool CombinedWritesAreCheap => false;

    /// <summary>
    /// Applies the operations atomically, in order, all or nothing. Failures are
    /// <see cref="DuplicateIdException"/>, <see cref="VersionMismatchException"/> and
    /// <see cref="UniqueIndexViolationException"/>, each carrying the failing operation's index.
    /// </summary>
    Task WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken cancellationToken = default);
}
