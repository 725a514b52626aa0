using System.Text.RegularExpressions;
using MongoDB.Driver;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// MongoDB's limits and the errors a user can cause, mapped to the storage exceptions the server answers with a 4xx
/// (never a 500). Pure, so every mapping is unit-tested from constructed codes and messages.
/// </summary>
internal static partial class MongoErrors
{
    /// <summary>A document nested deeper than the server stores ("Overflow").</summary>
    public const int Overflow = 15;

    /// <summary>Index build refused; with "too many indexes" in the message, the collection is at its 64 indexes.</summary>
    public const int CannotCreateIndex = 67;

    /// <summary>"cannot index parallel arrays [a] [b]": a compound index over two fields that are arrays in one document.</summary>
    public const int CannotIndexParallelArrays = 171;

    /// <summary>
    /// "SnapshotUnavailable": a snapshot read chose a cluster time before a catalog change of its collection (created
    /// or re-created just now); a new read, at a later time, succeeds.
    /// </summary>
    public const int SnapshotUnavailable = 246;

    /// <summary>"BSONObjectTooLarge": a document (or a command holding it) over 16 MiB.</summary>
    public const int BsonObjectTooLarge = 10334;

    /// <summary>"Resulting document after update is larger than 16777216".</summary>
    public const int UpdateResultTooLarge = 17419;

    /// <summary>"BSONObj exceeded maximum nested object depth" / "cannot insert document ... levels of nesting".</summary>
    public const int NestingTooDeep = 17279;

    /// <summary>BSON's own limit on one document: 16 MiB.</summary>
    public const long BsonMaxBytes = 16 * 1024 * 1024;

    /// <summary>
    /// The largest document the Mongo provider stores, in bytes of BSON (hidden origin fields included): half of BSON's
    /// 16 MiB less 64 KiB, because a change event carries a replaced document twice (before and after) plus its
    /// resume token, namespace, key and times, and an event over 16 MiB would stop the change stream.
    /// <c>Baas:Documents:MaxBytes</c> must not exceed it with the Mongo provider.
    /// </summary>
    public const long MaxDocumentBytes = (BsonMaxBytes / 2) - (64 * 1024);

    /// <summary>MongoDB stores at most 100 levels of nesting; <c>Baas:Documents:MaxDepth</c> must not exceed it with the Mongo provider.</summary>
    public const int MaxDocumentDepth = 100;

    /// <summary>Indexes MongoDB allows per collection, <c>_id_</c> included.</summary>
    public const int MaxIndexesPerCollection = 64;

    public static bool IsTooManyIndexes(MongoCommandException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.Code == CannotCreateIndex && (exception.ErrorMessage ?? exception.Message).Contains("too many indexes", StringComparison.OrdinalIgnoreCase);
    }

    public static TooManyIndexesException TooManyIndexes(string collection, string indexName, int position, Exception inner) =>
        new(collection, indexName, position, MaxIndexesPerCollection, inner);

    public static bool IsTooLarge(int code, string? message) =>
        code is BsonObjectTooLarge or UpdateResultTooLarge
        || (code == 2 && message is not null && message.Contains("too large", StringComparison.OrdinalIgnoreCase));

    public static bool IsTooDeep(int code, string? message) =>
        code == NestingTooDeep
        || (code == Overflow && message is not null && message.Contains("nest", StringComparison.OrdinalIgnoreCase));

    /// <summary>The two array paths in "cannot index parallel arrays [b] [a]", or null when the message has another form.</summary>
    public static IReadOnlyList<string>? ParallelArrayFields(string? message)
    {
        if (message is null)
        {
            return null;
        }

        var match = ParallelArrays().Match(message);
        return match.Success ? [match.Groups["first"].Value, match.Groups["second"].Value] : null;
    }

    /// <summary>
    /// The index that covers both array <paramref name="fields"/>: a compound index with a key on (or inside) each.
    /// Null when none does (the index was dropped meanwhile).
    /// </summary>
    public static string? IndexCovering(IReadOnlyList<string> fields, IEnumerable<MongoExistingIndex> indexes)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(indexes);
        return indexes
            .Where(index => fields.All(field => index.Keys.Names.Any(key => key == field || key.StartsWith(field + ".", StringComparison.Ordinal))))
            .Select(index => index.Name)
            .OrderBy(name => MongoIndexTranslator.IsManaged(name) ? 0 : 1)
            .ThenBy(name => name, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>
    /// The storage exception for a write refused with <paramref name="code"/>, when the document caused it (size, depth,
    /// parallel arrays); null for any other error. <paramref name="indexes"/> names the index of a parallel-arrays error.
    /// </summary>
    public static StorageException? ForWrite(WriteOperation operation, int opIndex, int code, string? message, Exception inner, IEnumerable<MongoExistingIndex>? indexes = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var id = MongoWriteTranslator.GetId(operation);
        if (code == CannotIndexParallelArrays)
        {
            var fields = ParallelArrayFields(message) ?? [];
            return new ParallelArraysException(operation.Collection, indexes is null || fields.Count == 0 ? null : IndexCovering(fields, indexes), fields, opIndex, inner: inner);
        }

        if (IsTooLarge(code, message))
        {
            return new DocumentTooLargeForStoreException(operation.Collection, id, size: null, MaxDocumentBytes, opIndex, inner: inner);
        }

        return IsTooDeep(code, message) ? new DocumentTooLargeForStoreException(operation.Collection, id, size: null, MaxDocumentDepth, opIndex, tooDeep: true, inner) : null;
    }

    [GeneratedRegex(@"parallel arrays \[(?<first>[^\]]+)\] \[(?<second>[^\]]+)\]", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ParallelArrays();
}
