using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MongoDB.Bson;

namespace Platform.Server.Storage.Mongo;

/// <summary>A replace as MongoDB runs it: <c>replaceOne(filter, replacement)</c> without upsert.</summary>
internal sealed record MongoReplace(BsonDocument Filter, BsonDocument Replacement);

/// <summary>
/// Translates the port's primitive writes. A replace is a whole-document <c>replaceOne</c> guarded by
/// the expected version, not a <c>$set</c>/<c>$unset</c> diff: the port does not hand over the
/// stored document, a diff computed from a separate read would cost a round trip, and
/// <c>$set</c> appends new fields in name order, which would break the promise that field order
/// round-trips. A replace also gives change streams the full document in every event.
/// </summary>
internal static partial class MongoWriteTranslator
{
    /// <summary>MongoDB's name for the unique index on <c>_id</c>.</summary>
    public const string IdIndexName = "_id_";

    public static BsonDocument Insert(InsertOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        GetId(operation.Document);
        return MongoOrigin.Stamp(BsonJson.ToBsonDocument(operation.Document), operation.Origin);
    }

    public static MongoReplace Replace(ReplaceOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var id = GetId(operation.Document);
        return new MongoReplace(VersionFilter(id, operation.ExpectedVersion), MongoOrigin.Stamp(BsonJson.ToBsonDocument(operation.Document), operation.Origin));
    }

    public static BsonDocument Delete(DeleteOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return operation.ExpectedVersion is { } version ? VersionFilter(operation.Id, version) : IdFilter(operation.Id);
    }

    /// <summary>
    /// For a delete made by a function: the update that stamps its origin on the document first (same filter as the
    /// delete, so it matches exactly when the delete will), run in the delete's transaction. Null for other deletes.
    /// </summary>
    public static BsonDocument? DeleteStamp(DeleteOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return operation.Origin is { } origin ? MongoOrigin.DeleteStamp(origin) : null;
    }

    public static BsonDocument IdFilter(string id) => new(SystemFields.Id, id);

    /// <summary>
    /// Refuses a document whose BSON (hidden fields included) is over <paramref name="limit"/> bytes, before it reaches the
    /// server: BSON can be several times larger than the JSON the size limit measured (each array element carries its
    /// index as a name), and a document over <see cref="MongoErrors.MaxDocumentBytes"/> could not travel in a change event
    /// together with its previous version.
    /// </summary>
    public static void CheckSize(WriteOperation operation, BsonDocument document, int opIndex, long limit = MongoErrors.MaxDocumentBytes)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(document);
        var size = document.ToBson().LongLength;
        if (size > limit)
        {
            throw new DocumentTooLargeForStoreException(operation.Collection, GetId(operation), size, limit, opIndex);
        }
    }

    /// <summary>Only the version is needed to explain a failed conditional write.</summary>
    public static BsonDocument VersionProjection() => new(SystemFields.Version, 1);

    /// <summary>The stored version in a document read with <see cref="VersionProjection"/>.</summary>
    public static long? ReadVersion(BsonDocument? document) =>
        document is not null && document.TryGetValue(SystemFields.Version, out var version) && version.IsNumeric
            ? version.ToInt64()
            : null;

    public static string GetId(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return document[SystemFields.Id] is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw new ArgumentException("A document to write needs a string _id.", nameof(document));
    }

    public static string GetId(WriteOperation operation) => operation switch
    {
        InsertOperation insert => GetId(insert.Document),
        ReplaceOperation replace => GetId(replace.Document),
        DeleteOperation delete => delete.Id,
        _ => throw new NotSupportedException($"Unknown write operation {operation.GetType().Name}."),
    };

    /// <summary>
    /// The index named in a duplicate-key error, e.g. <c>ux_email</c> in
    /// "E11000 duplicate key error collection: db.users index: ux_email dup key: { ... }". Index
    /// builds report the same text after "caused by ::"; servers before 3.4 wrote <c>db.users.$ux_email</c>.
    /// </summary>
    public static string? DuplicateKeyIndexName(string? message)
    {
        if (message is null)
        {
            return null;
        }

        var match = DuplicateKeyIndex().Match(message);
        return match.Success ? match.Groups["name"].Value : null;
    }

    /// <summary>The storage exception for a duplicate-key error raised by <paramref name="operation"/>.</summary>
    public static StorageException DuplicateKey(WriteOperation operation, int opIndex, string? message, Exception inner)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var index = DuplicateKeyIndexName(message);
        return index == IdIndexName && operation is InsertOperation insert
            ? new DuplicateIdException(operation.Collection, GetId(insert.Document), opIndex)
            : new UniqueIndexViolationException(operation.Collection, index ?? "unknown", opIndex, inner);
    }

    private static BsonDocument VersionFilter(string id, long version) => new()
    {
        { SystemFields.Id, id },
        { SystemFields.Version, version },
    };

    [GeneratedRegex(@"index: (?:\S*\.\$)?(?<name>\S+)\s+dup key", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex DuplicateKeyIndex();
}
