using MongoDB.Bson;
using System.Net;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>Issue 12: the change stream asks for large events in fragments when, and only when, the server can split them.</summary>
public class MongoSplitLargeEventsTests
{
    private static MongoCommandException Command(int code, string message) => new(
        new ConnectionId(new ServerId(new ClusterId(1), new DnsEndPoint("localhost", 27017))),
        message,
        new BsonDocument("aggregate", 1),
        new BsonDocument { { "ok", 0 }, { "code", code }, { "errmsg", message } });

    [Theory]
    [InlineData("[8, 0, 4, 0]", true)]
    [InlineData("[7, 0, 0, 0]", true)]
    [InlineData("[6, 0, 9, 0]", true)]
    [InlineData("[6, 0, 20, 0]", true)]
    [InlineData("[6, 0, 8, 0]", false)]
    [InlineData("[6, 0, 0, 0]", false)]
    [InlineData("[6, 3, 2, 0]", false)] // the 6.1-6.3 rapid releases predate the backport
    [InlineData("[5, 0, 30, 0]", false)]
    public void SupportsSplitLargeEvents_FollowsTheRelease(string versionArray, bool expected)
    {
        var buildInfo = BsonDocument.Parse($$"""{ "version": "x", "versionArray": {{versionArray}}, "ok": 1 }""");

        Assert.Equal(expected, MongoChangeStream.SupportsSplitLargeEvents(buildInfo));
    }

    [Fact]
    public void SupportsSplitLargeEvents_IsFalse_WithoutAVersionArray() =>
        Assert.False(MongoChangeStream.SupportsSplitLargeEvents(BsonDocument.Parse("""{ "version": "7.0.2", "ok": 1 }""")));

    [Fact]
    public void SplittingPipeline_EndsWithTheSplitStage_AfterTheSameMatch()
    {
        var serializer = new ChangeStreamDocumentSerializer<BsonDocument>(MongoDB.Bson.Serialization.Serializers.BsonDocumentSerializer.Instance);
        var args = new RenderArgs<ChangeStreamDocument<BsonDocument>>(serializer, MongoDB.Bson.Serialization.BsonSerializer.SerializerRegistry);
        var stages = MongoChangeStream.PipelineFor(splitLargeEvents: true).Render(args).Documents;
        var plain = MongoChangeStream.PipelineFor(splitLargeEvents: false).Render(args).Documents;

        Assert.Equal(2, stages.Count);
        Bson.Equal(MongoChangeStream.PipelineStages[0], stages[0]);
        Bson.Equal("""{ "$changeStreamSplitLargeEvent": {} }""", stages[1]);
        Assert.Single(plain);
    }

    [Fact]
    public void IsSplitStageUnsupported_RecognisesAnUnknownStage()
    {
        Assert.True(MongoChangeStream.IsSplitStageUnsupported(Command(40324, "Unrecognized pipeline stage name: '$changeStreamSplitLargeEvent'")));
        Assert.False(MongoChangeStream.IsSplitStageUnsupported(Command(286, "Resume of change stream was not possible")));
    }
}
