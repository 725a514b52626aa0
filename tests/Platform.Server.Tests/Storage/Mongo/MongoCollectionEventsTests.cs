using MongoDB.Bson;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>
/// Issue 12: a node's record of collections with pre-images follows the drops and creations of every node
/// (<see cref="MongoCollectionWatcher"/>). The events as MongoDB 6-8 send them with <c>showExpandedEvents</c>.
/// </summary>
public class MongoCollectionEventsTests
{
    private static CollectionEventEffect Read(string json) => MongoCollectionEvents.Read(BsonDocument.Parse(json));

    [Fact]
    public void ADrop_OnAnyNode_IsForgotten_SoTheNextInsertChecksAgain()
    {
        var effect = Read("""{ "_id": { "_data": "82AA" }, "operationType": "drop", "ns": { "db": "baas", "coll": "todos" } }""");

        Assert.Equal(["todos"], effect.Forget);
        Assert.Empty(effect.Check);
        Assert.False(effect.ForgetAll);
    }

    [Theory]
    [InlineData("create")]
    [InlineData("modify")]
    public void ACreateOrModify_IsCheckedAtOnce(string operation)
    {
        // An insert that raced a drop on another node creates the collection implicitly, without pre-images: its
        // create event reaches every node, which turns them on.
        var effect = Read($$"""{ "_id": { "_data": "82AA" }, "operationType": "{{operation}}", "ns": { "db": "baas", "coll": "todos" }, "operationDescription": { "idIndex": { "v": 2, "key": { "_id": 1 }, "name": "_id_" } } }""");

        Assert.Equal(["todos"], effect.Check);
        Assert.Equal(["todos"], effect.Forget);
    }

    [Fact]
    public void ARename_ForgetsBothNames_AndChecksTheTarget()
    {
        var effect = Read("""{ "_id": { "_data": "82AA" }, "operationType": "rename", "ns": { "db": "baas", "coll": "old" }, "to": { "db": "baas", "coll": "todos" } }""");

        Assert.Equal(["old", "todos"], effect.Forget);
        Assert.Equal(["todos"], effect.Check);
    }

    [Theory]
    [InlineData("""{ "operationType": "dropDatabase", "ns": { "db": "baas" } }""")]
    [InlineData("""{ "operationType": "invalidate" }""")]
    public void ADroppedDatabase_ForgetsEverything(string json) =>
        Assert.True(Read(json).ForgetAll);

    [Theory]
    [InlineData("""{ "operationType": "drop", "ns": { "db": "baas", "coll": "_users" } }""")]
    [InlineData("""{ "operationType": "create", "ns": { "db": "baas", "coll": "_collections" } }""")]
    [InlineData("""{ "operationType": "createIndexes", "ns": { "db": "baas", "coll": "todos" } }""")]
    [InlineData("""{ "operationType": "insert", "ns": { "db": "baas", "coll": "todos" } }""")]
    public void SystemCollectionsAndOtherEvents_ChangeNothing(string json)
    {
        var effect = Read(json);

        Assert.False(effect.ForgetAll);
        Assert.Empty(effect.Forget);
        Assert.Empty(effect.Check);
    }

    [Fact]
    public void Pipeline_KeepsCollectionEventsOfUserCollections_AndAsksForExpandedEvents()
    {
        var match = Assert.Single(MongoCollectionEvents.PipelineStages)["$match"].AsBsonDocument;

        Assert.Equal(["create", "drop", "rename", "modify", "dropDatabase"], match["operationType"]["$in"].AsBsonArray.Select(v => v.AsString));
        Assert.Equal("^_|\\.", match["ns.coll"]["$not"].AsBsonRegularExpression.Pattern);
        Assert.True(MongoCollectionEvents.Options(null).ShowExpandedEvents);
    }
}
