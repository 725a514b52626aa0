using MongoDB.Bson;
using MongoDB.Driver;
using Platform.Server.Functions;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// The pure parts of the MongoDB change feed: the change-stream pipeline and options, resume tokens as positions,
/// and the mapping of change events to <see cref="StoredChange"/>. No I/O, so all of it is unit-tested.
/// </summary>
internal static class MongoChangeStream
{
    /// <summary>MongoDB 6.0: change-stream pre-images (<c>fullDocumentBeforeChange</c>) and <c>wallTime</c>.</summary>
    public const int RequiredWireVersion = 17;

    // Resume tokens are KeyString bytes in hex, a few dozen to a few hundred characters; anything far longer is not one.
    private const int MaxTokenLength = 4096;

    private const int ChangeStreamFatalError = 280;
    private const int ChangeStreamHistoryLost = 286;
    private const int Unauthorized = 13;

    // "Unrecognized pipeline stage name": a server without $changeStreamSplitLargeEvent.
    private const int UnrecognizedPipelineStage = 40324;

    // The KeyString type byte of a BSON Timestamp, and the hex length of it plus the 8 bytes of the time.
    private const string KeyStringTimestamp = "82";
    private const int ClusterTimeHexLength = 18;

    /// <summary>
    /// The names of collections in the database that hold no user documents (<see cref="IsUserCollection"/>): the
    /// server's own (<c>_users</c>, <c>_function_runs</c>, ...), MongoDB's (<c>system.*</c>) and every name with a
    /// <c>.</c>, which a Baas collection name never has (<c>^[a-z][a-z0-9_-]{0,62}$</c>) but the job storage's always
    /// does (Hangfire.Mongo's <c>&lt;prefix&gt;.jobGraph</c>, <c>.locks</c>, <c>.server</c>, <c>.notifications</c>, ... share the
    /// database, docs/functions-schedules.md). Used with <c>$not</c>, which also keeps events without a collection
    /// (<c>dropDatabase</c>).
    /// </summary>
    public const string NotUserCollectionPattern = @"^_|\.";

    /// <summary>
    /// Keeps the document events of user collections. Baas writes whole documents, so only inserts, replaces and
    /// deletes are expected; updates (from other clients of the database) are kept too and read with
    /// <c>fullDocument: updateLookup</c>. Everything else (drop, rename, index and collection events) is dropped
    /// on the server, before it crosses the network, and so is the update that stamps a function's delete with its
    /// origin right before the delete (<see cref="MongoOrigin"/>): it is part of the delete, not a change of its own.
    /// So are the writes of collections that are not user collections (<see cref="NotUserCollectionPattern"/>): the job
    /// storage's lock, heartbeat and queue writes (several a second on every node running schedules) would otherwise
    /// each cross the network with a looked-up document and be skipped with a warning (an ObjectId <c>_id</c>), or reach
    /// the realtime and trigger readers as changes of a collection that does not exist (a server's string <c>_id</c>).
    /// </summary>
    public static IReadOnlyList<BsonDocument> PipelineStages { get; } =
    [
        new BsonDocument("$match", new BsonDocument
        {
            { "operationType", new BsonDocument("$in", new BsonArray { "insert", "replace", "delete", "update" }) },
            { "ns.coll", new BsonDocument("$not", new BsonRegularExpression(NotUserCollectionPattern)) },
            { "updateDescription.updatedFields." + MongoOrigin.DeleteField, new BsonDocument("$exists", false) },
        }),
    ];

    public static PipelineDefinition<ChangeStreamDocument<BsonDocument>, BsonDocument> Pipeline { get; } =
        PipelineDefinition<ChangeStreamDocument<BsonDocument>, BsonDocument>.Create(PipelineStages);

    /// <summary><see cref="PipelineStages"/> followed by <c>$changeStreamSplitLargeEvent</c>, which must be the last stage.</summary>
    public static PipelineDefinition<ChangeStreamDocument<BsonDocument>, BsonDocument> SplittingPipeline { get; } =
        PipelineDefinition<ChangeStreamDocument<BsonDocument>, BsonDocument>.Create([.. PipelineStages, SplitLargeEventStage]);

    /// <summary>
    /// Splits an event over 16 MiB into fragments of at most 16 MiB each, by top-level fields (MongoDB 7.0 and 6.0.9):
    /// an event carrying a large document twice (before and after) is delivered instead of failing the stream.
    /// <see cref="SplitEventAssembler"/> joins the fragments again.
    /// </summary>
    public static BsonDocument SplitLargeEventStage => new("$changeStreamSplitLargeEvent", new BsonDocument());

    /// <summary>The pipeline of a stream: with the splitting stage when the server has it.</summary>
    public static PipelineDefinition<ChangeStreamDocument<BsonDocument>, BsonDocument> PipelineFor(bool splitLargeEvents) =>
        splitLargeEvents ? SplittingPipeline : Pipeline;

    /// <summary>
    /// Whether a <c>buildInfo</c> answer comes from a server with <c>$changeStreamSplitLargeEvent</c>: 7.0 and later, and
    /// 6.0.9 and later 6.0 releases (the 6.1 to 6.3 rapid releases do not have it). Decided from <c>versionArray</c>
    /// because 6.0.9 shares its wire version with 6.0.0.
    /// </summary>
    public static bool SupportsSplitLargeEvents(BsonDocument buildInfo)
    {
        ArgumentNullException.ThrowIfNull(buildInfo);
        if (buildInfo.GetValue("versionArray", BsonNull.Value) is not BsonArray version || version.Count < 3 || !version.Take(3).All(v => v.IsNumeric))
        {
            return false;
        }

        var (major, minor, patch) = (version[0].ToInt32(), version[1].ToInt32(), version[2].ToInt32());
        return major > 6 || (major == 6 && minor == 0 && patch >= 9);
    }

    /// <summary>The server does not know <c>$changeStreamSplitLargeEvent</c> (a mongos or member older than <c>buildInfo</c> said).</summary>
    public static bool IsSplitStageUnsupported(MongoCommandException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.Code == UnrecognizedPipelineStage
            || exception.ErrorMessage?.Contains("$changeStreamSplitLargeEvent", StringComparison.Ordinal) == true;
    }

    /// <summary>Options for a stream that starts after <paramref name="startAfter"/>, or now when it is null.</summary>
    /// <remarks>
    /// <c>startAfter</c> rather than <c>resumeAfter</c>: it also accepts a token of an invalidate event, so a reader can
    /// continue past a dropped database. Pre-images are <c>whenAvailable</c>: a collection created behind Baas's back
    /// (without <c>changeStreamPreAndPostImages</c>) yields changes without <see cref="StoredChange.Before"/> instead
    /// of failing the stream.
    /// </remarks>
    public static ChangeStreamOptions Options(BsonDocument? startAfter) => new()
    {
        FullDocument = ChangeStreamFullDocumentOption.UpdateLookup,
        FullDocumentBeforeChange = ChangeStreamFullDocumentBeforeChangeOption.WhenAvailable,
        StartAfter = startAfter,
    };

    /// <summary>A position is a resume token's <c>_data</c>: a non-empty hex string.</summary>
    public static bool TryParsePosition(string position, out BsonDocument token)
    {
        ArgumentNullException.ThrowIfNull(position);
        token = null!;
        if (position.Length == 0 || position.Length > MaxTokenLength || position.Length % 2 != 0 || !position.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        token = new BsonDocument("_data", position);
        return true;
    }

    /// <summary>
    /// Orders two resume tokens of one deployment, or null when either is not a token whose order is known. Kept
    /// (issue 12) because MongoDB defines it: a token's <c>_data</c> is a KeyString, an encoding built so that
    /// tokens compare bytewise in the order of what they encode (SERVER-29716, MongoDB 3.6), made a hex string in
    /// MongoDB 4.0 (fCV 4.0; SERVER-34313) precisely so that clients can sort on it (DOCS-11616), and it is the
    /// order the server itself uses: <c>mongos</c> merges the streams of the shards by <c>_id._data</c>. What is
    /// encoded comes in this order: the cluster time (a BSON Timestamp, so the <c>_data</c> of every token of
    /// MongoDB 4.2 and later begins with its type byte <c>82</c> and the 8 bytes of the time), the token version,
    /// the token type (a high-water mark, as <c>GetPositionAsync</c> returns, sorts before every event of its
    /// cluster time), the event's place in its transaction (<c>txnOpIndex</c>), then the collection and document
    /// key, then (MongoDB 7.0 and 6.0.9, <c>$changeStreamSplitLargeEvent</c>) the fragment number. Hex keeps byte
    /// order once both are in one case. Earlier formats (BinData tokens of 3.6, or fCV 3.6) are refused at start-up
    /// (Baas needs 6.0), and anything that does not begin with a cluster time is not ordered (null), only compared
    /// for equality by the caller.
    /// </summary>
    public static int? ComparePositions(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!TryReadClusterTime(a, out _) || !TryReadClusterTime(b, out _))
        {
            return null;
        }

        return Math.Sign(string.CompareOrdinal(a.ToUpperInvariant(), b.ToUpperInvariant()));
    }

    /// <summary>
    /// The cluster time a position begins with: the KeyString type byte of a BSON Timestamp (<c>0x82</c>), then the
    /// timestamp's 8 bytes big-endian (seconds, then the increment). False when the position does not begin so.
    /// </summary>
    public static bool TryReadClusterTime(string position, out (uint Seconds, uint Increment) clusterTime)
    {
        ArgumentNullException.ThrowIfNull(position);
        clusterTime = default;
        if (!TryParsePosition(position, out _) || position.Length < ClusterTimeHexLength
            || !position.StartsWith(KeyStringTimestamp, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        clusterTime = (
            uint.Parse(position.AsSpan(2, 8), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture),
            uint.Parse(position.AsSpan(10, 8), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture));
        return true;
    }

    /// <summary>
    /// The position right after everything a snapshot read at <paramref name="snapshotTime"/> saw: the high-water mark
    /// token <paramref name="highWaterMark"/> (one the server made, whose cluster time is then replaced) moved to the
    /// cluster time just after the snapshot's (the increment plus one; the next second past the largest increment). It
    /// sorts after every event at or before the snapshot time, whatever its transaction index or document key, and
    /// before every event after it, since a high-water mark sorts before the events of its own cluster time
    /// (<see cref="ComparePositions"/>); a stream started after it yields exactly the events the snapshot does not hold.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="highWaterMark"/> does not begin with a cluster time.</exception>
    public static string PositionAfterSnapshot(string highWaterMark, BsonTimestamp snapshotTime)
    {
        ArgumentNullException.ThrowIfNull(highWaterMark);
        ArgumentNullException.ThrowIfNull(snapshotTime);
        if (!TryReadClusterTime(highWaterMark, out _))
        {
            throw new ArgumentException($"'{highWaterMark}' is not a resume token that begins with a cluster time.", nameof(highWaterMark));
        }

        var (seconds, increment) = ((uint)snapshotTime.Timestamp, (uint)snapshotTime.Increment);
        (seconds, increment) = increment == uint.MaxValue ? (checked(seconds + 1), 0u) : (seconds, increment + 1);
        return string.Create(
            highWaterMark.Length,
            (highWaterMark, seconds, increment),
            static (span, state) =>
            {
                KeyStringTimestamp.AsSpan().CopyTo(span);
                state.seconds.TryFormat(span[2..10], out _, "X8", System.Globalization.CultureInfo.InvariantCulture);
                state.increment.TryFormat(span[10..18], out _, "X8", System.Globalization.CultureInfo.InvariantCulture);
                state.highWaterMark.AsSpan(ClusterTimeHexLength).CopyTo(span[ClusterTimeHexLength..]);
            });
    }

    /// <summary>The position of a resume token, or null when it is not one this feed understands.</summary>
    public static string? PositionOf(BsonDocument? token) =>
        token is not null && token.TryGetValue("_data", out var data) && data.IsString && data.AsString.Length > 0 ? data.AsString : null;

    /// <summary>
    /// The next event is over BSON's 16 MiB (BSONObjectTooLarge, 10334): a document written by another tool (Baas keeps
    /// its own under half of that) whose before- and after-images together do not fit, on a server without
    /// <c>$changeStreamSplitLargeEvent</c> (or with one top-level field too large to split). The stream cannot deliver it nor
    /// resume past it from this position, so the feed reports lost history: readers continue from the current position
    /// (realtime clients are told to resync, triggers record a gap) instead of stalling on the event forever.
    /// </summary>
    public static bool IsOversizedEvent(MongoCommandException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.Code == MongoErrors.BsonObjectTooLarge;
    }

    /// <summary>
    /// The stream cannot continue from its position: the oplog no longer holds it (history lost), or the server
    /// could not find the token's event (fatal).
    /// </summary>
    public static bool IsHistoryLost(MongoCommandException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.Code is ChangeStreamHistoryLost or ChangeStreamFatalError;
    }

    /// <summary>
    /// Opening a stream after a caller's position failed for a reason that lies in the position. The pipeline and
    /// options are fixed and known to be valid, so a command error here comes from the token: lost history, or one
    /// of the many parse errors of a token that is hex but not a resume token (FailedToParse, BadValue, 40646, 5079x,
    /// 5105x, 6189500-6189504, ...). Availability and authorization failures are not the position's fault.
    /// </summary>
    public static bool IsUnusablePosition(MongoCommandException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return !MongoDocumentStore.IsUnavailable(exception) && exception.Code != Unauthorized;
    }

    /// <summary>
    /// The change an event describes, or null (with <paramref name="skipped"/> saying why) for an event that names
    /// no Baas document: a collection that is not a user collection, a non-string <c>_id</c>, or an update whose document
    /// was deleted before it could be read.
    /// </summary>
    public static StoredChange? ToStoredChange(BsonDocument change, out string? skipped)
    {
        ArgumentNullException.ThrowIfNull(change);
        skipped = null;
        var position = PositionOf(change.GetValue("_id", BsonNull.Value) as BsonDocument)
            ?? throw new InvalidDataException("A change event has no resume token.");
        var operation = change.GetValue("operationType", BsonNull.Value);
        var ns = change.GetValue("ns", BsonNull.Value) as BsonDocument;
        var collection = ns?.GetValue("coll", BsonNull.Value) is BsonString coll ? coll.Value : null;
        var key = (change.GetValue("documentKey", BsonNull.Value) as BsonDocument)?.GetValue("_id", BsonNull.Value);
        if (collection is null || !operation.IsString)
        {
            skipped = $"event {position} names no collection or operation";
            return null;
        }

        if (!IsUserCollection(collection))
        {
            // The pipeline filters these out; kept here so the mapping alone never turns a job-storage write into a change.
            skipped = $"event {position} on {collection} is not of a user collection";
            return null;
        }

        if (key is not BsonString id)
        {
            skipped = $"event {position} on {collection} is for a document whose _id is not a string";
            return null;
        }

        var before = Document(change, "fullDocumentBeforeChange");
        var after = Document(change, "fullDocument");
        WriteOrigin? origin = null;
        ChangeKind kind;
        switch (operation.AsString)
        {
            case "insert":
                kind = ChangeKind.Insert;
                before = null;
                origin = MongoOrigin.Read(after, MongoOrigin.WriteField);
                break;
            case "replace":
                kind = ChangeKind.Replace;
                origin = MongoOrigin.Read(after, MongoOrigin.WriteField);
                break;
            case "update" when change.GetValue("updateDescription", BsonNull.Value) is BsonDocument description
                && description.GetValue("updatedFields", BsonNull.Value) is BsonDocument updated && updated.Contains(MongoOrigin.DeleteField):
                // The pipeline filters these out; kept here so the mapping alone never turns a stamp into a change.
                skipped = $"update {position} of {collection}/{id.Value} only stamps the origin of the delete that follows it";
                return null;
            case "update" when after is null:
                skipped = $"update {position} of {collection}/{id.Value} was not made by Baas, and the document was deleted before it could be read";
                return null;
            case "update":
                // Not a Baas write (Baas replaces whole documents): reported as a replace with the document as it is now,
                // never with an origin (the looked-up document's origin belongs to an earlier write).
                kind = ChangeKind.Replace;
                break;
            case "delete":
                kind = ChangeKind.Delete;
                after = null;
                origin = MongoOrigin.Read(before, MongoOrigin.DeleteField);
                break;
            default:
                skipped = $"event {position} has operation {operation.AsString}";
                return null;
        }

        if (kind != ChangeKind.Delete && after is null)
        {
            skipped = $"{operation.AsString} {position} of {collection}/{id.Value} carries no document";
            return null;
        }

        return new StoredChange(
            position,
            collection,
            id.Value,
            kind,
            before is null ? null : BsonJson.ToJsonObject(MongoOrigin.Strip(before)),
            after is null ? null : BsonJson.ToJsonObject(MongoOrigin.Strip(after)),
            CommittedAt(change))
        {
            Origin = origin,
        };
    }

    /// <summary><c>wallTime</c> (MongoDB 6.0+, milliseconds), else the cluster time (seconds).</summary>
    public static DateTimeOffset CommittedAt(BsonDocument change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.GetValue("wallTime", BsonNull.Value) is BsonDateTime wall)
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(wall.MillisecondsSinceEpoch);
        }

        return change.GetValue("clusterTime", BsonNull.Value) is BsonTimestamp cluster
            ? DateTimeOffset.FromUnixTimeSeconds(cluster.Timestamp)
            : throw new InvalidDataException("A change event has neither wallTime nor clusterTime.");
    }

    /// <summary>True when a <c>hello</c> answer comes from MongoDB 6.0 or later.</summary>
    public static bool SupportsPreImages(BsonDocument hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        return hello.GetValue("maxWireVersion", BsonNull.Value) is { IsNumeric: true } version && version.ToInt32() >= RequiredWireVersion;
    }

    /// <summary>The <c>collMod</c> that turns pre-images on for an existing collection.</summary>
    public static BsonDocument EnablePreImagesCommand(string collection) => new()
    {
        { "collMod", collection },
        { "changeStreamPreAndPostImages", new BsonDocument("enabled", true) },
    };

    /// <summary>
    /// The <c>listCollections</c> filter for user collections whose pre-images are off (never the job storage's, whose
    /// churn would then also write a pre-image per update, nor <c>system.*</c>).
    /// </summary>
    public static BsonDocument CollectionsWithoutPreImagesFilter() => new()
    {
        { "type", "collection" },
        { "name", new BsonDocument("$not", new BsonRegularExpression(NotUserCollectionPattern)) },
        { "options.changeStreamPreAndPostImages.enabled", new BsonDocument("$ne", true) },
    };

    /// <summary>The options a collection is created with: pre-images on for user collections, none for system ones.</summary>
    public static CreateCollectionOptions? CreateCollectionOptions(string collection) =>
        NeedsPreImages(collection) ? new CreateCollectionOptions { ChangeStreamPreAndPostImagesOptions = new() { Enabled = true } } : null;

    /// <summary>The <c>listCollections</c> filter for one collection by name.</summary>
    public static BsonDocument CollectionInfoFilter(string collection) => new("name", collection);

    /// <summary>Whether a <c>listCollections</c> entry (null: no such collection) has pre-images on.</summary>
    public static PreImagesState PreImagesOf(BsonDocument? collectionInfo)
    {
        if (collectionInfo is null)
        {
            return PreImagesState.Missing;
        }

        return collectionInfo.GetValue("options", BsonNull.Value) is BsonDocument options
            && options.GetValue("changeStreamPreAndPostImages", BsonNull.Value) is BsonDocument setting
            && setting.GetValue("enabled", BsonNull.Value) is BsonBoolean { Value: true }
            ? PreImagesState.On
            : PreImagesState.Off;
    }

    /// <summary>
    /// Only user collections need pre-images: the others (<see cref="NotUserCollectionPattern"/>: <c>_collections</c>,
    /// <c>_users</c>, <c>_function_runs</c>, the job storage's <c>hangfire.*</c>, ...) never reach the feed
    /// (<see cref="PipelineStages"/> drops them on the server), so their deletes need no previous state.
    /// </summary>
    public static bool NeedsPreImages(string collection) => IsUserCollection(collection);

    /// <summary>Whether <paramref name="collection"/> may hold user documents: not matched by <see cref="NotUserCollectionPattern"/>.</summary>
    public static bool IsUserCollection(string collection)
    {
        ArgumentNullException.ThrowIfNull(collection);
        return !collection.StartsWith('_') && !collection.Contains('.', StringComparison.Ordinal);
    }

    private static BsonDocument? Document(BsonDocument change, string field) =>
        change.GetValue(field, BsonNull.Value) as BsonDocument;
}

/// <summary>A collection's change-stream pre-images: absent collection, option off, option on.</summary>
internal enum PreImagesState
{
    Missing,
    Off,
    On,
}
