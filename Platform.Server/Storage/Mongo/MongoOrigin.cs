using MongoDB.Bson;
using Platform.Server.Functions;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// How a write's <see cref="WriteOrigin"/> reaches the change stream (docs/storage.md, "Write origin"). A change
/// event carries only what the oplog holds, so the origin travels inside the document the event already carries:
/// <list type="bullet">
/// <item>insert and replace: the stored document gets the hidden field <see cref="WriteField"/>, so the event's
/// <c>fullDocument</c> holds the origin of exactly that write; a later write without an origin stores the document
/// without it.</item>
/// <item>delete: the event carries only the pre-image, which is the document as the previous writer left it. A delete
/// with an origin therefore first stamps <see cref="DeleteField"/> onto the stored document (an update, version-checked
/// like the delete) and deletes it in the same transaction: the pre-image holds the stamp, and the stamp's own
/// update event is filtered out on the server (<see cref="MongoChangeStream.PipelineStages"/>).</item>
/// </list>
/// Both fields are stripped on every read path (<see cref="Strip"/>: get, query, the change feed's before and after),
/// so no client, rule or function ever sees them.
/// </summary>
internal static class MongoOrigin
{
    /// <summary>The origin of the write that stored this version of the document.</summary>
    public const string WriteField = "_baasWriteOrigin";

    /// <summary>The origin of the delete that is about to remove this document (present only inside that transaction).</summary>
    public const string DeleteField = "_baasDeleteOrigin";

    public static BsonDocument ToBson(WriteOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return new BsonDocument
        {
            { ChangeOrigins.FunctionField, origin.Function },
            { ChangeOrigins.DepthField, origin.Depth },
        };
    }

    /// <summary>The origin stored in <paramref name="document"/>'s <paramref name="field"/>, or null when there is none or it is malformed.</summary>
    public static WriteOrigin? Read(BsonDocument? document, string field)
    {
        if (document is null || !document.TryGetValue(field, out var value) || value is not BsonDocument origin)
        {
            return null;
        }

        return origin.GetValue(ChangeOrigins.FunctionField, BsonNull.Value) is BsonString function
            && origin.GetValue(ChangeOrigins.DepthField, BsonNull.Value) is { IsNumeric: true } depth
            ? new WriteOrigin(function.Value, depth.ToInt32())
            : null;
    }

    /// <summary>The document to store for an insert or replace: as given, plus the hidden origin when there is one.</summary>
    public static BsonDocument Stamp(BsonDocument document, WriteOrigin? origin)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (origin is not null)
        {
            document[WriteField] = ToBson(origin);
        }

        return document;
    }

    /// <summary>The update that marks a document as deleted by <paramref name="origin"/> right before the delete.</summary>
    public static BsonDocument DeleteStamp(WriteOrigin origin) => new("$set", new BsonDocument(DeleteField, ToBson(origin)));

    /// <summary>Removes the hidden fields in place; returns the same document.</summary>
    public static BsonDocument Strip(BsonDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        document.Remove(WriteField);
        document.Remove(DeleteField);
        return document;
    }
}
