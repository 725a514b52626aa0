using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Documents;
using Platform.Server.Rules;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Mongo;
using Platform.Server.Tests.Storage;
using Platform.Server.Tests.Storage.Mongo;
using Platform.Server.Tests.Storage.Sqlite;

namespace Platform.Server.Tests.Rules;

/// <summary>
/// A list rule's filter ANDed with a client's query filter, as the documents API runs it: a real store
/// returns, page by page and in its count, exactly the documents both the rule and the query allow.
/// </summary>
public abstract class RuleQueryFilterTests(IStoreFixture fixture)
{
    private static readonly string[] Rules =
    [
        "auth != null && doc._createdBy == auth.id",
        "doc.public == true || (auth != null && doc.ownerId == auth.id)",
        "\"admin\" in auth.roles || doc.team in auth.roles",
        "auth.verified == true && doc.status in [\"draft\", \"published\"]",
        "!doc.public",
        "true",
        "false",
    ];

    private static readonly string[] QueryFilters =
    [
        """{}""",
        """{"status": "published"}""",
        """{"n": {"$gte": 2}, "public": {"$ne": true}}""",
        """{"$or": [{"public": true}, {"ownerId": "u2"}, {"_createdBy": "u1"}]}""",
        """{"$nor": [{"team": "red"}]}""",
        """{"_createdBy": {"$in": ["u1", "u2", "x"]}}""",
        """{"tags": {"$in": ["x", "admin"]}, "owner.name": {"$exists": true}}""",
    ];

    public static TheoryData<string> RuleTexts() => new(Rules);

    [Theory]
    [MemberData(nameof(RuleTexts))]
    public async Task RuleAndQuery_InTheStore_PageAndCountOnlyWhatBothAllow(string text)
    {
        if (fixture.SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        var ct = TestContext.Current.CancellationToken;
        var rule = RuleCompiler.Compile(RuleOperation.List, text);
        var documents = RuleSamples.Documents(120, seed: text.Length + 7);
        var collection = fixture.NewCollectionName();
        await fixture.Store.CreateCollectionAsync(collection, ct);
        await fixture.Store.WriteAsync(documents.Select(d => (WriteOperation)new InsertOperation(collection, (JsonObject)d.DeepClone())).ToList(), ct);
        var sort = new[] { new SortField("_id") };

        foreach (var auth in RuleSamples.Callers)
        {
            foreach (var queryText in QueryFilters)
            {
                var query = FilterParser.Parse(queryText);
                var combined = DocumentQueryService.Both(rule.ToFilter(new RuleContext { Auth = auth, Now = RuleSamples.Now }), query);
                var expected = documents
                    .Where(doc => rule.Evaluate(new RuleContext { Auth = auth, Doc = doc, Now = RuleSamples.Now }) && FilterMatcher.Matches(query, doc))
                    .Select(doc => doc["_id"]!.GetValue<string>())
                    .ToList();

                // Paged in sevens, as a client with cursors would: the combined filter applies to every page.
                var found = new List<string>();
                IReadOnlyList<JsonElement>? after = null;
                while (true)
                {
                    var page = await fixture.Store.QueryAsync(collection, new DocumentQuery(combined, sort, 7, after), ct);
                    found.AddRange(page.Select(doc => doc["_id"]!.GetValue<string>()));
                    if (page.Count < 7)
                    {
                        break;
                    }

                    after = [JsonSerializer.SerializeToElement(page[^1]["_id"]!.GetValue<string>())];
                }

                var context = $"rule '{text}', auth {auth?.ToJsonString() ?? "null"}, query {queryText}, filter {FilterText.Of(combined)}";
                Assert.True(expected.SequenceEqual(found), $"{context}: expected [{string.Join(", ", expected)}], store returned [{string.Join(", ", found)}].");
                Assert.True(expected.Count == await fixture.Store.CountAsync(collection, combined, ct), $"{context}: count differs from {expected.Count}.");
            }
        }
    }
}

public sealed class SqliteRuleQueryFilterTests(SqliteStoreFixture fixture)
    : RuleQueryFilterTests(fixture), IClassFixture<SqliteStoreFixture>;

public sealed class MongoRuleQueryFilterTests(MongoStoreFixture fixture)
    : RuleQueryFilterTests(fixture), IClassFixture<MongoStoreFixture>;

/// <summary>The combined filter as MongoDB receives it, checked without a server.</summary>
public sealed class RuleQueryFilterMongoTranslationTests
{
    private static readonly JsonObject Alice = JsonNode.Parse("""{ "id": "u1", "roles": ["red"], "verified": true }""")!.AsObject();

    [Fact]
    public void OwnerRule_AndQuery_IsOneFlatAnd_EvenOnTheSameField()
    {
        var rule = RuleCompiler.Compile(RuleOperation.List, "auth != null && doc._createdBy == auth.id");
        var query = FilterParser.Parse("""{"status": "open", "priority": {"$gte": 3}, "_createdBy": "u2"}""");
        var combined = DocumentQueryService.Both(rule.ToFilter(new RuleContext { Auth = Alice }), query);
        Bson.Equal(
            "{$and: [{_createdBy: {$eq: 'u1'}}, {status: {$eq: 'open'}}, {priority: {$gte: 3}}, {_createdBy: {$eq: 'u2'}}]}",
            MongoFilterTranslator.Translate(combined));
    }

    [Fact]
    public void RuleWithOr_AndQueryWithOr_KeepBothDisjunctions()
    {
        var rule = RuleCompiler.Compile(RuleOperation.List, "doc.public == true || doc.team in auth.roles");
        var query = FilterParser.Parse("""{"$or": [{"a": 1}, {"b": 2}]}""");
        var combined = DocumentQueryService.Both(rule.ToFilter(new RuleContext { Auth = Alice }), query);
        Bson.Equal(
            "{$and: [{$or: [{public: {$eq: true}}, {team: {$in: ['red']}}]}, {$or: [{a: {$eq: 1}}, {b: {$eq: 2}}]}]}",
            MongoFilterTranslator.Translate(combined));
    }

    [Fact]
    public void SignedOutOwnerRule_MatchesNothing_WhateverTheQuery()
    {
        var rule = RuleCompiler.Compile(RuleOperation.List, "auth != null && doc._createdBy == auth.id");
        var combined = DocumentQueryService.Both(rule.ToFilter(new RuleContext()), FilterParser.Parse("""{"$or": [{"a": 1}, {"a": {"$ne": 1}}]}"""));
        Bson.Equal("{_id: {$exists: false}}", MongoFilterTranslator.Translate(combined));
    }

    [Fact]
    public void PublicRule_LeavesTheQueryAsItIs()
    {
        var rule = RuleCompiler.Compile(RuleOperation.List, "true");
        var query = FilterParser.Parse("""{"n": {"$lt": 5}}""");
        Assert.Same(query, DocumentQueryService.Both(rule.ToFilter(new RuleContext()), query));
    }
}
