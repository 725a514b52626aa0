using MongoDB.Bson;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>Issue 12 item 5: collections are created with pre-images, and found ones without them are repaired.</summary>
public class MongoPreImagesTests
{
    [Fact]
    public void CreateCollectionOptions_TurnPreImagesOn_ForUserCollections()
    {
        var options = MongoChangeStream.CreateCollectionOptions("todos");

        Assert.NotNull(options);
        Assert.True(options.ChangeStreamPreAndPostImagesOptions!.Enabled);
    }

    [Theory]
    [InlineData("_collections")]
    [InlineData("_function_runs")]
    [InlineData("_users")]
    public void SystemCollections_NeedNoPreImages_TheFeedDropsThemOnTheServer(string collection)
    {
        Assert.False(MongoChangeStream.NeedsPreImages(collection));
        Assert.Null(MongoChangeStream.CreateCollectionOptions(collection));

        // The reason: the pipeline keeps no event of a collection whose name starts with "_".
        var match = MongoChangeStream.PipelineStages[0]["$match"].AsBsonDocument;
        Assert.Equal("^_|\\.", match["ns.coll"]["$not"].AsBsonRegularExpression.Pattern);
    }

    [Fact]
    public void EnablePreImagesCommand_IsACollMod()
    {
        Bson.Equal("""{ "collMod": "todos", "changeStreamPreAndPostImages": { "enabled": true } }""", MongoChangeStream.EnablePreImagesCommand("todos"));
    }

    [Fact]
    public void CollectionInfoFilter_SelectsOneCollectionByName() =>
        Bson.Equal("""{ "name": "todos" }""", MongoChangeStream.CollectionInfoFilter("todos"));

    [Fact]
    public void PreImagesOf_ReadsListCollectionsEntries()
    {
        Assert.Equal(PreImagesState.Missing, MongoChangeStream.PreImagesOf(null));
        Assert.Equal(PreImagesState.On, MongoChangeStream.PreImagesOf(BsonDocument.Parse(
            """{ "name": "todos", "type": "collection", "options": { "changeStreamPreAndPostImages": { "enabled": true } }, "info": { "readOnly": false } }""")));

        // Created implicitly by a first insert: no options at all.
        Assert.Equal(PreImagesState.Off, MongoChangeStream.PreImagesOf(BsonDocument.Parse("""{ "name": "todos", "type": "collection", "options": {} }""")));
        Assert.Equal(PreImagesState.Off, MongoChangeStream.PreImagesOf(BsonDocument.Parse(
            """{ "name": "todos", "type": "collection", "options": { "changeStreamPreAndPostImages": { "enabled": false } } }""")));
    }
}
