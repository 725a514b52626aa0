using System.Text.Json;
using MongoDB.Bson;
using Platform.Server.Audit;
using Platform.Server.Common;
using Platform.Server.Email;
using Platform.Server.Functions;
using Platform.Server.Functions.Runs;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Mongo;
using Platform.Server.Users;
using static Platform.Server.Tests.Storage.Mongo.Bson;

namespace Platform.Server.Tests.Storage.Mongo;

public class MongoQueryTranslatorTests
{
    private static readonly SortField Id = new("_id");

    private static FieldNode Eq(string path, string value) => new(path, FieldOperator.Eq, JsonSerializer.SerializeToElement(value));

    [Fact]
    public void Translate_WithFields_ProjectsThemAndTheId_AndWithoutReadsWholeDocuments()
    {
        var query = new DocumentQuery(Eq("owner", "u1"), [new("due"), Id], 2);

        Assert.Null(MongoQueryTranslator.Translate(query).Projection);
        Bson.Equal("{_id: 1, _version: 1}", MongoQueryTranslator.Translate(query with { Fields = ["_version"] }).Projection!);
        Bson.Equal("{_id: 1, title: 1}", MongoQueryTranslator.Translate(query with { Fields = ["_id", "title"] }).Projection!);
    }

    [Fact]
    public void Cleanups_ReadOnlyTheIdsAndVersionsTheyDeleteBy_NotWholeRecords()
    {
        // Run retention read up to 500 whole run records (args, result, logs) per function and status only for their ids;
        // the audit and session cleanups and the outbox pruning did the same.
        Bson.Equal("{_id: 1}", MongoQueryTranslator.Translate(DocumentFunctionRunStorage.RetentionQuery("fn", RunStatus.Succeeded, DateTimeOffset.UnixEpoch, 500)).Projection!);
        Bson.Equal("{_id: 1}", MongoQueryTranslator.Translate(AuditCleanup.Query(MatchAllNode.Instance)).Projection!);
        Bson.Equal("{_id: 1, _version: 1}", MongoQueryTranslator.Translate(SessionCleanup.Query(MatchAllNode.Instance)).Projection!);
        Bson.Equal("{_id: 1}", MongoQueryTranslator.Translate(EmailOutbox.PruneQuery(10)).Projection!);
    }

    [Fact]
    public void ArrayProbe_OfAFullUserPage_IsTheFilterAndAnArrayAtASortPath()
    {
        var query = new DocumentQuery(Eq("owner", "u1"), [new("due"), Id], 2);

        Bson.Equal("{$and: [{owner: {$eq: 'u1'}}, {due: {$type: 'array'}}]}", MongoQueryTranslator.ArrayProbe("tasks", query, returned: 2)!);
        Bson.Equal("{due: {$type: 'array'}}", MongoQueryTranslator.ArrayProbe("tasks", query with { Filter = MatchAllNode.Instance }, returned: 2)!);

        // A last page (fewer than asked, no cursor) is never followed by another; a sort by system fields only never
        // meets an array.
        Assert.Null(MongoQueryTranslator.ArrayProbe("tasks", query, returned: 1));
        Assert.Null(MongoQueryTranslator.ArrayProbe("tasks", query with { Sort = [new("_createdAt"), Id] }, returned: 2));
    }

    [Theory]
    [InlineData("_function_runs")]
    [InlineData("_audit")]
    [InlineData("_function_versions")]
    public void ArrayProbe_IsNeverRun_OnTheServersOwnCollections(string collection)
    {
        // A scan of every run the filter matches (no index answers $type: "array"), for a page of runs or each function
        // name of the retention pass, where the server writes startedAt, function, at and name as scalars.
        var runs = new DocumentQuery(
            new AndNode([Eq("function", "f"), Eq("status", "failed")]),
            [new("startedAt", Descending: true), new("_id", Descending: true)],
            51,
            [Json("\"2026-12-07T00:00:00.000Z\""), Json("\"r1\"")]);
        var nextFunction = new DocumentQuery(new FieldNode("function", FieldOperator.Gt, JsonSerializer.SerializeToElement("a")), [new("function")], 1);

        Assert.Null(MongoQueryTranslator.ArrayProbe(collection, runs, returned: 51));
        Assert.Null(MongoQueryTranslator.ArrayProbe(collection, nextFunction, returned: 1));
        Assert.NotNull(MongoQueryTranslator.ArrayProbe("runs", nextFunction, returned: 1));
    }

    [Fact]
    public void Sort_MapsDirections_InOrder() =>
        Bson.Equal("{a: -1, 'b.c': 1, _id: 1}", MongoQueryTranslator.Sort([new("a", Descending: true), new("b.c"), Id]));

    [Fact]
    public void Sort_Throws_WhenAPathRepeats() =>
        Assert.Throws<ArgumentException>(() => MongoQueryTranslator.Sort([new("a"), new("a", Descending: true)]));

    [Fact]
    public void Sort_Throws_ForOperatorPaths() =>
        Assert.Throws<ArgumentException>(() => MongoQueryTranslator.Sort([new("$natural")]));

    [Fact]
    public void After_OnIdAscending_IsAPlainRange() =>
        Bson.Equal("{_id: {$gt: 'b'}}", MongoQueryTranslator.After([Id], [Json("\"b\"")]));

    [Fact]
    public void After_OnIdDescending_IsAPlainRange() =>
        Bson.Equal("{_id: {$lt: 'b'}}", MongoQueryTranslator.After([new("_id", Descending: true)], [Json("\"b\"")]));

    [Fact]
    public void After_NumberAscending_AddsLaterTypesAndTheTieBreak() =>
        Bson.Equal(
            """
            {$or: [
              {n: {$gt: 5}},
              {n: {$type: ['string', 'object', 'array', 'bool']}},
              {$and: [{n: {$eq: 5}}, {_id: {$gt: 'k'}}]}
            ]}
            """,
            MongoQueryTranslator.After([new("n"), Id], [Json("5"), Json("\"k\"")]));

    [Fact]
    public void After_NumberDescending_AddsEarlierTypesAndNull() =>
        Bson.Equal(
            """
            {$or: [
              {n: {$lt: 1.5}},
              {n: {$eq: null}},
              {$and: [{n: {$eq: 1.5}}, {_id: {$gt: 'k'}}]}
            ]}
            """,
            MongoQueryTranslator.After([new("n", Descending: true), Id], [Json("1.5"), Json("\"k\"")]));

    [Fact]
    public void After_NullAscending_IsAnyPresentTypeOrATie() =>
        Bson.Equal(
            """
            {$or: [
              {n: {$type: ['number', 'string', 'object', 'array', 'bool']}},
              {$and: [{n: {$eq: null}}, {_id: {$gt: 'k'}}]}
            ]}
            """,
            MongoQueryTranslator.After([new("n"), Id], [Json("null"), Json("\"k\"")]));

    [Fact]
    public void After_NullDescending_OnlyTies() =>
        Bson.Equal(
            "{$and: [{n: {$eq: null}}, {_id: {$gt: 'k'}}]}",
            MongoQueryTranslator.After([new("n", Descending: true), Id], [Json("null"), Json("\"k\"")]));

    [Fact]
    public void After_StringBothWays()
    {
        Bson.Equal(
            "{$or: [{s: {$gt: 'm'}}, {s: {$type: ['object', 'array', 'bool']}}, {$and: [{s: {$eq: 'm'}}, {_id: {$lt: 'k'}}]}]}",
            MongoQueryTranslator.After([new("s"), new("_id", Descending: true)], [Json("\"m\""), Json("\"k\"")]));
        Bson.Equal(
            "{$or: [{s: {$lt: 'm'}}, {s: {$type: 'number'}}, {s: {$eq: null}}, {$and: [{s: {$eq: 'm'}}, {_id: {$gt: 'k'}}]}]}",
            MongoQueryTranslator.After([new("s", Descending: true), Id], [Json("\"m\""), Json("\"k\"")]));
    }

    [Fact]
    public void After_ObjectAndArrayBrackets()
    {
        Bson.Equal(
            "{$or: [{o: {$gt: {a: 1}}}, {o: {$type: ['array', 'bool']}}, {$and: [{o: {$eq: {a: 1}}}, {_id: {$gt: 'k'}}]}]}",
            MongoQueryTranslator.After([new("o"), Id], [Json("""{"a":1}"""), Json("\"k\"")]));
        Bson.Equal(
            "{$or: [{o: {$lt: [1]}}, {o: {$type: ['number', 'string', 'object']}}, {o: {$eq: null}}, {$and: [{o: {$eq: [1]}}, {_id: {$gt: 'k'}}]}]}",
            MongoQueryTranslator.After([new("o", Descending: true), Id], [Json("[1]"), Json("\"k\"")]));
    }

    [Fact]
    public void After_Booleans_HaveNothingBeyondTheEnds()
    {
        Bson.Equal(
            "{$and: [{b: {$eq: true}}, {_id: {$gt: 'k'}}]}",
            MongoQueryTranslator.After([new("b"), Id], [Json("true"), Json("\"k\"")]));
        Bson.Equal(
            "{$or: [{b: {$gt: false}}, {$and: [{b: {$eq: false}}, {_id: {$gt: 'k'}}]}]}",
            MongoQueryTranslator.After([new("b"), Id], [Json("false"), Json("\"k\"")]));
        Bson.Equal(
            "{$or: [{b: {$type: ['number', 'string', 'object', 'array']}}, {b: {$eq: null}}, {$and: [{b: {$eq: false}}, {_id: {$gt: 'k'}}]}]}",
            MongoQueryTranslator.After([new("b", Descending: true), Id], [Json("false"), Json("\"k\"")]));
    }

    [Fact]
    public void After_ThreeKeys_FixesEveryEarlierKey() =>
        Bson.Equal(
            """
            {$or: [
              {a: {$gt: 'x'}},
              {a: {$type: ['object', 'array', 'bool']}},
              {$and: [{a: {$eq: 'x'}}, {$or: [{b: {$lt: 2}}, {b: {$eq: null}}]}]},
              {$and: [{a: {$eq: 'x'}}, {b: {$eq: 2}}, {_id: {$gt: 'k'}}]}
            ]}
            """,
            MongoQueryTranslator.After([new("a"), new("b", Descending: true), Id], [Json("\"x\""), Json("2"), Json("\"k\"")]));

    [Fact]
    public void After_Throws_WhenValuesDoNotMatchTheSort()
    {
        Assert.Throws<ArgumentException>(() => MongoQueryTranslator.After([new("a"), Id], [Json("1")]));
        Assert.Throws<ArgumentException>(() => MongoQueryTranslator.After([], []));
    }

    [Fact]
    public void After_RejectsOperatorObjects_AsAForeignCursor()
    {
        var error = Assert.Throws<InvalidInputException>(() => MongoQueryTranslator.After([new("o"), Id], [Json("""{"$where":"1"}"""), Json("\"k\"")]));

        Assert.Equal(("invalid_cursor", "cursor"), (error.Code, error.Field));
    }

    [Fact]
    public void Translate_CombinesFilterAndKeyset()
    {
        var query = new DocumentQuery(Field("a", FieldOperator.Eq, "1"), [Id], 21, [Json("\"k\"")]);

        var find = MongoQueryTranslator.Translate(query);

        Bson.Equal("{$and: [{a: {$eq: 1}}, {_id: {$gt: 'k'}}]}", find.Filter);
        Bson.Equal("{_id: 1}", find.Sort);
        Assert.Equal(21, find.Limit);
    }

    [Fact]
    public void Translate_WithoutFilter_UsesTheKeysetAlone()
    {
        var find = MongoQueryTranslator.Translate(new DocumentQuery(MatchAllNode.Instance, [Id], 5, [Json("\"k\"")]));

        Bson.Equal("{_id: {$gt: 'k'}}", find.Filter);
    }

    [Fact]
    public void Translate_FirstPage_HasNoKeyset()
    {
        var find = MongoQueryTranslator.Translate(new DocumentQuery(MatchAllNode.Instance, [new("n", Descending: true), Id], 5));

        Bson.Equal("{}", find.Filter);
        Bson.Equal("{n: -1, _id: 1}", find.Sort);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Translate_Throws_ForANonPositiveLimit(int limit) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MongoQueryTranslator.Translate(new DocumentQuery(MatchAllNode.Instance, [Id], limit)));

    // Pages through a mixed-type collection (null, missing, numbers, strings, objects, booleans) with
    // every direction combination: each keyset filter,
    // evaluated with MongoDB's matching rules, must select exactly the documents after the
    // position in MongoDB's sort order, with no gap and no repeat.
    [Theory]
    [InlineData(false, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, true, true)]
    public void After_SelectsExactlyTheDocumentsAfterEachPosition(bool aDescending, bool bDescending, bool idDescending)
    {
        BsonValue?[] aValues =
        [
            null, BsonNull.Value, -1, 0, 0.5, 1L, 1.0, 2.5, "", "a", "b", false, true,
            new BsonDocument(), new BsonDocument("a", 1), new BsonDocument("a", 2.5), new BsonDocument("a", "x"),
            new BsonDocument { { "a", 1 }, { "b", 1 } }, new BsonDocument("b", 0), new BsonDocument("a", new BsonDocument("c", true)),
        ];
        BsonValue?[] bValues = [null, BsonNull.Value, 0, 3.5, "x", true];
        var documents = new List<BsonDocument>();
        foreach (var a in aValues)
        {
            foreach (var b in bValues)
            {
                var document = new BsonDocument("_id", $"d{documents.Count:D3}");
                if (a is not null)
                {
                    document["a"] = a;
                }

                if (b is not null)
                {
                    document["b"] = b;
                }

                documents.Add(document);
            }
        }

        SortField[] sort = [new("a", aDescending), new("b", bDescending), new("_id", idDescending)];
        var ordered = documents.Order(Comparer<BsonDocument>.Create((x, y) => SortModel.Compare(x, y, sort))).ToList();

        for (var i = 0; i < ordered.Count; i++)
        {
            var after = sort.Select(s => KeysetValue(ordered[i], s.Path)).ToList();
            var filter = MongoQueryTranslator.After(sort, after);

            var selected = documents.Where(d => MatchModel.Matches(d, filter)).Select(d => d["_id"].AsString).ToHashSet();

            Assert.Equal(ordered.Skip(i + 1).Select(d => d["_id"].AsString).ToHashSet(), selected);
        }
    }

    private static JsonElement KeysetValue(BsonDocument document, string path) =>
        Json(document.TryGetValue(path, out var value) ? BsonJson.ToJsonNode(value)?.ToJsonString() ?? "null" : "null");

    /// <summary>MongoDB's sort order over the scalar types the keyset test uses.</summary>
    private static class SortModel
    {
        public static int Compare(BsonDocument x, BsonDocument y, IReadOnlyList<SortField> sort)
        {
            foreach (var field in sort)
            {
                var result = CompareValues(x.GetValue(field.Path, BsonNull.Value), y.GetValue(field.Path, BsonNull.Value));
                if (result != 0)
                {
                    return field.Descending ? -result : result;
                }
            }

            return 0;
        }

        // Object comparison is MongoDB's (field by field, names and values in order), as the
        // in-memory matcher implements it; arrays are left out, their sort and match rules differ.
        public static int Bracket(BsonValue value) => value.BsonType switch
        {
            BsonType.Null => 0,
            BsonType.Int32 or BsonType.Int64 or BsonType.Double => 1,
            BsonType.String => 2,
            BsonType.Document => 3,
            BsonType.Boolean => 5,
            _ => throw new NotSupportedException(value.BsonType.ToString()),
        };

        public static int CompareValues(BsonValue x, BsonValue y) =>
            JsonValueOrder.Compare(BsonJson.ToJsonNode(x), BsonJson.ToJsonNode(y));
    }

    /// <summary>
    /// MongoDB's matching rules for the operators keyset filters use, on scalar fields: comparisons
    /// only within the operand's type bracket, <c>{$eq: null}</c> also matching a missing field.
    /// </summary>
    private static class MatchModel
    {
        private static readonly string[] Aliases = ["null", "number", "string", "object", "array", "bool"];

        public static bool Matches(BsonDocument document, BsonDocument filter) => filter.All(element => element.Name switch
        {
            "$and" => element.Value.AsBsonArray.All(f => Matches(document, f.AsBsonDocument)),
            "$or" => element.Value.AsBsonArray.Any(f => Matches(document, f.AsBsonDocument)),
            "$nor" => !element.Value.AsBsonArray.Any(f => Matches(document, f.AsBsonDocument)),
            _ => element.Value.AsBsonDocument.All(op => Operator(document.GetValue(element.Name, null), op.Name, op.Value)),
        });

        private static bool Operator(BsonValue? value, string name, BsonValue operand)
        {
            switch (name)
            {
                case "$eq":
                    return operand.IsBsonNull
                        ? value is null || value.IsBsonNull
                        : value is not null && SameBracket(value, operand) && SortModel.CompareValues(value, operand) == 0;
                case "$gt":
                    return value is not null && SameBracket(value, operand) && SortModel.CompareValues(value, operand) > 0;
                case "$lt":
                    return value is not null && SameBracket(value, operand) && SortModel.CompareValues(value, operand) < 0;
                case "$type":
                    var types = operand.IsBsonArray ? operand.AsBsonArray.Select(t => t.AsString) : [operand.AsString];
                    return value is not null && types.Contains(Aliases[SortModel.Bracket(value)]);
                default:
                    throw new NotSupportedException(name);
            }
        }

        private static bool SameBracket(BsonValue x, BsonValue y) => SortModel.Bracket(x) == SortModel.Bracket(y);
    }
}
