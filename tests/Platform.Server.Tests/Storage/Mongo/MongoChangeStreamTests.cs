using System.Net;
using System.Text.Json.Nodes;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>The MongoDB change feed without a server: pipeline, options, positions, event mapping, error mapping.</summary>
public class MongoChangeStreamTests
{
    private const string Token = "8267B4B1F8000000322B042C0100296E5A10041831DD5EEE2B4D6495A610E5430872B6463C5F6964003C61000004";

    private static BsonDocument Event(string operation, string collection = "tasks", string? extra = null)
    {
        var change = BsonDocument.Parse($$"""
            {
              "_id": { "_data": "{{Token}}" },
              "operationType": "{{operation}}",
              "clusterTime": { "$timestamp": { "t": 1700000000, "i": 1 } },
              "wallTime": { "$date": "2026-11-24T03:04:05.678Z" },
              "ns": { "db": "baas", "coll": "{{collection}}" },
              "documentKey": { "_id": "a" }
            }
            """);
        if (extra is not null)
        {
            change.Merge(BsonDocument.Parse(extra), overwriteExistingElements: true);
        }

        return change;
    }

    private static MongoCommandException CommandError(int code) => new(
        new ConnectionId(new ServerId(new ClusterId(1), new DnsEndPoint("localhost", 27017))),
        "command failed",
        new BsonDocument("aggregate", 1),
        new BsonDocument { { "ok", 0 }, { "code", code }, { "errmsg", "failed" } });

    private static void AssertJson(string expected, JsonObject? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), actual?.ToJsonString() ?? "null");

    [Fact]
    public void Pipeline_KeepsDocumentEventsOfUserCollectionsOnly()
    {
        var stage = Assert.Single(MongoChangeStream.PipelineStages);

        Bson.Equal("""{ "$match": { "operationType": { "$in": ["insert", "replace", "delete", "update"] }, "ns.coll": { "$not": /^_|\./ }, "updateDescription.updatedFields._baasDeleteOrigin": { "$exists": false } } }""", stage);
    }

    [Fact]
    public void Options_AskForPreImagesWhenAvailable_AndStartAfterTheToken()
    {
        var token = new BsonDocument("_data", Token);

        var options = MongoChangeStream.Options(token);
        var fresh = MongoChangeStream.Options(null);

        Assert.Equal(ChangeStreamFullDocumentBeforeChangeOption.WhenAvailable, options.FullDocumentBeforeChange);
        Assert.Equal(ChangeStreamFullDocumentOption.UpdateLookup, options.FullDocument);
        Assert.Same(token, options.StartAfter);
        Assert.Null(options.ResumeAfter);
        Assert.Null(fresh.StartAfter);
    }

    [Theory]
    [InlineData(Token)]
    [InlineData("8267b4b1f8000000012b022c0100296e5a1004")]
    public void TryParsePosition_AcceptsHexTokens(string position)
    {
        Assert.True(MongoChangeStream.TryParsePosition(position, out var token));
        Bson.Equal(new BsonDocument("_data", position), token);
        Assert.Equal(position, MongoChangeStream.PositionOf(token));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("12345")]
    [InlineData("not a position")]
    [InlineData("82 67")]
    public void TryParsePosition_RejectsWhatCannotBeAToken(string position) =>
        Assert.False(MongoChangeStream.TryParsePosition(position, out _));

    [Fact]
    public void TryParsePosition_RejectsOversizedInput() =>
        Assert.False(MongoChangeStream.TryParsePosition(new string('A', 8192), out _));

    [Fact]
    public void PositionOf_IsNull_WithoutData()
    {
        Assert.Null(MongoChangeStream.PositionOf(null));
        Assert.Null(MongoChangeStream.PositionOf(new BsonDocument("_typeBits", new BsonBinaryData([1]))));
        Assert.Null(MongoChangeStream.PositionOf(new BsonDocument("_data", 5)));
    }

    [Fact]
    public void ToStoredChange_Insert_HasAfterOnly()
    {
        var change = MongoChangeStream.ToStoredChange(
            Event("insert", extra: """{ "fullDocument": { "_id": "a", "_version": { "$numberLong": "1" }, "n": 1.5, "tags": ["x"] } }"""),
            out var skipped);

        Assert.Null(skipped);
        Assert.NotNull(change);
        Assert.Equal((Token, "tasks", "a", ChangeKind.Insert), (change.Sequence, change.Collection, change.Id, change.Kind));
        Assert.Null(change.Before);
        AssertJson("""{"_id":"a","_version":1,"n":1.5,"tags":["x"]}""", change.After);
        Assert.Equal(DateTimeOffset.Parse("2026-11-24T03:04:05.678Z", System.Globalization.CultureInfo.InvariantCulture), change.CommittedAt);
    }

    [Fact]
    public void ToStoredChange_Replace_HasBeforeAndAfter()
    {
        var change = MongoChangeStream.ToStoredChange(
            Event("replace", extra: """{ "fullDocument": { "_id": "a", "v": 2 }, "fullDocumentBeforeChange": { "_id": "a", "v": 1 } }"""),
            out _);

        Assert.Equal(ChangeKind.Replace, change!.Kind);
        AssertJson("""{"_id":"a","v":1}""", change.Before);
        AssertJson("""{"_id":"a","v":2}""", change.After);
    }

    [Fact]
    public void ToStoredChange_Delete_HasBeforeOnly_OrNothingWithoutPreImages()
    {
        var withPreImage = MongoChangeStream.ToStoredChange(Event("delete", extra: """{ "fullDocumentBeforeChange": { "_id": "a", "v": 1 } }"""), out _);
        var withoutPreImage = MongoChangeStream.ToStoredChange(Event("delete"), out var skipped);

        Assert.Equal(ChangeKind.Delete, withPreImage!.Kind);
        AssertJson("""{"_id":"a","v":1}""", withPreImage.Before);
        Assert.Null(withPreImage.After);
        Assert.Null(skipped);
        Assert.Equal(ChangeKind.Delete, withoutPreImage!.Kind);
        Assert.Null(withoutPreImage.Before);
    }

    [Fact]
    public void ToStoredChange_ForeignUpdate_BecomesAReplaceWithTheLookedUpDocument()
    {
        var change = MongoChangeStream.ToStoredChange(
            Event("update", extra: """{ "updateDescription": { "updatedFields": { "v": 3 } }, "fullDocument": { "_id": "a", "v": 3 }, "fullDocumentBeforeChange": { "_id": "a", "v": 2 } }"""),
            out _);

        Assert.Equal(ChangeKind.Replace, change!.Kind);
        AssertJson("""{"_id":"a","v":2}""", change.Before);
        AssertJson("""{"_id":"a","v":3}""", change.After);
    }

    [Theory]
    [InlineData("update", null, "deleted before it could be read")]
    [InlineData("replace", null, "carries no document")]
    [InlineData("insert", """{ "documentKey": { "_id": { "$oid": "65a1b2c3d4e5f60718293a4b" } }, "fullDocument": {} }""", "not a string")]
    [InlineData("drop", null, "has operation drop")]
    public void ToStoredChange_SkipsEventsThatNameNoBaasDocument(string operation, string? extra, string reason)
    {
        Assert.Null(MongoChangeStream.ToStoredChange(Event(operation, extra: extra), out var skipped));
        Assert.Contains(reason, skipped, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hangfire.server")]
    [InlineData("hangfire.locks")]
    [InlineData("jobs.jobGraph")]
    [InlineData("system.views")]
    [InlineData("_users")]
    public void ToStoredChange_SkipsEventsOfCollectionsThatAreNotUserCollections(string collection)
    {
        // Hangfire.Mongo's server records have a string _id: without the check they became changes of "hangfire.server".
        var change = Event("insert", collection, """{ "documentKey": { "_id": "host:1:abc" }, "fullDocument": { "_id": "host:1:abc" } }""");

        Assert.Null(MongoChangeStream.ToStoredChange(change, out var skipped));
        Assert.Contains("not of a user collection", skipped, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tasks", true)]
    [InlineData("a", true)]
    [InlineData("my-items_2", true)]
    [InlineData("_users", false)]
    [InlineData("_function_runs", false)]
    [InlineData("system.views", false)]
    [InlineData("hangfire.jobGraph", false)]
    [InlineData("hangfire.notifications", false)]
    [InlineData("custom.prefix.locks", false)]
    public void UserCollections_AreThoseThePatternLeaves_NoJobStorageNorSystemCollection(string collection, bool user)
    {
        Assert.Equal(user, MongoChangeStream.IsUserCollection(collection));
        Assert.Equal(user, MongoChangeStream.NeedsPreImages(collection));
        Assert.Equal(user, MongoChangeStream.CreateCollectionOptions(collection) is not null);

        // The same split as the server-side filters of the feed, the collection events and the pre-images repair.
        var pattern = new System.Text.RegularExpressions.Regex(MongoChangeStream.NotUserCollectionPattern);
        Assert.Equal(!user, pattern.IsMatch(collection));
        Assert.Equal(MongoChangeStream.NotUserCollectionPattern, MongoChangeStream.PipelineStages[0]["$match"]["ns.coll"]["$not"].AsBsonRegularExpression.Pattern);
        Assert.Equal(MongoChangeStream.NotUserCollectionPattern, MongoChangeStream.CollectionsWithoutPreImagesFilter()["name"]["$not"].AsBsonRegularExpression.Pattern);
        Assert.Equal(MongoChangeStream.NotUserCollectionPattern, MongoCollectionEvents.PipelineStages[0]["$match"]["ns.coll"]["$not"].AsBsonRegularExpression.Pattern);
    }

    [Fact]
    public void ToStoredChange_Throws_WithoutAResumeToken()
    {
        var change = Event("insert", extra: """{ "fullDocument": { "_id": "a" } }""");
        change.Remove("_id");

        Assert.Throws<InvalidDataException>(() => MongoChangeStream.ToStoredChange(change, out _));
    }

    [Fact]
    public void CommittedAt_FallsBackToClusterTime_WithoutWallTime()
    {
        var change = Event("insert");
        change.Remove("wallTime");

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), MongoChangeStream.CommittedAt(change));
    }

    [Theory]
    [InlineData(286, true)]
    [InlineData(280, true)]
    [InlineData(9, false)]
    [InlineData(11601, false)]
    public void IsHistoryLost_IsTrue_ForLostOrMissingResumePoints(int code, bool expected) =>
        Assert.Equal(expected, MongoChangeStream.IsHistoryLost(CommandError(code)));

    [Theory]
    [InlineData(286, true)]
    [InlineData(9, true)]
    [InlineData(2, true)]
    [InlineData(50795, true)]
    [InlineData(13, false)]
    public void IsUnusablePosition_BlamesThePosition_ButNotAuthorization(int code, bool expected) =>
        Assert.Equal(expected, MongoChangeStream.IsUnusablePosition(CommandError(code)));

    [Theory]
    [InlineData(13, false)]
    [InlineData(17, true)]
    [InlineData(25, true)]
    public void SupportsPreImages_NeedsWireVersion17(int wireVersion, bool expected) =>
        Assert.Equal(expected, MongoChangeStream.SupportsPreImages(new BsonDocument { { "isWritablePrimary", true }, { "maxWireVersion", wireVersion } }));

    [Fact]
    public void SupportsPreImages_IsFalse_WithoutAWireVersion() =>
        Assert.False(MongoChangeStream.SupportsPreImages(new BsonDocument("ok", 1)));

    [Fact]
    public void PreImageCommands_TargetUserCollectionsWithoutThem()
    {
        Bson.Equal("""{ "collMod": "tasks", "changeStreamPreAndPostImages": { "enabled": true } }""", MongoChangeStream.EnablePreImagesCommand("tasks"));
        Bson.Equal(
            """{ "type": "collection", "name": { "$not": /^_|\./ }, "options.changeStreamPreAndPostImages.enabled": { "$ne": true } }""",
            MongoChangeStream.CollectionsWithoutPreImagesFilter());
        Assert.True(MongoChangeStream.NeedsPreImages("tasks"));
        Assert.False(MongoChangeStream.NeedsPreImages("_users"));
    }

    [Fact]
    public void ToStoredChange_InsertAndReplace_TakeTheOriginFromTheNewDocument_AndStripIt()
    {
        var insert = MongoChangeStream.ToStoredChange(
            Event("insert", extra: """{ "fullDocument": { "_id": "a", "v": 1, "_baasWriteOrigin": { "function": "f", "depth": 2 } } }"""), out _);
        var replace = MongoChangeStream.ToStoredChange(
            Event("replace", extra: """{ "fullDocument": { "_id": "a", "v": 2 }, "fullDocumentBeforeChange": { "_id": "a", "v": 1, "_baasWriteOrigin": { "function": "f", "depth": 2 } } }"""), out _);

        Assert.Equal(new Platform.Server.Functions.WriteOrigin("f", 2), insert!.Origin);
        AssertJson("""{"_id":"a","v":1}""", insert.After);

        // The before-image's origin is the previous writer's: this replace was made by no function.
        Assert.Null(replace!.Origin);
        AssertJson("""{"_id":"a","v":1}""", replace.Before);
        AssertJson("""{"_id":"a","v":2}""", replace.After);
    }

    [Fact]
    public void ToStoredChange_Delete_TakesTheOriginFromTheDeleteStamp_NotFromTheLastWrite()
    {
        var stamped = MongoChangeStream.ToStoredChange(
            Event("delete", extra: """{ "fullDocumentBeforeChange": { "_id": "a", "_baasWriteOrigin": { "function": "old", "depth": 1 }, "_baasDeleteOrigin": { "function": "f", "depth": 3 } } }"""), out _);
        var plain = MongoChangeStream.ToStoredChange(
            Event("delete", extra: """{ "fullDocumentBeforeChange": { "_id": "a", "_baasWriteOrigin": { "function": "old", "depth": 1 } } }"""), out _);

        Assert.Equal(new Platform.Server.Functions.WriteOrigin("f", 3), stamped!.Origin);
        AssertJson("""{"_id":"a"}""", stamped.Before);
        Assert.Null(plain!.Origin);
        AssertJson("""{"_id":"a"}""", plain.Before);
    }

    [Fact]
    public void ToStoredChange_ForeignUpdate_HasNoOrigin_AndTheDeleteStampIsNoChange()
    {
        var foreign = MongoChangeStream.ToStoredChange(
            Event("update", extra: """{ "updateDescription": { "updatedFields": { "v": 3 } }, "fullDocument": { "_id": "a", "v": 3, "_baasWriteOrigin": { "function": "f", "depth": 1 } } }"""), out _);
        var stamp = MongoChangeStream.ToStoredChange(
            Event("update", extra: """{ "updateDescription": { "updatedFields": { "_baasDeleteOrigin": { "function": "f", "depth": 1 } } }, "fullDocument": { "_id": "a" } }"""), out var skipped);

        Assert.Null(foreign!.Origin);
        AssertJson("""{"_id":"a","v":3}""", foreign.After);
        Assert.Null(stamp);
        Assert.Contains("stamps the origin", skipped, StringComparison.Ordinal);
    }

    [Fact]
    public void Origin_MalformedStamp_ReadsAsNone()
    {
        Assert.Null(MongoOrigin.Read(BsonDocument.Parse("""{ "_baasWriteOrigin": "f" }"""), MongoOrigin.WriteField));
        Assert.Null(MongoOrigin.Read(BsonDocument.Parse("""{ "_baasWriteOrigin": { "function": "f" } }"""), MongoOrigin.WriteField));
        Assert.Null(MongoOrigin.Read(null, MongoOrigin.WriteField));
    }
}
