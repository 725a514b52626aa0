using MongoDB.Bson;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

/// <summary>Issue 12: events split by <c>$changeStreamSplitLargeEvent</c> are joined again, or reported missing.</summary>
public class SplitEventAssemblerTests
{
    // Fragments as MongoDB 7 returns a replace of a large document: the most fields in the first, the images after.
    private static BsonDocument Fragment(int fragment, int of, string token, string fields) =>
        new BsonDocument { { "_id", new BsonDocument("_data", token) }, { "splitEvent", new BsonDocument { { "fragment", fragment }, { "of", of } } } }
            .AddRange(BsonDocument.Parse(fields));

    private static readonly BsonDocument First = Fragment(1, 3, "82AA01", """
        { "operationType": "replace", "clusterTime": { "$timestamp": { "t": 1700000000, "i": 1 } }, "wallTime": { "$date": "2026-12-06T10:00:00Z" },
          "ns": { "db": "baas", "coll": "todos" }, "documentKey": { "_id": "big" } }
        """);

    private static readonly BsonDocument Second = Fragment(2, 3, "82AA02", """{ "fullDocument": { "_id": "big", "_version": 2, "v": "after" } }""");

    private static readonly BsonDocument Third = Fragment(3, 3, "82AA03", """{ "fullDocumentBeforeChange": { "_id": "big", "_version": 1, "v": "before" } }""");

    [Fact]
    public void FragmentsInOrder_AreJoined_WithTheLastFragmentsToken()
    {
        var assembler = new SplitEventAssembler();

        Assert.Equal(SplitOutcome.Pending, assembler.Add(First, out _, out _));
        Assert.Equal(SplitOutcome.Pending, assembler.Add(Second, out _, out _));
        Assert.Equal(SplitOutcome.Assembled, assembler.Add(Third, out var change, out _));

        Assert.False(assembler.IsPending);
        Assert.Equal("82AA03", change!["_id"]["_data"].AsString);
        Assert.False(change.Contains("splitEvent"));
        var stored = MongoChangeStream.ToStoredChange(change, out _)!;
        Assert.Equal(("82AA03", "todos", "big", ChangeKind.Replace), (stored.Sequence, stored.Collection, stored.Id, stored.Kind));
        Assert.Equal("before", stored.Before!["v"]!.GetValue<string>());
        Assert.Equal("after", stored.After!["v"]!.GetValue<string>());
    }

    [Fact]
    public void AnEventThatWasNotSplit_PassesThrough()
    {
        var whole = BsonDocument.Parse("""{ "_id": { "_data": "82BB" }, "operationType": "insert" }""");

        Assert.Equal(SplitOutcome.Whole, new SplitEventAssembler().Add(whole, out var change, out _));
        Assert.Same(whole, change);
    }

    [Fact]
    public void AMissingFragment_IsReported_AndNothingIsKept()
    {
        var assembler = new SplitEventAssembler();
        assembler.Add(First, out _, out _);

        Assert.Equal(SplitOutcome.Missing, assembler.Add(Third, out var change, out var problem));
        Assert.Null(change);
        Assert.Contains("fragment 3 of 3 arrived after fragment 1 of 3", problem, StringComparison.Ordinal);
        Assert.False(assembler.IsPending);
    }

    [Fact]
    public void AnotherEventBeforeTheLastFragment_IsAMissingFragment()
    {
        var assembler = new SplitEventAssembler();
        assembler.Add(First, out _, out _);
        assembler.Add(Second, out _, out _);

        var next = BsonDocument.Parse("""{ "_id": { "_data": "82CC" }, "operationType": "insert" }""");
        Assert.Equal(SplitOutcome.Missing, assembler.Add(next, out _, out var problem));
        Assert.Contains("fragments 3 to 3 of 3", problem, StringComparison.Ordinal);

        var otherFirst = Fragment(1, 2, "82DD01", """{ "operationType": "insert" }""");
        assembler.Add(First, out _, out _);
        Assert.Equal(SplitOutcome.Missing, assembler.Add(otherFirst, out _, out var problem2));
        Assert.Contains("a new split event began", problem2, StringComparison.Ordinal);
    }

    [Fact]
    public void AFragmentWithoutTheOnesBeforeIt_IsAMissingFragment()
    {
        Assert.Equal(SplitOutcome.Missing, new SplitEventAssembler().Add(Second, out _, out var problem));
        Assert.Contains("fragment 2 of 3 arrived without the fragments before it", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ARestartInTheMiddle_FromTheLastWholeEvent_StartsTheEventOver()
    {
        // The feed re-opened its stream after fragment 2 (from its position: the event before), so the server sends
        // the split event again from fragment 1.
        var assembler = new SplitEventAssembler();
        assembler.Add(First, out _, out _);
        assembler.Add(Second, out _, out _);

        Assert.Equal(SplitOutcome.Pending, assembler.Add(First, out _, out _));
        Assert.Equal(SplitOutcome.Pending, assembler.Add(Second, out _, out _));
        Assert.Equal(SplitOutcome.Assembled, assembler.Add(Third, out var change, out _));
        Assert.Equal("before", change!["fullDocumentBeforeChange"]["v"].AsString);
    }

    [Fact]
    public void ARestartInTheMiddle_FromAFragmentsToken_ContinuesWithTheNextFragment()
    {
        // The driver resumed by itself (an election) from fragment 2's token: the server continues with fragment 3.
        var assembler = new SplitEventAssembler();
        assembler.Add(First, out _, out _);
        assembler.Add(Second, out _, out _);

        Assert.Equal(SplitOutcome.Assembled, assembler.Add(Third, out var change, out _));
        Assert.Equal("82AA03", change!["_id"]["_data"].AsString);
    }

    [Theory]
    [InlineData("""{ "fragment": 0, "of": 2 }""")]
    [InlineData("""{ "fragment": 3, "of": 2 }""")]
    [InlineData("""{ "fragment": "1", "of": 2 }""")]
    [InlineData("""{ "of": 2 }""")]
    public void AnUnreadableSplitEvent_IsAMissingFragment(string split)
    {
        var document = new BsonDocument { { "_id", new BsonDocument("_data", "82EE") }, { "splitEvent", BsonDocument.Parse(split) } };

        Assert.Equal(SplitOutcome.Missing, new SplitEventAssembler().Add(document, out _, out var problem));
        Assert.Contains("unreadable splitEvent", problem, StringComparison.Ordinal);
    }
}
