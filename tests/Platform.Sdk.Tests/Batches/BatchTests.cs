using Platform.Sdk.Tests.Documents;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Batches;

/// <summary>Atomic batches through the SDK against a real server.</summary>
public sealed class BatchTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CommitAsync_AppliesEveryOperationInOrder_AcrossCollections()
    {
        var todos = fixture.Client.Collection<Todo>(await fixture.NewCollectionAsync());
        var notes = fixture.Client.Collection<Todo>(await fixture.NewCollectionAsync());
        var existing = await todos.AddAsync(new Todo { Id = "old", Title = "Old" }, Ct);

        var results = await fixture.Client.Batch()
            .Add(todos, new Todo { Id = "a", Title = "A", Priority = 1 })
            .Update(todos, "a", u => u.Increment(t => t.Priority, 4))
            .Add(notes, new Todo { Id = "n", Title = "Draft" })
            .Set(notes, "n", new Todo { Title = "Note" })
            .Delete(todos, "old", ifMatch: existing.Version)
            .Update(notes, "n", new { Done = true })
            .CommitAsync(Ct);

        Assert.Equal([201, 200, 201, 200, 204, 200], results.Select(r => r.Status));
        Assert.Equal("a", results[0].Id);
        Assert.Equal(5, results[1].GetDocument(todos)!.Data.Priority);
        Assert.Equal(("Note", 2L), (results[3].GetDocument(notes)!.Data.Title, results[3].GetDocument(notes)!.Version));
        Assert.Null(results[4].Document);
        Assert.Equal(("old", (long?)null), (results[4].Id, results[4].Version));
        Assert.Equal(2L, results[1].Version);
        Assert.True(results[5].GetDocument(notes)!.Data.Done);
        Assert.Null(await todos.GetAsync("old", Ct));
        Assert.Equal(5, (await todos.GetAsync("a", Ct))!.Data.Priority);
    }

    [Fact]
    public async Task CommitAsync_AppliesNothing_WhenOneOperationFails()
    {
        var todos = fixture.Client.Collection<Todo>(await fixture.NewCollectionAsync());
        var kept = await todos.AddAsync(new Todo { Id = "kept", Title = "Kept" }, Ct);

        var batch = fixture.Client.Batch()
            .Add(todos, new Todo { Id = "new", Title = "New" })
            .Update(todos, "kept", new { Title = "Changed" })
            .Update(todos, "kept", new { Title = "Again" }, ifMatch: 1)
            .Delete(todos, "kept");
        Assert.Equal(4, batch.Count);

        var ex = await Assert.ThrowsAsync<BaasException>(() => batch.CommitAsync(Ct));

        Assert.Equal(2, ex.OpIndex);
        Assert.Equal(412, ex.Status);
        Assert.Equal("version_mismatch", ex.Code);
        Assert.Null(await todos.GetAsync("new", Ct));
        var after = await todos.GetAsync("kept", Ct);
        Assert.Equal((kept.Version, "Kept"), (after!.Version, after.Data.Title));
    }

    [Fact]
    public async Task CommitAsync_ReportsTheFailingOpIndex_ForAMissingDocument()
    {
        var todos = fixture.Client.Collection<Todo>(await fixture.NewCollectionAsync());
        var ex = await Assert.ThrowsAsync<BaasException>(() => fixture.Client.Batch()
            .Add(todos, new Todo { Title = "x" })
            .Delete(todos, "ghost")
            .CommitAsync(Ct));
        Assert.Equal((1, 404), (ex.OpIndex, ex.Status));
        Assert.Equal(0, await todos.CountAsync(Ct));
    }

    [Fact]
    public async Task EmptyBatch_SendsNothing_AndFullBatchRefusesMore()
    {
        Assert.Empty(await fixture.Client.Batch().CommitAsync(Ct));
        var todos = fixture.Client.Collection<Todo>("unused");
        var batch = fixture.Client.Batch();
        for (var i = 0; i < BaasBatch.MaxOperations; i++)
        {
            batch.Delete(todos, "x" + i);
        }

        Assert.Throws<InvalidOperationException>(() => batch.Delete(todos, "one-too-many"));
    }
}
