using System.Text.Json.Nodes;
using Platform.Server.Rules;
using Platform.Server.Storage;
using Platform.Server.Tests.Storage;
using Platform.Server.Tests.Storage.Mongo;
using Platform.Server.Tests.Storage.Sqlite;

namespace Platform.Server.Tests.Rules;

/// <summary>
/// The filters that list rules become, run by a real storage provider: for every rule and caller the
/// provider returns exactly the documents the full evaluation allows.
/// </summary>
public abstract class RuleStoreAgreementTests(IStoreFixture fixture)
{
    public static TheoryData<string> Rules() => new(RuleSamples.ListRules);

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task ToFilter_InTheStore_ReturnsWhatEvaluateAllows(string text)
    {
        if (fixture.SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        var ct = TestContext.Current.CancellationToken;
        var rule = RuleCompiler.Compile(RuleOperation.List, text);
        var documents = RuleSamples.Documents(150, seed: text.Length + 1000);
        var collection = fixture.NewCollectionName();
        await fixture.Store.CreateCollectionAsync(collection, ct);
        await fixture.Store.WriteAsync(documents.Select(d => (WriteOperation)new InsertOperation(collection, (JsonObject)d.DeepClone())).ToList(), ct);

        foreach (var auth in RuleSamples.Callers)
        {
            var filter = rule.ToFilter(new RuleContext { Auth = auth, Now = RuleSamples.Now });
            var expected = documents
                .Where(doc => rule.Evaluate(new RuleContext { Auth = auth, Doc = doc, Now = RuleSamples.Now }))
                .Select(doc => doc["_id"]!.GetValue<string>())
                .ToList();
            var found = await fixture.Store.QueryAsync(collection, new DocumentQuery(filter, [new SortField("_id")], 1000), ct);
            Assert.True(
                expected.SequenceEqual(found.Select(doc => doc["_id"]!.GetValue<string>())),
                $"rule '{text}', auth {auth?.ToJsonString() ?? "null"}, filter {FilterText.Of(filter)}: expected [{string.Join(", ", expected)}], store returned [{string.Join(", ", found.Select(d => d["_id"]))}].");
            Assert.Equal(expected.Count, await fixture.Store.CountAsync(collection, filter, ct));
        }
    }
}

public sealed class SqliteRuleStoreAgreementTests(SqliteStoreFixture fixture)
    : RuleStoreAgreementTests(fixture), IClassFixture<SqliteStoreFixture>;

public sealed class MongoRuleStoreAgreementTests(MongoStoreFixture fixture)
    : RuleStoreAgreementTests(fixture), IClassFixture<MongoStoreFixture>;
