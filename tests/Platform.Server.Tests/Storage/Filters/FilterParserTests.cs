using System.Text.Json;
using Platform.Server.Common;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Tests.Storage.Filters;

public sealed class FilterParserTests
{
    private static FilterNode Parse(string json, FilterLimits? limits = null)
    {
        using var document = JsonDocument.Parse(json);
        return FilterParser.Parse(document.RootElement, limits);
    }

    private static InvalidInputException ParseError(string json, FilterLimits? limits = null) =>
        Assert.Throws<InvalidInputException>(() => Parse(json, limits));

    private static FieldNode AssertField(FilterNode node, string path, FieldOperator op, string operandJson)
    {
        var field = Assert.IsType<FieldNode>(node);
        Assert.Equal(path, field.Path);
        Assert.Equal(op, field.Operator);
        Assert.Equal(operandJson, field.Value.GetRawText());
        return field;
    }

    [Fact]
    public void Parse_ReturnsMatchAll_ForEmptyObject()
    {
        Assert.Same(MatchAllNode.Instance, Parse("{}"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void ParseText_ReturnsMatchAll_ForBlankText(string? text)
    {
        Assert.Same(MatchAllNode.Instance, FilterParser.Parse(text));
    }

    [Theory]
    [InlineData("""{"n": 5}""", "5")]
    [InlineData("""{"n": "x"}""", "\"x\"")]
    [InlineData("""{"n": null}""", "null")]
    [InlineData("""{"n": true}""", "true")]
    [InlineData("""{"n": {"a": 1, "b": [2]}}""", """{"a": 1, "b": [2]}""")]
    [InlineData("""{"n": {}}""", "{}")]
    [InlineData("""{"n": [1, 2]}""", "[1, 2]")]
    public void Parse_MakesEquality_ForImplicitValue(string json, string operand)
    {
        AssertField(Parse(json), "n", FieldOperator.Eq, operand);
    }

    [Theory]
    [InlineData("$eq", "1", FieldOperator.Eq)]
    [InlineData("$ne", "null", FieldOperator.Ne)]
    [InlineData("$gt", "1", FieldOperator.Gt)]
    [InlineData("$gte", "\"a\"", FieldOperator.Gte)]
    [InlineData("$lt", "2.5", FieldOperator.Lt)]
    [InlineData("$lte", "[1]", FieldOperator.Lte)]
    [InlineData("$in", "[1, \"a\", null]", FieldOperator.In)]
    [InlineData("$nin", "[]", FieldOperator.Nin)]
    [InlineData("$exists", "false", FieldOperator.Exists)]
    [InlineData("$startsWith", "\"ab\"", FieldOperator.StartsWith)]
    [InlineData("$contains", "\"%_\"", FieldOperator.Contains)]
    [InlineData("$containsi", "\"Ab\"", FieldOperator.ContainsIgnoreCase)]
    [InlineData("$size", "0", FieldOperator.Size)]
    [InlineData("$all", "[1, 2]", FieldOperator.All)]
    [InlineData("$eq", """{"a": 1}""", FieldOperator.Eq)]
    public void Parse_MapsOperator(string name, string operand, FieldOperator expected)
    {
        AssertField(Parse($$$"""{"a.b": {"{{{name}}}": {{{operand}}}}}"""), "a.b", expected, operand);
    }

    [Fact]
    public void Parse_MakesAnd_ForSeveralOperatorsOnOneField()
    {
        var and = Assert.IsType<AndNode>(Parse("""{"a": {"$gt": 1, "$lt": 5}}"""));
        Assert.Equal(2, and.Children.Count);
        AssertField(and.Children[0], "a", FieldOperator.Gt, "1");
        AssertField(and.Children[1], "a", FieldOperator.Lt, "5");
    }

    [Fact]
    public void Parse_MakesFlatAnd_ForSeveralKeys()
    {
        var and = Assert.IsType<AndNode>(Parse("""{"a": 1, "b": {"$gt": 1, "$lt": 5}, "c.d": "x"}"""));
        Assert.Equal(4, and.Children.Count);
        AssertField(and.Children[0], "a", FieldOperator.Eq, "1");
        AssertField(and.Children[3], "c.d", FieldOperator.Eq, "\"x\"");
    }

    [Fact]
    public void Parse_MakesLogicalNodes()
    {
        var or = Assert.IsType<OrNode>(Parse("""{"$or": [{"a": 1}, {"b": 2}]}"""));
        AssertField(or.Children[0], "a", FieldOperator.Eq, "1");
        AssertField(or.Children[1], "b", FieldOperator.Eq, "2");

        var nor = Assert.IsType<NorNode>(Parse("""{"$nor": [{"a": 1}]}"""));
        AssertField(Assert.Single(nor.Children), "a", FieldOperator.Eq, "1");

        var and = Assert.IsType<AndNode>(Parse("""{"$and": [{"a": 1}, {"$or": [{"b": 2}, {"c": 3}]}]}"""));
        AssertField(and.Children[0], "a", FieldOperator.Eq, "1");
        Assert.IsType<OrNode>(and.Children[1]);
    }

    [Fact]
    public void Parse_UnwrapsSingleChildAndAndOr()
    {
        AssertField(Parse("""{"$and": [{"a": 1}]}"""), "a", FieldOperator.Eq, "1");
        AssertField(Parse("""{"$or": [{"a": 1}]}"""), "a", FieldOperator.Eq, "1");
    }

    [Fact]
    public void Parse_MakesNotNode_ForFieldLevelNot()
    {
        var not = Assert.IsType<NotNode>(Parse("""{"n": {"$not": {"$gt": 5}}}"""));
        Assert.Equal("n", not.Path);
        AssertField(not.Condition, "n", FieldOperator.Gt, "5");

        var both = Assert.IsType<NotNode>(Parse("""{"n": {"$not": {"$gt": 1, "$lt": 5}}}"""));
        Assert.Equal(2, Assert.IsType<AndNode>(both.Condition).Children.Count);
    }

    [Fact]
    public void Parse_MakesValueElemMatch_WhenEveryKeyIsAnOperator()
    {
        var node = Assert.IsType<ElemMatchNode>(Parse("""{"scores": {"$elemMatch": {"$gte": 80, "$lt": 90}}}"""));
        Assert.Equal("scores", node.Path);
        Assert.True(node.OnElementValue);
        var and = Assert.IsType<AndNode>(node.Condition);
        AssertField(and.Children[0], string.Empty, FieldOperator.Gte, "80");
        AssertField(and.Children[1], string.Empty, FieldOperator.Lt, "90");
    }

    [Fact]
    public void Parse_MakesDocumentElemMatch_ForFieldsOrLogicalOperators()
    {
        var node = Assert.IsType<ElemMatchNode>(Parse("""{"items": {"$elemMatch": {"sku": "a", "qty": {"$gt": 1}}}}"""));
        Assert.False(node.OnElementValue);
        var and = Assert.IsType<AndNode>(node.Condition);
        AssertField(and.Children[0], "sku", FieldOperator.Eq, "\"a\"");
        AssertField(and.Children[1], "qty", FieldOperator.Gt, "1");

        var logical = Assert.IsType<ElemMatchNode>(Parse("""{"items": {"$elemMatch": {"$or": [{"a": 1}, {"b": 1}]}}}"""));
        Assert.False(logical.OnElementValue);
        Assert.IsType<OrNode>(logical.Condition);
    }

    [Fact]
    public void Parse_AllowsNotAndElemMatchInsideValueElemMatch()
    {
        var node = Assert.IsType<ElemMatchNode>(Parse("""{"m": {"$elemMatch": {"$not": {"$size": 0}}}}"""));
        Assert.True(node.OnElementValue);
        var not = Assert.IsType<NotNode>(node.Condition);
        Assert.Equal(string.Empty, not.Path);

        var nested = Assert.IsType<ElemMatchNode>(Parse("""{"m": {"$elemMatch": {"$elemMatch": {"$gt": 1}}}}"""));
        Assert.True(Assert.IsType<ElemMatchNode>(nested.Condition).OnElementValue);
    }

    [Fact]
    public void Parse_ClonesOperands_SoTheyOutliveTheDocument()
    {
        FilterNode node;
        using (var document = JsonDocument.Parse("""{"a": {"$in": [1, "x"]}}"""))
        {
            node = FilterParser.Parse(document.RootElement);
        }

        AssertField(node, "a", FieldOperator.In, """[1, "x"]""");
    }

    [Fact]
    public void ParseText_ParsesValidJson()
    {
        AssertField(FilterParser.Parse("""{"a": {"$gte": 3}}"""), "a", FieldOperator.Gte, "3");
    }

    [Theory]
    [InlineData("""{"a": }""", 6)]
    [InlineData("""{"a": 1""", 7)]
    [InlineData("{\n  \"é\": 1,\n  x}", 14)]
    [InlineData("""{"€€": 1 2}""", 9)]
    public void ParseText_ReportsCharacterPosition_ForMalformedJson(string text, int position)
    {
        var error = Assert.Throws<InvalidInputException>(() => FilterParser.Parse(text));
        Assert.Equal("invalid_filter", error.Code);
        Assert.Equal("filter", error.Field);
        Assert.Equal(position, error.Position);
    }

    [Fact]
    public void ParseText_UsesGivenLocation()
    {
        var error = Assert.Throws<InvalidInputException>(() => FilterParser.Parse("""{"a": {"$where": "1"}}""", location: "q"));
        Assert.Equal("q.a.$where", error.Field);
    }

    [Theory]
    [InlineData("""{"$where": "x"}""", "filter.$where")]
    [InlineData("""{"$expr": {}}""", "filter.$expr")]
    [InlineData("""{"$text": {"$search": "x"}}""", "filter.$text")]
    [InlineData("""{"a": {"$regex": "x"}}""", "filter.a.$regex")]
    [InlineData("""{"a": {"$function": {}}}""", "filter.a.$function")]
    [InlineData("""{"a": {"$type": "string"}}""", "filter.a.$type")]
    [InlineData("""{"a": {"$mod": [2, 0]}}""", "filter.a.$mod")]
    [InlineData("""{"a": {"$GT": 1}}""", "filter.a.$GT")]
    [InlineData("""{"$or": [{"a": 1}, {"age": {"$gt": 1, "$lte ": 2}}]}""", "filter.$or[1].age.$lte ")]
    [InlineData("""{"a": {"$not": {"$regex": "x"}}}""", "filter.a.$not.$regex")]
    [InlineData("""{"a": {"$elemMatch": {"$foo": 1}}}""", "filter.a.$elemMatch.$foo")]
    public void Parse_RejectsUnknownOperator_NamingIt(string json, string field)
    {
        var error = ParseError(json);
        Assert.Equal("unknown_operator", error.Code);
        Assert.Equal(field, error.Field);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
        Assert.Contains(field[(field.LastIndexOf('$'))..], error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "filter")]
    [InlineData("1", "filter")]
    [InlineData("null", "filter")]
    [InlineData("""{"$gt": 1}""", "filter.$gt")]
    [InlineData("""{"$not": {"a": 1}}""", "filter.$not")]
    [InlineData("""{"$and": []}""", "filter.$and")]
    [InlineData("""{"$or": {"a": 1}}""", "filter.$or")]
    [InlineData("""{"$nor": [1]}""", "filter.$nor[0]")]
    [InlineData("""{"$or": [{"a": 1}, [{"b": 1}]]}""", "filter.$or[1]")]
    [InlineData("""{"a": {"$gt": 1, "b": 2}}""", "filter.a")]
    [InlineData("""{"a": {"b": 2, "$gt": 1}}""", "filter.a")]
    [InlineData("""{"a": {"$in": 1}}""", "filter.a.$in")]
    [InlineData("""{"a": {"$nin": {"x": 1}}}""", "filter.a.$nin")]
    [InlineData("""{"a": {"$all": "x"}}""", "filter.a.$all")]
    [InlineData("""{"a": {"$in": [1, {"$gt": 2}]}}""", "filter.a.$in[1]")]
    [InlineData("""{"a": {"$size": -1}}""", "filter.a.$size")]
    [InlineData("""{"a": {"$size": 1.5}}""", "filter.a.$size")]
    [InlineData("""{"a": {"$size": "1"}}""", "filter.a.$size")]
    [InlineData("""{"a": {"$exists": 1}}""", "filter.a.$exists")]
    [InlineData("""{"a": {"$exists": "true"}}""", "filter.a.$exists")]
    [InlineData("""{"a": {"$startsWith": 1}}""", "filter.a.$startsWith")]
    [InlineData("""{"a": {"$contains": null}}""", "filter.a.$contains")]
    [InlineData("""{"a": {"$containsi": ["x"]}}""", "filter.a.$containsi")]
    [InlineData("""{"a": {"$not": 5}}""", "filter.a.$not")]
    [InlineData("""{"a": {"$not": {}}}""", "filter.a.$not")]
    [InlineData("""{"a": {"$not": {"b": 1}}}""", "filter.a.$not")]
    [InlineData("""{"a": {"$elemMatch": 1}}""", "filter.a.$elemMatch")]
    [InlineData("""{"a": {"$elemMatch": {}}}""", "filter.a.$elemMatch")]
    [InlineData("""{"a": {"$elemMatch": {"$gt": 1, "b": 1}}}""", "filter.a.$elemMatch")]
    [InlineData("""{"a": {"$elemMatch": {"$gt": 1, "$or": [{"b": 1}]}}}""", "filter.a.$elemMatch.$gt")]
    [InlineData("""{"a": {"$elemMatch": {"b": {"$size": "x"}}}}""", "filter.a.$elemMatch.b.$size")]
    [InlineData("""{"$or": [{"a": 1}, {"age": {"$gt": 1, "$in": 3}}]}""", "filter.$or[1].age.$in")]
    public void Parse_RejectsInvalidFilter_NamingLocation(string json, string field)
    {
        var error = ParseError(json);
        Assert.Equal("invalid_filter", error.Code);
        Assert.Equal(field, error.Field);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("""{"": 1}""", "filter.")]
    [InlineData("""{"a..b": 1}""", "filter.a..b")]
    [InlineData("""{".a": 1}""", "filter..a")]
    [InlineData("""{"a.": 1}""", "filter.a.")]
    [InlineData("""{"a.$b": 1}""", "filter.a.$b")]
    [InlineData("""{"$or": [{"x.": {"$gt": 1}}]}""", "filter.$or[0].x.")]
    public void Parse_RejectsBadPath(string json, string field)
    {
        var error = ParseError(json);
        Assert.Equal("invalid_filter", error.Code);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Parse_AcceptsNumericAndUnderscoreSegments()
    {
        AssertField(Parse("""{"items.0._id": 1}"""), "items.0._id", FieldOperator.Eq, "1");
    }

    [Fact]
    public void Parse_EnforcesDepth()
    {
        static string Nested(int levels)
        {
            var json = """{"a": 1}""";
            for (var i = 1; i < levels; i++)
            {
                json = $$"""{"$and": [{{json}}]}""";
            }

            return json;
        }

        Assert.IsType<FieldNode>(Parse(Nested(16)));
        var error = ParseError(Nested(17));
        Assert.Equal("filter_too_complex", error.Code);
        Assert.StartsWith("filter.$and[0]", error.Field, StringComparison.Ordinal);

        Assert.IsType<FieldNode>(Parse(Nested(4), new FilterLimits { MaxDepth = 4 }));
        Assert.Equal("filter_too_complex", ParseError(Nested(5), new FilterLimits { MaxDepth = 4 }).Code);
    }

    [Fact]
    public void Parse_CountsNotAndElemMatchTowardsDepth()
    {
        var limits = new FilterLimits { MaxDepth = 2 };
        Assert.IsType<NotNode>(Parse("""{"a": {"$not": {"$gt": 1}}}""", limits));
        var error = ParseError("""{"a": {"$elemMatch": {"b": {"$not": {"$gt": 1}}}}}""", limits);
        Assert.Equal("filter_too_complex", error.Code);
        Assert.Equal("filter.a.$elemMatch.b.$not", error.Field);
    }

    [Fact]
    public void Parse_EnforcesConditionCount()
    {
        var two = Parse("""{"a": 1, "b": {"$gt": 1}}""", new FilterLimits { MaxConditions = 2 });
        Assert.Equal(2, Assert.IsType<AndNode>(two).Children.Count);

        var error = ParseError("""{"a": 1, "b": {"$gt": 1}, "c": {"$lt": 2}}""", new FilterLimits { MaxConditions = 2 });
        Assert.Equal("filter_too_complex", error.Code);
        Assert.Equal("filter.c.$lt", error.Field);

        var defaults = "{" + string.Join(",", Enumerable.Range(0, 201).Select(i => $"\"f{i}\": {i}")) + "}";
        Assert.Equal("filter.f200", ParseError(defaults).Field);
    }

    [Fact]
    public void Parse_EnforcesArrayValueCount()
    {
        var thousand = "[" + string.Join(",", Enumerable.Range(0, 1000)) + "]";
        AssertField(Parse($$$"""{"a": {"$in": {{{thousand}}}}}"""), "a", FieldOperator.In, thousand);

        var tooMany = "[" + string.Join(",", Enumerable.Range(0, 1001)) + "]";
        foreach (var op in new[] { "$in", "$nin", "$all" })
        {
            var error = ParseError($$$"""{"a": {"{{{op}}}": {{{tooMany}}}}}""");
            Assert.Equal("filter_too_complex", error.Code);
            Assert.Equal("filter.a." + op, error.Field);
        }

        Assert.Equal("filter_too_complex", ParseError("""{"a": {"$in": [1, 2, 3]}}""", new FilterLimits { MaxArrayValues = 2 }).Code);
    }

    [Fact]
    public void FilterLimits_HaveDocumentedDefaults()
    {
        var limits = FilterLimits.Default;
        Assert.Equal(16, limits.MaxDepth);
        Assert.Equal(200, limits.MaxConditions);
        Assert.Equal(1000, limits.MaxArrayValues);
        Assert.NotSame(FilterLimits.Default, FilterLimits.Default);
    }

    [Theory]
    [InlineData("""{ "n": { "$eq": { "$x": 1 } } }""", "filter.n.$eq.$x")]
    [InlineData("""{ "n": { "$ne": { "a": { "$gt": 1 } } } }""", "filter.n.$ne.a.$gt")]
    [InlineData("""{ "n": { "$all": [ { "a": [ { "$y": 1 } ] } ] } }""", "filter.n.$all[0].a[0].$y")]
    public void Parse_OperatorKeysInsideAValue_AreRejectedWithTheirLocation(string json, string field)
    {
        var error = Assert.Throws<Platform.Server.Common.InvalidInputException>(() => FilterParser.Parse(json));
        Assert.Equal(FilterParser.InvalidFilter, error.Code);
        Assert.Equal(field, error.Field);
    }

    [Theory]
    [InlineData("""{ "n": { "$not": { "$gt": 1, "$gt": 2 } } }""", "filter.n.$not.$gt")]
    [InlineData("""{ "n": { "$elemMatch": { "$lt": 5, "$lt": 9 } } }""", "filter.n.$elemMatch.$lt")]
    [InlineData("""{ "n": { "$gt": 1, "$gt": 2 } }""", "filter.n.$gt")]
    public void Parse_RepeatedOperatorKeys_AreRefused(string json, string field)
    {
        var error = Assert.Throws<Platform.Server.Common.InvalidInputException>(() => FilterParser.Parse(json));
        Assert.Equal(Platform.Server.Common.JsonInput.DuplicateKey, error.Code);
        Assert.Equal(field, error.Field);
    }

    [Theory]
    [InlineData("""{ "$gt": 1, "$gt": 2 }""", "pull.$gt")]
    [InlineData("""{ "$not": { "$eq": 1, "$eq": 2 } }""", "pull.$not.$eq")]
    [InlineData("""{ "a": { "$elemMatch": { "$in": [1], "$in": [2] } } }""", "pull.a.$elemMatch.$in")]
    public void ParseElementCondition_RepeatedOperatorKeys_InATreeParsedElsewhere_AreRefused(string json, string field)
    {
        // A JsonElement may hold repeated keys (System.Text.Json keeps them); MongoDB cannot hold them in one operator
        // document while SQLite would apply both, so the parser refuses them for every provider.
        using var document = System.Text.Json.JsonDocument.Parse(json);

        var error = Assert.Throws<Platform.Server.Common.InvalidInputException>(() => FilterParser.ParseElementCondition(document.RootElement, location: "pull"));
        Assert.Equal(Platform.Server.Common.JsonInput.DuplicateKey, error.Code);
        Assert.Equal(field, error.Field);
    }
}
