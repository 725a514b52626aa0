using System.Text.Json.Nodes;
using MongoDB.Bson;
using Platform.Server.Storage;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

public class MongoWriteTranslatorTests
{
    private static JsonObject Doc(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Insert_StoresTheDocumentAsGiven() =>
        Bson.Equal(
            "{_id: 'a', _version: 1, title: 't', n: 2.5}",
            MongoWriteTranslator.Insert(new InsertOperation("c", Doc("""{"_id":"a","_version":1,"title":"t","n":2.5}"""))));

    [Theory]
    [InlineData("""{"title":"t"}""")]
    [InlineData("""{"_id":5}""")]
    [InlineData("""{"_id":null}""")]
    public void Insert_Throws_WithoutAStringId(string json) =>
        Assert.Throws<ArgumentException>(() => MongoWriteTranslator.Insert(new InsertOperation("c", Doc(json))));

    [Fact]
    public void Replace_MatchesIdAndExpectedVersion_AndReplacesTheWholeDocument()
    {
        var replace = MongoWriteTranslator.Replace(new ReplaceOperation("c", Doc("""{"_id":"a","_version":4,"b":[1]}"""), ExpectedVersion: 3));

        Bson.Equal("{_id: 'a', _version: NumberLong(3)}", replace.Filter);
        Bson.Equal("{_id: 'a', _version: 4, b: [1]}", replace.Replacement);
    }

    [Fact]
    public void InsertAndReplace_OfAFunction_StoreTheOriginInAHiddenLastField()
    {
        var origin = new Platform.Server.Functions.WriteOrigin("f", 2);
        Bson.Equal(
            "{_id: 'a', _version: 1, t: 1, _baasWriteOrigin: {function: 'f', depth: 2}}",
            MongoWriteTranslator.Insert(new InsertOperation("c", Doc("""{"_id":"a","_version":1,"t":1}""")) { Origin = origin }));
        Bson.Equal(
            "{_id: 'a', _version: 2, _baasWriteOrigin: {function: 'f', depth: 2}}",
            MongoWriteTranslator.Replace(new ReplaceOperation("c", Doc("""{"_id":"a","_version":2}"""), 1) { Origin = origin }).Replacement);
    }

    [Fact]
    public void DeleteStamp_OnlyForAFunctionsDelete()
    {
        Assert.Null(MongoWriteTranslator.DeleteStamp(new DeleteOperation("c", "a", 7)));
        Bson.Equal(
            "{$set: {_baasDeleteOrigin: {function: 'f', depth: 1}}}",
            MongoWriteTranslator.DeleteStamp(new DeleteOperation("c", "a", 7) { Origin = new Platform.Server.Functions.WriteOrigin("f", 1) })!);
    }

    [Fact]
    public void Strip_RemovesBothHiddenFields_AndKeepsTheRestInOrder() =>
        Bson.Equal(
            "{_id: 'a', b: 1, c: 2}",
            MongoOrigin.Strip(BsonDocument.Parse("{_id: 'a', b: 1, _baasWriteOrigin: {function: 'f', depth: 1}, c: 2, _baasDeleteOrigin: {}}")));

    [Fact]
    public void Delete_WithoutVersion_MatchesTheIdOnly() =>
        Bson.Equal("{_id: 'a'}", MongoWriteTranslator.Delete(new DeleteOperation("c", "a")));

    [Fact]
    public void Delete_WithVersion_MatchesIdAndVersion() =>
        Bson.Equal("{_id: 'a', _version: NumberLong(7)}", MongoWriteTranslator.Delete(new DeleteOperation("c", "a", 7)));

    [Fact]
    public void VersionProjection_ReadsOnlyTheVersion() =>
        Bson.Equal("{_version: 1}", MongoWriteTranslator.VersionProjection());

    [Fact]
    public void ReadVersion_ReadsAnyNumberType_AndNullForAMissingDocument()
    {
        Assert.Equal(3, MongoWriteTranslator.ReadVersion(new BsonDocument { { "_id", "a" }, { "_version", 3 } }));
        Assert.Equal(5_000_000_000, MongoWriteTranslator.ReadVersion(new BsonDocument("_version", 5_000_000_000L)));
        Assert.Null(MongoWriteTranslator.ReadVersion(null));
        Assert.Null(MongoWriteTranslator.ReadVersion(new BsonDocument("_id", "a")));
    }

    [Theory]
    [InlineData("E11000 duplicate key error collection: baas.users index: ux_email dup key: { email: \"a@b.c\" }", "ux_email")]
    [InlineData("E11000 duplicate key error collection: baas.users index: _id_ dup key: { _id: \"a\" }", "_id_")]
    [InlineData("E11000 duplicate key error collection: baas.todos index: ux_ownerId_-_createdAt dup key: { ownerId: \"u\", _createdAt: \"x\" }", "ux_ownerId_-_createdAt")]
    [InlineData("Index build failed: 4f3c2b1a-0000-0000-0000-000000000000: Collection baas.users ( 9b1e ) :: caused by :: E11000 duplicate key error collection: baas.users index: ux_email dup key: { email: null }", "ux_email")]
    [InlineData("E11000 duplicate key error index: baas.users.$ux_email  dup key: { : \"a\" }", "ux_email")]
    [InlineData("E11000 duplicate key error index: baas.users.$ux_email dup key: { : \"a\" }", "ux_email")]
    [InlineData("something else", null)]
    [InlineData(null, null)]
    public void DuplicateKeyIndexName_ParsesTheServerMessage(string? message, string? expected) =>
        Assert.Equal(expected, MongoWriteTranslator.DuplicateKeyIndexName(message));

    [Fact]
    public void DuplicateKey_OnTheIdIndex_IsADuplicateId()
    {
        var insert = new InsertOperation("todos", Doc("""{"_id":"a"}"""));

        var exception = MongoWriteTranslator.DuplicateKey(insert, 2, "E11000 duplicate key error collection: baas.todos index: _id_ dup key: { _id: \"a\" }", new InvalidOperationException());

        var duplicate = Assert.IsType<DuplicateIdException>(exception);
        Assert.Equal(("todos", "a", 2), (duplicate.Collection, duplicate.Id, duplicate.OpIndex));
    }

    [Fact]
    public void DuplicateKey_OnAUserIndex_IsAUniqueIndexViolation()
    {
        var replace = new ReplaceOperation("users", Doc("""{"_id":"a","email":"x"}"""), 1);
        var inner = new InvalidOperationException();

        var exception = MongoWriteTranslator.DuplicateKey(replace, 4, "E11000 duplicate key error collection: baas.users index: ux_email dup key: { email: \"x\" }", inner);

        var violation = Assert.IsType<UniqueIndexViolationException>(exception);
        Assert.Equal(("users", "ux_email", 4), (violation.Collection, violation.IndexName, violation.OpIndex));
        Assert.Same(inner, violation.InnerException);
    }

    [Fact]
    public void DuplicateKey_WithAnUnreadableMessage_IsStillAUniqueIndexViolation()
    {
        var exception = MongoWriteTranslator.DuplicateKey(new InsertOperation("c", Doc("""{"_id":"a"}""")), 0, "E11000", new InvalidOperationException());

        Assert.Equal("unknown", Assert.IsType<UniqueIndexViolationException>(exception).IndexName);
    }

    [Fact]
    public void GetId_ReadsTheIdOfEveryOperation()
    {
        Assert.Equal("a", MongoWriteTranslator.GetId(new InsertOperation("c", Doc("""{"_id":"a"}"""))));
        Assert.Equal("b", MongoWriteTranslator.GetId(new ReplaceOperation("c", Doc("""{"_id":"b"}"""), 1)));
        Assert.Equal("c", MongoWriteTranslator.GetId(new DeleteOperation("c", "c")));
    }
}
