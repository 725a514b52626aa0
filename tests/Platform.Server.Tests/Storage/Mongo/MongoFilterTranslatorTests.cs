using System.Text.Json;
using MongoDB.Bson;
using Platform.Server.Common;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Mongo;
using static Platform.Server.Tests.Storage.Mongo.Bson;

namespace Platform.Server.Tests.Storage.Mongo;

public class MongoFilterTranslatorTests
{
    private sealed record UnknownNode : FilterNode;

    private static BsonDocument Regex(string path, string pattern, string options) =>
        new(path, new BsonDocument("$regex", new BsonRegularExpression(pattern, options)));

    [Fact]
    public void Translate_MatchAll_IsTheEmptyFilter() =>
        Bson.Equal("{}", MongoFilterTranslator.Translate(MatchAllNode.Instance));

    [Fact]
    public void Translate_MatchNone_RequiresAMissingId() =>
        Bson.Equal("{_id: {$exists: false}}", MongoFilterTranslator.Translate(MatchNoneNode.Instance));

    [Theory]
    [InlineData(FieldOperator.Eq, "5", "{n: {$eq: 5}}")]
    [InlineData(FieldOperator.Eq, "null", "{n: {$eq: null}}")]
    [InlineData(FieldOperator.Eq, """{"a":1,"b":[true]}""", "{n: {$eq: {a: 1, b: [true]}}}")]
    [InlineData(FieldOperator.Eq, "[1,2]", "{n: {$eq: [1, 2]}}")]
    [InlineData(FieldOperator.Ne, "\"x\"", "{n: {$ne: 'x'}}")]
    [InlineData(FieldOperator.Gt, "1.5", "{n: {$gt: 1.5}}")]
    [InlineData(FieldOperator.Gte, "5000000000", "{n: {$gte: NumberLong('5000000000')}}")]
    [InlineData(FieldOperator.Lt, "\"m\"", "{n: {$lt: 'm'}}")]
    [InlineData(FieldOperator.Lte, "false", "{n: {$lte: false}}")]
    [InlineData(FieldOperator.In, """[1,"a",null]""", "{n: {$in: [1, 'a', null]}}")]
    [InlineData(FieldOperator.Nin, "[]", "{n: {$nin: []}}")]
    [InlineData(FieldOperator.All, """["a","b"]""", "{n: {$all: ['a', 'b']}}")]
    [InlineData(FieldOperator.Exists, "true", "{n: {$exists: true}}")]
    [InlineData(FieldOperator.Exists, "false", "{n: {$exists: false}}")]
    [InlineData(FieldOperator.Size, "3", "{n: {$size: 3}}")]
    public void Translate_FieldOperators_MapToNativeOperators(FieldOperator op, string operand, string expected) =>
        Bson.Equal(expected, MongoFilterTranslator.Translate(Field("n", op, operand)));

    [Theory]
    [InlineData(FieldOperator.StartsWith, "ab.c", @"^ab\.c", "")]
    [InlineData(FieldOperator.Contains, "50%_off", @"50\%_off", "")]
    [InlineData(FieldOperator.ContainsIgnoreCase, "a+b", @"a\+b", "i")]
    [InlineData(FieldOperator.Contains, "", "", "")]
    public void Translate_StringOperators_AreEscapedRegexes(FieldOperator op, string operand, string pattern, string options) =>
        Bson.Equal(Regex("n", pattern, options), MongoFilterTranslator.Translate(new FieldNode("n", op, Json(JsonSerializer.Serialize(operand)))));

    [Fact]
    public void Translate_SizeBeyondAnyArray_MatchesNothing() =>
        Bson.Equal("{n: {$in: []}}", MongoFilterTranslator.Translate(Field("n", FieldOperator.Size, "4294967296")));

    [Fact]
    public void Translate_KeepsDotPaths() =>
        Bson.Equal("{'address.city': {$eq: 'Oslo'}}", MongoFilterTranslator.Translate(Field("address.city", FieldOperator.Eq, "\"Oslo\"")));

    [Fact]
    public void Translate_StartsWith_EscapesEveryMetacharacter() =>
        Bson.Equal(
            Regex("s", @"^\.\*\+\?\^\$\(\)\[\]\{\}\|\\", string.Empty),
            MongoFilterTranslator.Translate(Field("s", FieldOperator.StartsWith, "\".*+?^$()[]{}|\\\\\"")));

    [Fact]
    public void Translate_And_UsesDollarAnd()
    {
        var filter = new AndNode([Field("a", FieldOperator.Gt, "1"), Field("b", FieldOperator.Eq, "\"x\"")]);

        Bson.Equal("{$and: [{a: {$gt: 1}}, {b: {$eq: 'x'}}]}", MongoFilterTranslator.Translate(filter));
    }

    [Fact]
    public void Translate_OrAndNor_UseTheirOperators()
    {
        var or = new OrNode([Field("a", FieldOperator.Eq, "1"), Field("a", FieldOperator.Exists, "false")]);
        var nor = new NorNode([Field("a", FieldOperator.Eq, "1"), or]);

        Bson.Equal(
            "{$nor: [{a: {$eq: 1}}, {$or: [{a: {$eq: 1}}, {a: {$exists: false}}]}]}",
            MongoFilterTranslator.Translate(nor));
    }

    [Fact]
    public void Translate_SingleChildLogicalNodes_CollapseToTheChild()
    {
        Bson.Equal("{a: {$eq: 1}}", MongoFilterTranslator.Translate(new AndNode([Field("a", FieldOperator.Eq, "1")])));
        Bson.Equal("{a: {$eq: 1}}", MongoFilterTranslator.Translate(new OrNode([Field("a", FieldOperator.Eq, "1")])));
    }

    [Fact]
    public void Translate_SingleChildNor_StaysANegation() =>
        Bson.Equal("{$nor: [{a: {$eq: 1}}]}", MongoFilterTranslator.Translate(new NorNode([Field("a", FieldOperator.Eq, "1")])));

    [Fact]
    public void Translate_EmptyLogicalNodes_AvoidEmptyArraysMongoRefuses()
    {
        Bson.Equal("{}", MongoFilterTranslator.Translate(new AndNode([])));
        Bson.Equal("{_id: {$exists: false}}", MongoFilterTranslator.Translate(new OrNode([])));
        Bson.Equal("{}", MongoFilterTranslator.Translate(new NorNode([])));
    }

    [Fact]
    public void Translate_MatchNoneInsideNor_MatchesEverything() =>
        Bson.Equal("{$nor: [{_id: {$exists: false}}]}", MongoFilterTranslator.Translate(new NorNode([MatchNoneNode.Instance])));

    [Fact]
    public void Translate_Not_IsFieldLevelNot() =>
        Bson.Equal("{n: {$not: {$gt: 5}}}", MongoFilterTranslator.Translate(new NotNode("n", Field("n", FieldOperator.Gt, "5"))));

    [Fact]
    public void Translate_Not_CombinesSeveralOperators()
    {
        var not = new NotNode("n", new AndNode([Field("n", FieldOperator.Gte, "1"), Field("n", FieldOperator.Lt, "5")]));

        Bson.Equal("{n: {$not: {$gte: 1, $lt: 5}}}", MongoFilterTranslator.Translate(not));
    }

    [Fact]
    public void Translate_Not_KeepsRegexOptions() =>
        Bson.Equal(
            new BsonDocument("s", new BsonDocument("$not", new BsonDocument("$regex", new BsonRegularExpression("ab", "i")))),
            MongoFilterTranslator.Translate(new NotNode("s", Field("s", FieldOperator.ContainsIgnoreCase, "\"ab\""))));

    [Fact]
    public void Translate_NotOfElemMatch_NegatesTheElemMatch()
    {
        var not = new NotNode("tags", new ElemMatchNode("tags", Field(string.Empty, FieldOperator.Eq, "\"x\""), OnElementValue: true));

        Bson.Equal("{tags: {$not: {$elemMatch: {$eq: 'x'}}}}", MongoFilterTranslator.Translate(not));
    }

    [Fact]
    public void Translate_NestedNot_BecomesNor()
    {
        var not = new NotNode("n", new NotNode("n", Field("n", FieldOperator.Gt, "5")));

        Bson.Equal("{$nor: [{n: {$not: {$gt: 5}}}]}", MongoFilterTranslator.Translate(not));
    }

    [Fact]
    public void Translate_ElemMatchOnElementValue_IsAnOperatorDocument()
    {
        var elemMatch = new ElemMatchNode(
            "scores",
            new AndNode([Field(string.Empty, FieldOperator.Gt, "80"), Field(string.Empty, FieldOperator.Lt, "90")]),
            OnElementValue: true);

        Bson.Equal("{scores: {$elemMatch: {$gt: 80, $lt: 90}}}", MongoFilterTranslator.Translate(elemMatch));
    }

    [Fact]
    public void Translate_ElemMatchOnElementValue_AllowsNot()
    {
        var elemMatch = new ElemMatchNode("scores", new NotNode(string.Empty, Field(string.Empty, FieldOperator.Gt, "80")), OnElementValue: true);

        Bson.Equal("{scores: {$elemMatch: {$not: {$gt: 80}}}}", MongoFilterTranslator.Translate(elemMatch));
    }

    [Fact]
    public void Translate_ElemMatchOnElementFields_IsAFilterOnTheElement()
    {
        var elemMatch = new ElemMatchNode(
            "items",
            new AndNode([Field("sku", FieldOperator.Eq, "\"a\""), new OrNode([Field("qty", FieldOperator.Gt, "1"), Field("qty", FieldOperator.Exists, "false")])]),
            OnElementValue: false);

        Bson.Equal(
            "{items: {$elemMatch: {$and: [{sku: {$eq: 'a'}}, {$or: [{qty: {$gt: 1}}, {qty: {$exists: false}}]}]}}}",
            MongoFilterTranslator.Translate(elemMatch));
    }

    [Theory]
    [InlineData("$where")]
    [InlineData("$expr")]
    [InlineData("a.$b")]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a\0b")]
    public void Translate_Throws_ForPathsMongoWouldReadAsOperators(string path)
    {
        Assert.Throws<ArgumentException>(() => MongoFilterTranslator.Translate(Field(path, FieldOperator.Eq, "1")));
        Assert.Throws<ArgumentException>(() => MongoFilterTranslator.Translate(new NotNode(path, Field(path, FieldOperator.Eq, "1"))));
    }

    [Theory]
    [InlineData(FieldOperator.In, "1")]
    [InlineData(FieldOperator.Exists, "1")]
    [InlineData(FieldOperator.Size, "-1")]
    [InlineData(FieldOperator.Size, "1.5")]
    [InlineData(FieldOperator.Contains, "1")]
    public void Translate_Throws_ForOperandsItCannotExpress(FieldOperator op, string operand) =>
        Assert.Throws<NotSupportedException>(() => MongoFilterTranslator.Translate(Field("n", op, operand)));

    [Theory]
    [InlineData(FieldOperator.Eq, """{"$gt":1}""")]
    [InlineData(FieldOperator.Ne, """{"a":{"$where":"1"}}""")]
    [InlineData(FieldOperator.Gt, """[{"$expr":true}]""")]
    [InlineData(FieldOperator.In, """[{"$expr":true}]""")]
    [InlineData(FieldOperator.All, """[{"$elemMatch":{"a":1}}]""")]
    public void Translate_RejectsOperandsWithDollarKeys_AsInvalidFilters(FieldOperator op, string operand)
    {
        var error = Assert.Throws<InvalidInputException>(() => MongoFilterTranslator.Translate(Field("n", op, operand)));

        Assert.Equal("invalid_filter", error.Code);
    }

    [Fact]
    public void Translate_Throws_ForUnknownNodes() =>
        Assert.Throws<NotSupportedException>(() => MongoFilterTranslator.Translate(new AndNode([new UnknownNode(), Field("a", FieldOperator.Eq, "1")])));

    [Fact]
    public void Translate_Throws_ForANotWhoseConditionIsOnAnotherPath() =>
        Assert.Throws<NotSupportedException>(() => MongoFilterTranslator.Translate(new NotNode("a", Field("b", FieldOperator.Eq, "1"))));

    [Fact]
    public void Translate_Throws_ForRepeatedOperatorsOnOneElement()
    {
        var elemMatch = new ElemMatchNode(
            "n",
            new AndNode([Field(string.Empty, FieldOperator.Gt, "1"), Field(string.Empty, FieldOperator.Gt, "2")]),
            OnElementValue: true);

        Assert.Throws<NotSupportedException>(() => MongoFilterTranslator.Translate(elemMatch));
    }

    [Fact]
    public void Translate_Throws_ForOperatorsOutsideAnElementValueContext() =>
        Assert.Throws<ArgumentException>(() => MongoFilterTranslator.Translate(Field(string.Empty, FieldOperator.Gt, "1")));
}
