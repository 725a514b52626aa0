using MongoDB.Bson;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Mongo;
using Platform.Server.Storage.Sqlite;
using Platform.Server.Tests.Storage.Mongo;

namespace Platform.Server.Tests.Storage;

public class KeysetArraysTests
{
    private static List<SortField> Sort(params string[] keys) =>
        [.. keys.Select(k => k.StartsWith('-') ? new SortField(k[1..], true) : new SortField(k)), new SortField(SystemFields.Id)];

    [Theory]
    [InlineData("v", "v")]
    [InlineData("a.b.c", "a|a.b|a.b.c")]
    [InlineData("items.0", "items.0")]
    [InlineData("items.0.sku", "items.0|items.0.sku")]
    [InlineData("_createdAt", "")]
    public void Candidates_AreThePathAndItsPrefixes_ExceptBeforeAnIndex_AndNeverSystemFields(string key, string expected) =>
        Assert.Equal(expected.Length == 0 ? [] : expected.Split('|'), KeysetArrays.Candidates(Sort(key)));

    [Fact]
    public void MayPage_WhenContinuingOrWhenTheLimitIsFilled()
    {
        var first = new DocumentQuery(MatchAllNode.Instance, Sort("v"), 3);
        Assert.False(KeysetArrays.MayPage(first, 2));
        Assert.True(KeysetArrays.MayPage(first, 3));
        Assert.True(KeysetArrays.MayPage(first with { After = [Bson.Json("1"), Bson.Json("\"a\"")] }, 0));
    }

    [Fact]
    public void Mongo_ArraysOnSort_AsksForAnArrayAtEachCandidate()
    {
        Bson.Equal("{v: {$type: 'array'}}", MongoQueryTranslator.ArraysOnSort(Sort("-v"))!);
        Bson.Equal("{$or: [{a: {$type: 'array'}}, {'a.b': {$type: 'array'}}, {n: {$type: 'array'}}]}", MongoQueryTranslator.ArraysOnSort(Sort("a.b", "n"))!);
        Assert.Null(MongoQueryTranslator.ArraysOnSort(Sort("_updatedAt")));
    }

    [Fact]
    public void Mongo_ArrayPathIn_NamesTheSortPathOfTheArray()
    {
        Assert.Equal("a.b", MongoQueryTranslator.ArrayPathIn(BsonDocument.Parse("{_id: 'x', n: 1, a: [{b: 1}]}"), Sort("n", "a.b")));
        Assert.Equal("n", MongoQueryTranslator.ArrayPathIn(BsonDocument.Parse("{_id: 'x', n: [1], a: {b: 1}}"), Sort("n", "a.b")));
        Assert.Equal("items.0", MongoQueryTranslator.ArrayPathIn(BsonDocument.Parse("{_id: 'x', items: [[1], 2]}"), Sort("items.0")));
        Assert.Null(MongoQueryTranslator.ArrayPathIn(BsonDocument.Parse("{_id: 'x', items: [3, 2]}"), Sort("items.0")));
    }

    [Fact]
    public void Sqlite_ArrayProbe_ReadsNothing_WhenNoDocumentEverHeldAnArrayThere()
    {
        Assert.Null(SqliteFilterTranslator.ArrayProbe("c_t", MatchAllNode.Instance, Sort("v"), new HashSet<string> { "other" }));

        var probe = SqliteFilterTranslator.ArrayProbe("c_t", FilterParser.Parse("""{"k": 1}"""), Sort("n", "v"), new HashSet<string> { "v" })!;
        Assert.Equal(["v"], probe.Candidates);
        Assert.Contains("json_type(data, '$.\"v\"') = 'array'", probe.Command.Sql, StringComparison.Ordinal);
        Assert.EndsWith("LIMIT 1", probe.Command.Sql, StringComparison.Ordinal);
    }
}
