using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Documents.Updates;

namespace Platform.Server.Tests.Documents.Updates;

public sealed class UpdateApplierTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2));

    private static string Apply(string document, string update) =>
        UpdateApplier.Apply(JsonNode.Parse(update)!.AsObject(), JsonNode.Parse(document)!.AsObject(), Now).ToJsonString();

    private static InvalidInputException Error(string document, string update) =>
        Assert.Throws<InvalidInputException>(() => Apply(document, update));

    [Theory]
    [InlineData("""{"a":1}""", """{"$set":{"a":2}}""", """{"a":2}""")]
    [InlineData("""{"a":1}""", """{"$set":{"b":{"c":[1]}}}""", """{"a":1,"b":{"c":[1]}}""")]
    [InlineData("""{}""", """{"$set":{"a.b.c":1}}""", """{"a":{"b":{"c":1}}}""")]
    [InlineData("""{"a":{"x":1}}""", """{"$set":{"a.b":2}}""", """{"a":{"x":1,"b":2}}""")]
    [InlineData("""{"a":[1,2,3]}""", """{"$set":{"a.1":9}}""", """{"a":[1,9,3]}""")]
    [InlineData("""{"a":[1]}""", """{"$set":{"a.3":9}}""", """{"a":[1,null,null,9]}""")]
    [InlineData("""{"a":[{"b":1},{"b":2}]}""", """{"$set":{"a.1.b":5}}""", """{"a":[{"b":1},{"b":5}]}""")]
    [InlineData("""{"a":[{"b":1}]}""", """{"$set":{"a.2.b":5}}""", """{"a":[{"b":1},null,{"b":5}]}""")]
    [InlineData("""{}""", """{"$set":{"a.0":1}}""", """{"a":{"0":1}}""")]
    [InlineData("""{"a":1}""", """{"$set":{"a":null}}""", """{"a":null}""")]
    public void Set_WritesValuesAndCreatesPaths(string document, string update, string expected)
    {
        Assert.Equal(expected, Apply(document, update));
    }

    [Theory]
    [InlineData("""{"a":1,"b":2}""", """{"$unset":{"a":""}}""", """{"b":2}""")]
    [InlineData("""{"a":{"b":1,"c":2}}""", """{"$unset":{"a.b":1}}""", """{"a":{"c":2}}""")]
    [InlineData("""{"a":1}""", """{"$unset":{"x.y.z":1}}""", """{"a":1}""")]
    [InlineData("""{"a":1}""", """{"$unset":{"a.b":1}}""", """{"a":1}""")]
    [InlineData("""{"a":[1,2,3]}""", """{"$unset":{"a.1":1}}""", """{"a":[1,null,3]}""")]
    [InlineData("""{"a":[1]}""", """{"$unset":{"a.5":1}}""", """{"a":[1]}""")]
    [InlineData("""{"a":[{"b":1}]}""", """{"$unset":{"a.b":1}}""", """{"a":[{"b":1}]}""")]
    public void Unset_RemovesOrIgnoresMissing(string document, string update, string expected)
    {
        Assert.Equal(expected, Apply(document, update));
    }

    [Theory]
    [InlineData("""{"n":1}""", """{"$inc":{"n":2}}""", """{"n":3}""")]
    [InlineData("""{"n":1}""", """{"$inc":{"n":-5}}""", """{"n":-4}""")]
    [InlineData("""{"n":1}""", """{"$inc":{"n":0.5}}""", """{"n":1.5}""")]
    [InlineData("""{"n":1.5}""", """{"$inc":{"n":1}}""", """{"n":2.5}""")]
    [InlineData("""{}""", """{"$inc":{"n":2}}""", """{"n":2}""")]
    [InlineData("""{}""", """{"$inc":{"a.b":2}}""", """{"a":{"b":2}}""")]
    [InlineData("""{"n":9007199254740993}""", """{"$inc":{"n":1}}""", """{"n":9007199254740994}""")]
    [InlineData("""{"n":3}""", """{"$mul":{"n":4}}""", """{"n":12}""")]
    [InlineData("""{"n":3}""", """{"$mul":{"n":0.5}}""", """{"n":1.5}""")]
    [InlineData("""{}""", """{"$mul":{"n":4}}""", """{"n":0}""")]
    [InlineData("""{}""", """{"$mul":{"n":2.5}}""", """{"n":0}""")]
    public void IncAndMul_DoArithmetic(string document, string update, string expected)
    {
        Assert.Equal(expected, Apply(document, update));
    }

    [Fact]
    public void IncAndMul_KeepIntegersExact_AndUseDoublesOtherwise()
    {
        var result = UpdateApplier.Apply(JsonNode.Parse("""{"$inc":{"i":1},"$mul":{"d":2.0}}""")!.AsObject(), JsonNode.Parse("""{"i":9223372036854775806,"d":3}""")!.AsObject(), Now);
        Assert.Equal(long.MaxValue, result["i"]!.GetValue<long>());
        Assert.Equal(6.0, result["d"]!.GetValue<double>());
        Assert.Equal(0.0, UpdateApplier.Apply(JsonNode.Parse("""{"$mul":{"x":2.5}}""")!.AsObject(), [], Now)["x"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("""{"count":"1"}""", """{"$inc":{"count":1}}""", "$inc.count")]
    [InlineData("""{"count":null}""", """{"$inc":{"count":1}}""", "$inc.count")]
    [InlineData("""{"count":[1]}""", """{"$mul":{"count":2}}""", "$mul.count")]
    [InlineData("""{"n":9223372036854775807}""", """{"$inc":{"n":1}}""", "$inc.n")]
    [InlineData("""{"n":-9223372036854775808}""", """{"$inc":{"n":-1}}""", "$inc.n")]
    [InlineData("""{"n":4611686018427387904}""", """{"$mul":{"n":2}}""", "$mul.n")]
    [InlineData("""{"n":1e308}""", """{"$mul":{"n":10}}""", "$mul.n")]
    [InlineData("""{"tags":"x"}""", """{"$push":{"tags":1}}""", "$push.tags")]
    [InlineData("""{"tags":{"a":1}}""", """{"$addToSet":{"tags":1}}""", "$addToSet.tags")]
    [InlineData("""{"tags":null}""", """{"$push":{"tags":1}}""", "$push.tags")]
    [InlineData("""{"tags":5}""", """{"$pull":{"tags":5}}""", "$pull.tags")]
    [InlineData("""{"a":5}""", """{"$set":{"a.b":1}}""", "$set.a.b")]
    [InlineData("""{"a":null}""", """{"$set":{"a.b":1}}""", "$set.a.b")]
    [InlineData("""{"a":"s"}""", """{"$inc":{"a.b.c":1}}""", "$inc.a.b.c")]
    [InlineData("""{"a":[1]}""", """{"$set":{"a.b":1}}""", "$set.a.b")]
    [InlineData("""{"a":[{"b":1}]}""", """{"$set":{"a.b":1}}""", "$set.a.b")]
    [InlineData("""{"a":[]}""", """{"$set":{"a.100000":1}}""", "$set.a.100000")]
    public void Apply_RejectsTypeErrors_NamingTheField(string document, string update, string field)
    {
        var error = Error(document, update);
        Assert.Equal("invalid_update", error.Code);
        Assert.Equal(field, error.Field);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
    }

    [Theory]
    [InlineData("""{"n":5}""", """{"$min":{"n":3}}""", """{"n":3}""")]
    [InlineData("""{"n":5}""", """{"$min":{"n":7}}""", """{"n":5}""")]
    [InlineData("""{"n":5}""", """{"$max":{"n":7}}""", """{"n":7}""")]
    [InlineData("""{"n":5}""", """{"$max":{"n":5.0}}""", """{"n":5}""")]
    [InlineData("""{}""", """{"$min":{"n":1}}""", """{"n":1}""")]
    [InlineData("""{}""", """{"$max":{"a.b":1}}""", """{"a":{"b":1}}""")]
    [InlineData("""{"n":5}""", """{"$max":{"n":"a"}}""", """{"n":"a"}""")]
    [InlineData("""{"n":5}""", """{"$min":{"n":null}}""", """{"n":null}""")]
    [InlineData("""{"n":"b"}""", """{"$min":{"n":"a"}}""", """{"n":"a"}""")]
    [InlineData("""{"d":"2026-01-01T00:00:00.000Z"}""", """{"$max":{"d":"2026-02-01T00:00:00.000Z"}}""", """{"d":"2026-02-01T00:00:00.000Z"}""")]
    [InlineData("""{"n":true}""", """{"$max":{"n":1}}""", """{"n":true}""")]
    public void MinMax_CompareInTypeOrder(string document, string update, string expected)
    {
        Assert.Equal(expected, Apply(document, update));
    }

    [Theory]
    [InlineData("""{"t":[1]}""", """{"$push":{"t":2}}""", """{"t":[1,2]}""")]
    [InlineData("""{"t":[1]}""", """{"$push":{"t":[2,3]}}""", """{"t":[1,[2,3]]}""")]
    [InlineData("""{"t":[1]}""", """{"$push":{"t":{"$each":[2,3]}}}""", """{"t":[1,2,3]}""")]
    [InlineData("""{"t":[1]}""", """{"$push":{"t":{"$each":[]}}}""", """{"t":[1]}""")]
    [InlineData("""{"t":[1]}""", """{"$push":{"t":1}}""", """{"t":[1,1]}""")]
    [InlineData("""{}""", """{"$push":{"t":{"a":1}}}""", """{"t":[{"a":1}]}""")]
    [InlineData("""{}""", """{"$push":{"o.t":{"$each":[1,2]}}}""", """{"o":{"t":[1,2]}}""")]
    [InlineData("""{"t":[1,"a"]}""", """{"$addToSet":{"t":1.0}}""", """{"t":[1,"a"]}""")]
    [InlineData("""{"t":[1,"a"]}""", """{"$addToSet":{"t":"b"}}""", """{"t":[1,"a","b"]}""")]
    [InlineData("""{"t":[1]}""", """{"$addToSet":{"t":{"$each":[1,2,2,3]}}}""", """{"t":[1,2,3]}""")]
    [InlineData("""{"t":[{"a":1,"b":2}]}""", """{"$addToSet":{"t":{"b":2,"a":1}}}""", """{"t":[{"a":1,"b":2},{"b":2,"a":1}]}""")]
    [InlineData("""{"t":[[1,2]]}""", """{"$addToSet":{"t":[1,2]}}""", """{"t":[[1,2]]}""")]
    [InlineData("""{}""", """{"$addToSet":{"t":{"$each":[1,1]}}}""", """{"t":[1]}""")]
    [InlineData("""{"a":[[1]]}""", """{"$push":{"a.0":2}}""", """{"a":[[1,2]]}""")]
    public void PushAndAddToSet_AppendValues(string document, string update, string expected)
    {
        Assert.Equal(expected, Apply(document, update));
    }

    [Theory]
    [InlineData("""{"t":[1,2,1,3]}""", """{"$pull":{"t":1}}""", """{"t":[2,3]}""")]
    [InlineData("""{"t":[1,2.0,"2"]}""", """{"$pull":{"t":2}}""", """{"t":[1,"2"]}""")]
    [InlineData("""{"t":[1,5,7,3]}""", """{"$pull":{"t":{"$gte":5}}}""", """{"t":[1,3]}""")]
    [InlineData("""{"t":[1,"a",7]}""", """{"$pull":{"t":{"$in":["a",7]}}}""", """{"t":[1]}""")]
    [InlineData("""{"t":[[1,2],[3],1]}""", """{"$pull":{"t":[1,2]}}""", """{"t":[[3],1]}""")]
    [InlineData("""{"t":[{"s":1,"i":"A"},{"s":8,"i":"B"},{"s":8,"i":"C"}]}""", """{"$pull":{"t":{"s":8,"i":"B"}}}""", """{"t":[{"s":1,"i":"A"},{"s":8,"i":"C"}]}""")]
    [InlineData("""{"t":[{"s":1},{"s":9},5]}""", """{"$pull":{"t":{"s":{"$gt":5}}}}""", """{"t":[{"s":1},5]}""")]
    [InlineData("""{"t":[{"a":[1,2]},{"a":[3]}]}""", """{"$pull":{"t":{"a":2}}}""", """{"t":[{"a":[3]}]}""")]
    [InlineData("""{"t":[{"k":1},{"j":1}]}""", """{"$pull":{"t":{"$or":[{"k":1},{"j":1}]}}}""", """{"t":[]}""")]
    [InlineData("""{"t":["ab","cd"]}""", """{"$pull":{"t":{"$startsWith":"a"}}}""", """{"t":["cd"]}""")]
    [InlineData("""{}""", """{"$pull":{"t":1}}""", """{}""")]
    [InlineData("""{"a":1}""", """{"$pull":{"a.b.c":1}}""", """{"a":1}""")]
    [InlineData("""{"o":{"t":[1,2]}}""", """{"$pull":{"o.t":2}}""", """{"o":{"t":[1]}}""")]
    public void Pull_RemovesEqualOrMatchingElements(string document, string update, string expected)
    {
        Assert.Equal(expected, Apply(document, update));
    }

    [Fact]
    public void CurrentDate_WritesUtcMilliseconds()
    {
        Assert.Equal(
            """{"t":"2026-01-02T01:04:05.678Z","o":{"u":"2026-01-02T01:04:05.678Z"}}""",
            Apply("""{"t":1}""", """{"$currentDate":{"t":true,"o.u":{"$type":"date"}}}"""));
    }

    [Fact]
    public void ApplyInPlace_ChangesTheDocument_AndLeavesTheUpdateReusable()
    {
        var document = JsonNode.Parse("""{"t":[1],"o":{"a":1}}""")!.AsObject();
        var update = UpdateParser.Parse(JsonNode.Parse("""{"$push":{"t":{"$each":[{"k":1}]}},"$set":{"o.b":{"c":1}},"$unset":{"o.a":1}}""")!.AsObject());
        var result = UpdateApplier.ApplyInPlace(update, document, Now);
        Assert.Same(document, result);
        Assert.Equal("""{"t":[1,{"k":1}],"o":{"b":{"c":1}}}""", document.ToJsonString());
        document["t"]![1]!["k"] = 2;
        Assert.Equal("""{"t":[1,{"k":1}],"o":{"b":{"c":1}}}""", UpdateApplier.Apply(update, JsonNode.Parse("""{"t":[1],"o":{"a":1}}""")!.AsObject(), Now).ToJsonString());
    }

    [Fact]
    public void Apply_LeavesCurrentAndUpdateUntouched_AndKeepsSystemFields()
    {
        var current = JsonNode.Parse("""{"_id":"x","_version":3,"t":[1],"o":{"a":1}}""")!.AsObject();
        var update = UpdateParser.Parse(JsonNode.Parse("""{"$push":{"t":{"$each":[{"k":1}]}},"$set":{"o.b":{"c":1}},"$unset":{"o.a":1}}""")!.AsObject());
        var first = UpdateApplier.Apply(update, current, Now);
        var second = UpdateApplier.Apply(update, current, Now);
        Assert.Equal("""{"_id":"x","_version":3,"t":[1],"o":{"a":1}}""", current.ToJsonString());
        Assert.Equal("""{"_id":"x","_version":3,"t":[1,{"k":1}],"o":{"b":{"c":1}}}""", first.ToJsonString());
        first["t"]![1]!["k"] = 2;
        first["o"]!["b"]!["c"] = 2;
        Assert.Equal("""{"_id":"x","_version":3,"t":[1,{"k":1}],"o":{"b":{"c":1}}}""", second.ToJsonString());
    }

    [Fact]
    public void Apply_SeveralOperatorsTogether()
    {
        Assert.Equal(
            """{"n":2,"tags":["a","b"],"s":"x","seen":"2026-01-02T01:04:05.678Z"}""",
            Apply("""{"n":1,"tags":["a"],"old":true}""", """{"$inc":{"n":1},"$addToSet":{"tags":"b"},"$set":{"s":"x"},"$unset":{"old":1},"$currentDate":{"seen":true}}"""));
    }
}
