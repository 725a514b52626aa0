using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Documents.Updates;

namespace Platform.Server.Tests.Documents.Updates;

public sealed class UpdateParserTests
{
    private static UpdateDefinition Parse(string json) => UpdateParser.Parse(JsonNode.Parse(json)!.AsObject());

    private static InvalidInputException Error(string json) => Assert.Throws<InvalidInputException>(() => Parse(json));

    [Theory]
    [InlineData("""{"$set": {"a": 1}}""", true)]
    [InlineData("""{"$set": {"a": 1}, "$inc": {"b": 1}}""", true)]
    [InlineData("""{"a": 1}""", false)]
    [InlineData("""{"$set": {"a": 1}, "b": 1}""", false)]
    [InlineData("""{}""", false)]
    public void IsOperatorUpdate_RequiresEveryKeyToBeAnOperator(string json, bool expected)
    {
        Assert.Equal(expected, UpdateParser.IsOperatorUpdate(JsonNode.Parse(json)!.AsObject()));
    }

    [Fact]
    public void Parse_ReadsEveryOperatorInOrder()
    {
        var update = Parse("""
            {"$set": {"a": 1, "o.p": {"x": 1}}, "$unset": {"b": ""}, "$inc": {"c": 2}, "$mul": {"d": 1.5},
             "$min": {"e": 0}, "$max": {"f": "z"}, "$push": {"g": {"$each": [1, 2]}}, "$addToSet": {"h": [1]},
             "$pull": {"i": {"$gt": 3}}, "$currentDate": {"j": true, "k": {"$type": "date"}}}
            """);
        Assert.Equal(
            ["Set a", "Set o.p", "Unset b", "Inc c", "Mul d", "Min e", "Max f", "Push g", "AddToSet h", "Pull i", "CurrentDate j", "CurrentDate k"],
            update.Operations.Select(o => $"{o.Operator} {o.Path}"));
        Assert.Equal(2, update.Operations[7].Items.Count);
        Assert.Equal("[1]", Assert.Single(update.Operations[8].Items)!.ToJsonString());
        Assert.Equal("$addToSet.h", update.Operations[8].Field);
    }

    [Theory]
    [InlineData("""{}""", null, "invalid_update")]
    [InlineData("""{"a": 1}""", "a", "invalid_update")]
    [InlineData("""{"$set": {"a": 1}, "b": 2}""", "b", "invalid_update")]
    [InlineData("""{"$rename": {"a": "b"}}""", "$rename", "unknown_operator")]
    [InlineData("""{"$setOnInsert": {"a": 1}}""", "$setOnInsert", "unknown_operator")]
    [InlineData("""{"$set": 1}""", "$set", "invalid_update")]
    [InlineData("""{"$set": [{"a": 1}]}""", "$set", "invalid_update")]
    [InlineData("""{"$inc": {"count": "1"}}""", "$inc.count", "invalid_update")]
    [InlineData("""{"$inc": {"count": null}}""", "$inc.count", "invalid_update")]
    [InlineData("""{"$mul": {"n": true}}""", "$mul.n", "invalid_update")]
    [InlineData("""{"$currentDate": {"t": false}}""", "$currentDate.t", "invalid_update")]
    [InlineData("""{"$currentDate": {"t": {"$type": "timestamp"}}}""", "$currentDate.t", "invalid_update")]
    [InlineData("""{"$push": {"t": {"$each": 1}}}""", "$push.t.$each", "invalid_update")]
    [InlineData("""{"$push": {"t": {"$each": [1], "$slice": 2}}}""", "$push.t.$slice", "unknown_operator")]
    [InlineData("""{"$push": {"t": {"$position": 0}}}""", "$push.t.$position", "unknown_operator")]
    [InlineData("""{"$addToSet": {"t": {"$each": [1], "x": 2}}}""", "$addToSet.t.x", "invalid_update")]
    [InlineData("""{"$pull": {"t": {"$where": "1"}}}""", "$pull.t.$where", "unknown_operator")]
    [InlineData("""{"$pull": {"t": {"$gt": 1, "a": 1}}}""", "$pull.t", "invalid_filter")]
    public void Parse_RejectsBadUpdates(string json, string? field, string code)
    {
        var error = Error(json);
        Assert.Equal(code, error.Code);
        Assert.Equal(field, error.Field);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
    }

    [Theory]
    [InlineData("""{"$set": {"_id": "x"}}""", "_id", "invalid_update")]
    [InlineData("""{"$inc": {"_version": 1}}""", "_version", "invalid_update")]
    [InlineData("""{"$unset": {"_createdAt.x": 1}}""", "_createdAt.x", "invalid_update")]
    [InlineData("""{"$set": {"_custom": 1}}""", "_custom", "invalid_update")]
    [InlineData("""{"$set": {"$x": 1}}""", "$x", "invalid_path")]
    [InlineData("""{"$set": {"a.$": 1}}""", "a.$", "invalid_path")]
    [InlineData("""{"$set": {"a..b": 1}}""", "a..b", "invalid_path")]
    [InlineData("""{"$set": {"": 1}}""", "", "invalid_path")]
    public void Parse_RejectsSystemAndMalformedPaths_NamingThePath(string json, string field, string code)
    {
        var error = Error(json);
        Assert.Equal(code, error.Code);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Parse_AllowsUnderscoreInLaterSegments()
    {
        Assert.Equal("a._b", Assert.Single(Parse("""{"$set": {"a._b": 1}}""").Operations).Path);
    }

    [Theory]
    [InlineData("""{"$set": {"a": 1}, "$inc": {"a": 1}}""", "$inc.a")]
    [InlineData("""{"$set": {"a": 1, "a.b": 2}}""", "$set.a.b")]
    [InlineData("""{"$set": {"a.b.c": 1}, "$unset": {"a.b": 1}}""", "$unset.a.b")]
    [InlineData("""{"$push": {"t": 1}, "$pull": {"t": 1}}""", "$pull.t")]
    public void Parse_RejectsConflictingPaths(string json, string field)
    {
        var error = Error(json);
        Assert.Equal("invalid_update", error.Code);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Parse_AllowsSiblingPathsWithCommonPrefixText()
    {
        Assert.Equal(3, Parse("""{"$set": {"a": 1, "ab": 2}, "$inc": {"a_b.c": 1}}""").Operations.Count);
        Assert.Equal(2, Parse("""{"$set": {"a.b": 1, "a.c": 2}}""").Operations.Count);
    }

    [Fact]
    public void Parse_CopiesOperands()
    {
        var json = JsonNode.Parse("""{"$set": {"a": {"x": 1}}}""")!.AsObject();
        var update = UpdateParser.Parse(json);
        json["$set"]!["a"]!["x"] = 2;
        Assert.Equal("""{"x":1}""", update.Operations[0].Value!.ToJsonString());
    }
}
