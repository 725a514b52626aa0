using MongoDB.Bson;
using MongoDB.Driver;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// The pure parts of <see cref="MongoCollectionWatcher"/>: the change stream of collection events (create, drop, rename,
/// modify, dropDatabase) and what each one means for the store's record of collections known to have change-stream
/// pre-images (issue 12). No I/O, so all of it is unit-tested.
/// </summary>
internal static class MongoCollectionEvents
{
    /// <summary>
    /// Keeps the events that create, remove or reconfigure a user collection (not the server's own, MongoDB's nor the job
    /// storage's: <see cref="MongoChangeStream.NotUserCollectionPattern"/>). <c>create</c> and <c>modify</c> are
    /// expanded events (<c>showExpandedEvents</c>, MongoDB 6.0). A <c>dropDatabase</c> has no <c>ns.coll</c>, which the
    /// <c>$not</c> keeps.
    /// </summary>
    public static IReadOnlyList<BsonDocument> PipelineStages { get; } =
    [
        new BsonDocument("$match", new BsonDocument
        {
            { "operationType", new BsonDocument("$in", new BsonArray { "create", "drop", "rename", "modify", "dropDatabase" }) },
            { "ns.coll", new BsonDocument("$not", new BsonRegularExpression(MongoChangeStream.NotUserCollectionPattern)) },
        }),
    ];

    public static PipelineDefinition<ChangeStreamDocument<BsonDocument>, BsonDocument> Pipeline { get; } =
        PipelineDefinition<ChangeStreamDocument<BsonDocument>, BsonDocument>.Create(PipelineStages);

    /// <summary>Options of the stream: expanded events, starting after <paramref name="startAfter"/> (now when null).</summary>
    public static ChangeStreamOptions Options(BsonDocument? startAfter) => new()
    {
        ShowExpandedEvents = true,
        StartAfter = startAfter,
    };

    /// <summary>
    /// What an event asks of the store: collections to forget (their next insert checks again, and creates the
    /// collection with pre-images when it is gone) and collections to check now (turn pre-images on when they exist
    /// without them). Any node's drop, a write that created a collection implicitly (a write that raced a drop on
    /// another node), another tool's create or collMod: each is seen by every node.
    /// </summary>
    public static CollectionEventEffect Read(BsonDocument change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var operation = change.GetValue("operationType", BsonNull.Value) is BsonString op ? op.Value : null;
        var collection = Name(change, "ns");
        switch (operation)
        {
            case "dropDatabase":
                return new CollectionEventEffect(ForgetAll: true, [], []);
            case "invalidate":
                // The stream ends (its database was dropped): nothing recorded can be trusted.
                return new CollectionEventEffect(ForgetAll: true, [], []);
            case "drop" when collection is not null && MongoChangeStream.NeedsPreImages(collection):
                return new CollectionEventEffect(ForgetAll: false, [collection], []);
            case "create" or "modify" when collection is not null && MongoChangeStream.NeedsPreImages(collection):
                return new CollectionEventEffect(ForgetAll: false, [collection], [collection]);
            case "rename":
                {
                    // The source is gone; the target replaced whatever had its name and keeps the source's options.
                    var to = Name(change, "to");
                    var forget = new[] { collection, to }.OfType<string>().Where(MongoChangeStream.NeedsPreImages).ToList();
                    IReadOnlyList<string> check = to is not null && MongoChangeStream.NeedsPreImages(to) ? [to] : [];
                    return new CollectionEventEffect(ForgetAll: false, forget, check);
                }

            default:
                return CollectionEventEffect.None;
        }
    }

    private static string? Name(BsonDocument change, string field) =>
        change.GetValue(field, BsonNull.Value) is BsonDocument ns && ns.GetValue("coll", BsonNull.Value) is BsonString coll ? coll.Value : null;
}

/// <summary>What a collection event asks of the store's pre-images record.</summary>
/// <param name="ForgetAll">Forget every collection (the database was dropped).</param>
/// <param name="Forget">Collections to forget: their next insert checks them again.</param>
/// <param name="Check">Collections to check now, turning pre-images on when they exist without them.</param>
internal sealed record CollectionEventEffect(bool ForgetAll, IReadOnlyList<string> Forget, IReadOnlyList<string> Check)
{
    public static CollectionEventEffect None { get; } = new(false, [], []);
}
