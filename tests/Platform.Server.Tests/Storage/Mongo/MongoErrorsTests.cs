using System.Net;
using System.Text.Json.Nodes;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

public class MongoErrorsTests
{
    private static readonly ConnectionId Connection = new(new ServerId(new ClusterId(), new DnsEndPoint("localhost", 27017)));

    private static readonly InsertOperation Insert = new("orders", new JsonObject { ["_id"] = "o1", ["_version"] = 1 });

    private static MongoCommandException Command(int code, string codeName, string message) =>
        new(Connection, message, new BsonDocument(), new BsonDocument { { "ok", 0 }, { "errmsg", message }, { "code", code }, { "codeName", codeName } });

    [Theory]
    [InlineData("cannot index parallel arrays [tags] [sizes]", "tags", "sizes")]
    [InlineData("Index build failed: 5f0c: Collection db.c ( 1 ) :: caused by :: cannot index parallel arrays [b.c] [a]", "b.c", "a")]
    public void ParallelArrayFields_ReadsBothPaths(string message, string first, string second) =>
        Assert.Equal([first, second], MongoErrors.ParallelArrayFields(message));

    [Fact]
    public void ParallelArrayFields_IsNull_ForAnotherMessage() =>
        Assert.Null(MongoErrors.ParallelArrayFields("E11000 duplicate key error"));

    [Fact]
    public void IndexCovering_NamesTheCompoundIndexOverBothFields_PreferringOurs()
    {
        MongoExistingIndex[] indexes =
        [
            new("_id_", new BsonDocument("_id", 1)),
            new("ix_tags", new BsonDocument("tags", 1)),
            new("operator_tags_sizes", new BsonDocument { { "tags", 1 }, { "sizes", 1 } }),
            new("ix_tags_sizes.n", new BsonDocument { { "tags", 1 }, { "sizes.n", -1 } }),
        ];

        Assert.Equal("ix_tags_sizes.n", MongoErrors.IndexCovering(["tags", "sizes"], indexes));
        Assert.Null(MongoErrors.IndexCovering(["tags", "other"], indexes));
    }

    [Fact]
    public void ForWrite_MapsParallelArrays_NamingTheIndexAndFields()
    {
        var error = Assert.IsType<ParallelArraysException>(MongoErrors.ForWrite(
            Insert, 2, 171, "cannot index parallel arrays [a] [b]", new InvalidOperationException(), [new MongoExistingIndex("ix_a_b", new BsonDocument { { "a", 1 }, { "b", 1 } })]));

        Assert.Equal("ix_a_b", error.IndexName);
        Assert.Equal(["a", "b"], error.Fields);
        Assert.Equal(2, error.OpIndex);
        Assert.Null(error.IndexPosition);
    }

    [Theory]
    [InlineData(10334, "BSONObj size: 16800000 (0x1005A80) is invalid. Size must be between 0 and 16793600(16MB)")]
    [InlineData(17419, "Resulting document after update is larger than 16777216")]
    [InlineData(2, "object to insert too large. size in bytes: 16800000, max size: 16777216")]
    public void ForWrite_MapsTooLarge_ToDocumentTooLarge(int code, string message)
    {
        var error = Assert.IsType<DocumentTooLargeForStoreException>(MongoErrors.ForWrite(Insert, 0, code, message, new InvalidOperationException()));

        Assert.False(error.TooDeep);
        Assert.Equal("o1", error.Id);
        Assert.Equal(MongoErrors.MaxDocumentBytes, error.Limit);
    }

    [Theory]
    [InlineData(15, "cannot insert document because it exceeds 180 levels of nesting")]
    [InlineData(17279, "BSONObj exceeded maximum nested object depth: 200")]
    public void ForWrite_MapsNesting_ToDocumentTooDeep(int code, string message)
    {
        var error = Assert.IsType<DocumentTooLargeForStoreException>(MongoErrors.ForWrite(Insert, 0, code, message, new InvalidOperationException()));

        Assert.True(error.TooDeep);
    }

    [Theory]
    [InlineData(2, "unknown operator: $foo")]
    [InlineData(15, "number overflow")]
    [InlineData(11000, "E11000 duplicate key error")]
    [InlineData(112, "WriteConflict")]
    public void ForWrite_LeavesOtherErrorsAlone(int code, string message) =>
        Assert.Null(MongoErrors.ForWrite(Insert, 0, code, message, new InvalidOperationException()));

    [Fact]
    public void IsTooManyIndexes_OnlyForTheIndexLimit()
    {
        Assert.True(MongoErrors.IsTooManyIndexes(Command(67, "CannotCreateIndex", "add index fails, too many indexes for db.c key:{ z: 1 }")));
        Assert.False(MongoErrors.IsTooManyIndexes(Command(67, "CannotCreateIndex", "cannot create an index over a view")));
        Assert.False(MongoErrors.IsTooManyIndexes(Command(85, "IndexOptionsConflict", "too many indexes")));
    }

    [Fact]
    public void Limits_LeaveRoomForBothImagesOfAChangeEvent()
    {
        Assert.True((2 * MongoErrors.MaxDocumentBytes) + (64 * 1024) <= MongoErrors.BsonMaxBytes);
        Assert.Equal(100, MongoErrors.MaxDocumentDepth);
        Assert.Equal(64, MongoErrors.MaxIndexesPerCollection);
    }

    [Fact]
    public void CheckSize_RefusesADocumentWhoseBsonIsOverTheLimit_EvenWhenItsJsonIsSmall()
    {
        // 200,000 zeros: 400 KB of JSON, but each BSON element also carries its index as a name (over 2 MB).
        var values = new JsonArray();
        for (var i = 0; i < 200_000; i++)
        {
            values.Add(0);
        }

        var document = new JsonObject { ["_id"] = "big", ["_version"] = 1, ["v"] = values };
        var insert = new InsertOperation("c", document);
        var bson = MongoWriteTranslator.Insert(insert);

        var error = Assert.Throws<DocumentTooLargeForStoreException>(() => MongoWriteTranslator.CheckSize(insert, bson, 3, limit: 1_000_000));
        Assert.Equal(3, error.OpIndex);
        Assert.True(error.Size > 2_000_000);
        MongoWriteTranslator.CheckSize(insert, bson, 3);
    }

    [Fact]
    public void Problems_AreClientErrors_WithStableCodes()
    {
        var write = ProblemDetailsExceptionHandler.ToProblem(new ParallelArraysException("c", "ix_a_b", ["a", "b"], 0));
        Assert.Equal(400, write.Status);
        Assert.Equal("parallel_arrays", write.Extensions["code"]);
        Assert.Equal("ix_a_b", write.Extensions["index"]);
        Assert.Equal("b", write.Extensions["field"]);

        var build = ProblemDetailsExceptionHandler.ToProblem(new ParallelArraysException("c", "ix_a_b", ["a", "b"], 0, indexPosition: 1));
        Assert.Equal(409, build.Status);
        Assert.Equal("indexes[1]", build.Extensions["field"]);
        Assert.Contains("'a' and 'b'", build.Detail, StringComparison.Ordinal);

        var large = ProblemDetailsExceptionHandler.ToProblem(new DocumentTooLargeForStoreException("c", "d", 9_000_000, MongoErrors.MaxDocumentBytes, 0));
        Assert.Equal((413, "document_too_large"), (large.Status, large.Extensions["code"]));

        var deep = ProblemDetailsExceptionHandler.ToProblem(new DocumentTooLargeForStoreException("c", "d", null, 100, 0, tooDeep: true));
        Assert.Equal((400, "document_too_deep"), (deep.Status, deep.Extensions["code"]));

        var many = ProblemDetailsExceptionHandler.ToProblem(MongoErrors.TooManyIndexes("c", "ix_z", 5, Command(67, "CannotCreateIndex", "too many indexes")));
        Assert.Equal((400, "too_many_indexes", "indexes[5]"), (many.Status, many.Extensions["code"], many.Extensions["field"]));

        var unreadable = ProblemDetailsExceptionHandler.ToProblem(new UnreadableDocumentException("c", "d", "a value of BSON type X has no JSON form"));
        Assert.Equal((422, "unreadable_document"), (unreadable.Status, unreadable.Extensions["code"]));
    }

    [Fact]
    public void ChangeStream_AnOversizedEvent_IsRecognised_SoTheFeedMovesPastIt()
    {
        Assert.True(MongoChangeStream.IsOversizedEvent(Command(10334, "BSONObjectTooLarge", "BSONObj size: 17000000 (0x1036640) is invalid. Size must be between 0 and 16793600(16MB)")));
        Assert.False(MongoChangeStream.IsOversizedEvent(Command(286, "ChangeStreamHistoryLost", "history lost")));
        Assert.False(MongoChangeStream.IsHistoryLost(Command(10334, "BSONObjectTooLarge", "too large")));
    }
}
