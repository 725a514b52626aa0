using System.Text.Json.Nodes;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Storage.Changes;

/// <summary>
/// The contract of <see cref="IChangeFeed"/>, run against every provider through one empty subclass per provider.
/// Tests in one class run one at a time, but each still reads only its own collections and positions, so a provider
/// whose feed is shared with other writers (MongoDB: the database) gives the same answers.
/// </summary>
public abstract class ChangeFeedConformanceTests(IChangeFeedFixture fixture)
{
    // Bounds every wait for a change, so a feed that loses a wake-up fails the test instead of hanging it.
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IDocumentStore Store
    {
        get
        {
            if (fixture.SkipReason is { } reason)
            {
                Assert.Skip(reason);
            }

            return fixture.Store;
        }
    }

    private IChangeFeed Feed
    {
        get
        {
            _ = Store;
            return fixture.Feed;
        }
    }

    private static JsonObject Doc(string id, string json = "{}", long version = 1)
    {
        var doc = new JsonObject { [SystemFields.Id] = id, [SystemFields.Version] = version };
        foreach (var (key, value) in JsonNode.Parse(json)!.AsObject().ToList())
        {
            doc[key] = value?.DeepClone();
        }

        return doc;
    }

    private async Task<string> NewCollectionAsync()
    {
        var collection = fixture.NewCollectionName();
        await Store.CreateCollectionAsync(collection, Ct);
        return collection;
    }

    /// <summary>Reads after <paramref name="after"/> until <paramref name="count"/> changes of <paramref name="collections"/> arrived.</summary>
    private async Task<List<StoredChange>> ReadAsync(string after, int count, params string[] collections)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(WaitLimit);
        var changes = new List<StoredChange>();
        if (count == 0)
        {
            return changes;
        }

        await foreach (var change in Feed.ReadAsync(after, limit.Token))
        {
            if (collections.Contains(change.Collection))
            {
                changes.Add(change);
                if (changes.Count == count)
                {
                    break;
                }
            }
        }

        return changes;
    }

    /// <summary>Every change after <paramref name="after"/> up to and including <paramref name="last"/>, of any collection.</summary>
    private async Task<List<StoredChange>> ReadThroughAsync(string after, string lastCollection, string lastId)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(WaitLimit);
        var changes = new List<StoredChange>();
        await foreach (var change in Feed.ReadAsync(after, limit.Token))
        {
            changes.Add(change);
            if (change.Collection == lastCollection && change.Id == lastId)
            {
                break;
            }
        }

        return changes;
    }

    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString() ?? "null"}");

    [Fact]
    public async Task Read_ACollectionFirstWrittenWithoutBeingCreated_StillCarriesBeforeImages()
    {
        // Issue 12 item 5: on MongoDB a first insert would create the collection implicitly, without pre-images; the
        // store creates it with them first, so replaces and deletes keep their previous state.
        var collection = fixture.NewCollectionName();
        var start = await Feed.GetPositionAsync(Ct);

        await Store.WriteAsync([new InsertOperation(collection, Doc("a", """{"v":1}"""))], Ct);
        await Store.WriteAsync([new ReplaceOperation(collection, Doc("a", """{"v":2}""", version: 2), 1)], Ct);
        await Store.WriteAsync([new DeleteOperation(collection, "a", 2)], Ct);
        var changes = await ReadAsync(start, 3, collection);

        Assert.Equal([ChangeKind.Insert, ChangeKind.Replace, ChangeKind.Delete], changes.Select(c => c.Kind));
        AssertJson("""{"_id":"a","_version":1,"v":1}""", changes[1].Before);
        AssertJson("""{"_id":"a","_version":2,"v":2}""", changes[2].Before);
    }

    private static DocumentQuery AllById => new(Platform.Server.Storage.Filters.MatchAllNode.Instance, [new SortField(SystemFields.Id)], 100);

    [Fact]
    public async Task QuerySnapshotAsync_Position_SplitsTheFeedWhereTheDocumentsEnd()
    {
        // Realtime's Subscribe: what the snapshot holds never comes again from the feed, and what it misses always does.
        var collection = await NewCollectionAsync();
        await Store.WriteAsync([new InsertOperation(collection, Doc("a", """{"v":1}"""))], Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("b"))], Ct);

        var snapshot = await Feed.QuerySnapshotAsync(collection, AllById, Ct);
        Assert.Equal(["a", "b"], snapshot.Documents.Select(d => d[SystemFields.Id]!.GetValue<string>()));

        await Store.WriteAsync([new ReplaceOperation(collection, Doc("a", """{"v":2}""", version: 2), 1)], Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("c"))], Ct);
        var after = await ReadAsync(snapshot.Position, 2, collection);
        Assert.Equal([(ChangeKind.Replace, "a"), (ChangeKind.Insert, "c")], after.Select(c => (c.Kind, c.Id)));
        Assert.True(Feed.ComparePositions(snapshot.Position, after[0].Sequence) < 0);
    }

    [Fact]
    public async Task QuerySnapshotAsync_CollectionNotCreatedYet_IsEmptyAndItsFirstWriteFollows()
    {
        var collection = fixture.NewCollectionName();
        var snapshot = await Feed.QuerySnapshotAsync(collection, AllById, Ct);
        Assert.Empty(snapshot.Documents);

        await Store.WriteAsync([new InsertOperation(collection, Doc("a"))], Ct);
        var after = await ReadAsync(snapshot.Position, 1, collection);
        Assert.Equal("a", Assert.Single(after).Id);
    }

    [Fact]
    public async Task ComparePositions_OrdersPositionsOfTheFeed()
    {
        var collection = await NewCollectionAsync();
        var start = await Feed.GetPositionAsync(Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("a"))], Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("b"))], Ct);
        var changes = await ReadAsync(start, 2, collection);

        Assert.Equal(-1, Feed.ComparePositions(changes[0].Sequence, changes[1].Sequence));
        Assert.Equal(1, Feed.ComparePositions(changes[1].Sequence, changes[0].Sequence));
        Assert.Equal(0, Feed.ComparePositions(changes[1].Sequence, changes[1].Sequence));
        Assert.True(Feed.ComparePositions(start, changes[0].Sequence) < 0);
        Assert.Null(Feed.ComparePositions(changes[0].Sequence, "not a position"));
    }

    [Fact]
    public async Task Read_InsertReplaceDelete_CarryKindBeforeAndAfter()
    {
        var collection = await NewCollectionAsync();
        var start = await Feed.GetPositionAsync(Ct);

        await Store.WriteAsync([new InsertOperation(collection, Doc("a", """{"v":1}"""))], Ct);
        await Store.WriteAsync([new ReplaceOperation(collection, Doc("a", """{"v":2}""", version: 2), 1)], Ct);
        await Store.WriteAsync([new DeleteOperation(collection, "a", 2)], Ct);
        var changes = await ReadAsync(start, 3, collection);

        Assert.Equal([ChangeKind.Insert, ChangeKind.Replace, ChangeKind.Delete], changes.Select(c => c.Kind));
        Assert.All(changes, c => Assert.Equal((collection, "a"), (c.Collection, c.Id)));
        Assert.Null(changes[0].Before);
        AssertJson("""{"_id":"a","_version":1,"v":1}""", changes[0].After);
        AssertJson("""{"_id":"a","_version":1,"v":1}""", changes[1].Before);
        AssertJson("""{"_id":"a","_version":2,"v":2}""", changes[1].After);
        AssertJson("""{"_id":"a","_version":2,"v":2}""", changes[2].Before);
        Assert.Null(changes[2].After);
        Assert.Equal(3, changes.Select(c => c.Sequence).Distinct().Count());
        Assert.All(changes, c => Assert.InRange(c.CommittedAt, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(2)));
    }

    [Fact]
    public async Task Read_DeleteWithoutExpectedVersion_CarriesBefore()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync([new InsertOperation(collection, Doc("a", """{"keep":"me"}"""))], Ct);
        var start = await Feed.GetPositionAsync(Ct);

        await Store.WriteAsync([new DeleteOperation(collection, "a")], Ct);
        var change = Assert.Single(await ReadAsync(start, 1, collection));

        Assert.Equal(ChangeKind.Delete, change.Kind);
        AssertJson("""{"_id":"a","_version":1,"keep":"me"}""", change.Before);
    }

    [Fact]
    public async Task Read_Batch_AppearsInOperationOrder_WithNothingInBetween()
    {
        var first = await NewCollectionAsync();
        var second = await NewCollectionAsync();
        await Store.WriteAsync([new InsertOperation(first, Doc("x"))], Ct);
        var start = await Feed.GetPositionAsync(Ct);

        await Store.WriteAsync(
        [
            new InsertOperation(first, Doc("a")),
            new InsertOperation(second, Doc("b")),
            new ReplaceOperation(first, Doc("a", """{"n":2}""", version: 2), 1),
            new DeleteOperation(first, "x"),
            new InsertOperation(second, Doc("c")),
        ], Ct);
        var changes = await ReadThroughAsync(start, second, "c");

        // Other writers may commit before the batch, never inside it.
        var batch = changes.SkipWhile(c => !(c.Collection == first && c.Id == "a")).ToList();
        Assert.Equal(
            [(first, "a", ChangeKind.Insert), (second, "b", ChangeKind.Insert), (first, "a", ChangeKind.Replace), (first, "x", ChangeKind.Delete), (second, "c", ChangeKind.Insert)],
            batch.Select(c => (c.Collection, c.Id, c.Kind)));
    }

    [Fact]
    public async Task Read_LargeBatch_ReachesALiveReaderWhole_InOperationOrder()
    {
        var collection = await NewCollectionAsync();
        var start = await Feed.GetPositionAsync(Ct);
        const int Size = 600;

        // Larger than any reasonable page: the reader must still get it whole and in order.
        var live = ReadAsync(start, Size, collection);
        await Store.WriteAsync(Enumerable.Range(0, Size).Select(i => (WriteOperation)new InsertOperation(collection, Doc($"b{i:D3}"))).ToList(), Ct);
        var changes = await live;

        Assert.Equal(Enumerable.Range(0, Size).Select(i => $"b{i:D3}"), changes.Select(c => c.Id));
        Assert.Equal(Size, changes.Select(c => c.Sequence).Distinct().Count());
    }

    [Fact]
    public async Task Read_AfterAnyPosition_ReturnsExactlyTheLaterChanges()
    {
        var collection = await NewCollectionAsync();
        var start = await Feed.GetPositionAsync(Ct);
        for (var i = 0; i < 6; i++)
        {
            await Store.WriteAsync([new InsertOperation(collection, Doc($"d{i}"))], Ct);
        }

        var all = await ReadAsync(start, 6, collection);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"d{i}"), all.Select(c => c.Id));

        for (var k = 0; k < all.Count; k++)
        {
            var rest = await ReadAsync(all[k].Sequence, all.Count - k - 1, collection);
            Assert.Equal(all.Skip(k + 1).Select(c => c.Sequence), rest.Select(c => c.Sequence));
        }
    }

    [Fact]
    public async Task Read_ManyConcurrentWriters_NoGapNoDuplicate_ForLiveAndReplayingReaders()
    {
        var collection = await NewCollectionAsync();
        var start = await Feed.GetPositionAsync(Ct);
        const int Writers = 4;
        const int PerWriter = 30;

        const int Expected = Writers * (PerWriter + (2 * ((PerWriter + 2) / 3)));

        var live = ReadAsync(start, Expected, collection);
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(
            async () =>
            {
                for (var i = 0; i < PerWriter; i++)
                {
                    var id = $"w{w}-{i}";
                    await Store.WriteAsync([new InsertOperation(collection, Doc(id))], Ct);
                    if (i % 3 == 0)
                    {
                        await Store.WriteAsync([new ReplaceOperation(collection, Doc(id, version: 2), 1), new DeleteOperation(collection, id, 2)], Ct);
                    }
                }
            },
            Ct)));

        var seen = await live;
        var replayed = await ReadAsync(start, Expected, collection);

        Assert.Equal(Expected, seen.Select(c => c.Sequence).Distinct().Count());
        Assert.Equal(seen.Select(c => c.Sequence), replayed.Select(c => c.Sequence));

        // Per document the changes are in commit order.
        foreach (var document in seen.GroupBy(c => c.Id))
        {
            var kinds = document.Select(c => c.Kind).ToList();
            Assert.True(kinds is [ChangeKind.Insert] or [ChangeKind.Insert, ChangeKind.Replace, ChangeKind.Delete], $"{document.Key}: {string.Join(",", kinds)}");
        }
    }

    [Fact]
    public async Task Read_SystemCollections_NeverAppear()
    {
        var system = "_" + fixture.NewCollectionName();
        var user = await NewCollectionAsync();
        await Store.CreateCollectionAsync(system, Ct);
        var start = await Feed.GetPositionAsync(Ct);

        await Store.WriteAsync([new InsertOperation(system, Doc("s"))], Ct);
        await Store.WriteAsync([new ReplaceOperation(system, Doc("s", version: 2), 1), new InsertOperation(user, Doc("u1"))], Ct);
        await Store.WriteAsync([new DeleteOperation(system, "s")], Ct);
        await Store.WriteAsync([new InsertOperation(user, Doc("u2"))], Ct);
        var changes = await ReadThroughAsync(start, user, "u2");

        Assert.DoesNotContain(changes, c => c.Collection.StartsWith('_'));
        Assert.Equal(["u1", "u2"], changes.Where(c => c.Collection == user).Select(c => c.Id));
    }

    [Fact]
    public async Task Read_WaitingReader_IsWokenByACommit()
    {
        var collection = await NewCollectionAsync();
        var start = await Feed.GetPositionAsync(Ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(WaitLimit);
        await using var reader = Feed.ReadAsync(start, limit.Token).GetAsyncEnumerator(limit.Token);

        // The reader is caught up and waits; only the commit below can complete this move.
        var next = reader.MoveNextAsync().AsTask();
        await Store.WriteAsync([new InsertOperation(collection, Doc("late"))], Ct);

        Assert.True(await next);
        while (reader.Current.Collection != collection)
        {
            Assert.True(await reader.MoveNextAsync());
        }

        Assert.Equal("late", reader.Current.Id);
    }

    [Fact]
    public async Task Read_FailedBatch_LogsNothing()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync([new InsertOperation(collection, Doc("taken"))], Ct);
        var start = await Feed.GetPositionAsync(Ct);

        await Assert.ThrowsAsync<DuplicateIdException>(() => Store.WriteAsync(
        [
            new InsertOperation(collection, Doc("new")),
            new ReplaceOperation(collection, Doc("taken", version: 2), 1),
            new InsertOperation(collection, Doc("taken")),
        ], Ct));
        await Assert.ThrowsAsync<VersionMismatchException>(() => Store.WriteAsync([new DeleteOperation(collection, "missing")], Ct));
        await Store.WriteAsync([new InsertOperation(collection, Doc("marker"))], Ct);
        var changes = await ReadThroughAsync(start, collection, "marker");

        Assert.Equal(["marker"], changes.Where(c => c.Collection == collection).Select(c => c.Id));
    }

    [Fact]
    public async Task Read_Throws_WhenHistoryWasPruned()
    {
        var collection = await NewCollectionAsync();
        if (fixture.CannotForgetHistoryReason is { } reason)
        {
            Assert.Skip(reason);
        }

        var forgotten = await fixture.ForgetHistoryAsync(collection);

        var error = await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadAsync(forgotten, 1, collection));
        Assert.Equal(forgotten, error.Position);

        // The current position still works after pruning.
        var now = await Feed.GetPositionAsync(Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("after"))], Ct);
        Assert.Equal("after", Assert.Single(await ReadAsync(now, 1, collection)).Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a position")]
    [InlineData("-1")]
    [InlineData("999999999999")]
    [InlineData("82661C6B88000000012B022C0100296E5A1004")]
    public async Task Read_Throws_WhenPositionIsNotOfThisFeed(string position)
    {
        var collection = await NewCollectionAsync();

        var error = await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadAsync(position, 1, collection));
        Assert.Equal(position, error.Position);
    }

    [Fact]
    public async Task Read_EndsPromptly_WhenCancelledWhileWaiting()
    {
        var start = await Feed.GetPositionAsync(Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var reader = Feed.ReadAsync(start, cancel.Token).GetAsyncEnumerator(cancel.Token);
        var next = reader.MoveNextAsync().AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(WaitLimit, Ct));
    }

    [Fact]
    public async Task GetPosition_ThenRead_YieldsOnlyLaterCommits()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync([new InsertOperation(collection, Doc("before"))], Ct);
        var position = await Feed.GetPositionAsync(Ct);

        await Store.WriteAsync([new InsertOperation(collection, Doc("after"))], Ct);

        var later = await Feed.GetPositionAsync(Ct);
        await Store.WriteAsync([new InsertOperation(collection, Doc("third"))], Ct);

        Assert.NotEqual(position, later);
        Assert.Equal(["after", "third"], (await ReadAsync(position, 2, collection)).Select(c => c.Id));
        Assert.Equal("third", Assert.Single(await ReadAsync(later, 1, collection)).Id);
    }

    [Fact]
    public async Task Read_WritesOfAFunction_CarryTheirOrigin_OthersNone_AndDocumentsNeverShowIt()
    {
        var collection = await NewCollectionAsync();
        var origin = new Platform.Server.Functions.WriteOrigin("counter", 2);
        await Store.WriteAsync([new InsertOperation(collection, Doc("plain", """{"v":0}"""))], Ct);
        var start = await Feed.GetPositionAsync(Ct);

        await Store.WriteAsync([new InsertOperation(collection, Doc("a", """{"v":1}""")) { Origin = origin }], Ct);
        await Store.WriteAsync([new ReplaceOperation(collection, Doc("a", """{"v":2}""", version: 2), 1)], Ct);
        await Store.WriteAsync([new ReplaceOperation(collection, Doc("a", """{"v":3}""", version: 3), 2) { Origin = origin }], Ct);
        await Store.WriteAsync([new DeleteOperation(collection, "plain")], Ct);
        await Store.WriteAsync(
            [
                new InsertOperation(collection, Doc("b")) { Origin = new Platform.Server.Functions.WriteOrigin("other", 1) },
                new DeleteOperation(collection, "a", 3) { Origin = origin },
            ],
            Ct);
        var changes = await ReadAsync(start, 6, collection);

        Assert.Equal(
            ["counter/2", "-", "counter/2", "-", "other/1", "counter/2"],
            changes.Select(c => c.Origin is { } o ? $"{o.Function}/{o.Depth}" : "-"));
        AssertJson("""{"_id":"a","_version":1,"v":1}""", changes[0].After);
        AssertJson("""{"_id":"a","_version":1,"v":1}""", changes[1].Before);
        AssertJson("""{"_id":"a","_version":3,"v":3}""", changes[2].After);
        AssertJson("""{"_id":"a","_version":3,"v":3}""", changes[5].Before);
        AssertJson("""{"_id":"b","_version":1}""", await Store.GetAsync(collection, "b", Ct));
        var listed = await Store.QueryAsync(collection, new DocumentQuery(Platform.Server.Storage.Filters.MatchAllNode.Instance, [], 10), Ct);
        AssertJson("""{"_id":"b","_version":1}""", Assert.Single(listed));
    }

    [Fact]
    public async Task Write_DeleteOfAFunction_StillFailsOnAVersionMismatch_AndLogsNothing()
    {
        var collection = await NewCollectionAsync();
        await Store.WriteAsync([new InsertOperation(collection, Doc("a"))], Ct);
        var start = await Feed.GetPositionAsync(Ct);

        var mismatch = await Assert.ThrowsAsync<VersionMismatchException>(
            () => Store.WriteAsync([new DeleteOperation(collection, "a", 5) { Origin = new Platform.Server.Functions.WriteOrigin("f", 1) }], Ct));
        await Store.WriteAsync([new InsertOperation(collection, Doc("marker"))], Ct);

        Assert.Equal(1, mismatch.ActualVersion);
        Assert.NotNull(await Store.GetAsync(collection, "a", Ct));
        Assert.Equal("marker", Assert.Single(await ReadAsync(start, 1, collection)).Id);
    }
}
