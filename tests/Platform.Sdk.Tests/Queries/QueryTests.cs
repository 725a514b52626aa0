using Platform.Sdk.Admin;
using Platform.Sdk.Tests.Documents;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Queries;

/// <summary>LINQ and string queries, ordering, paging and counting against a real server.</summary>
public sealed class QueryTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<DocumentCollection<Todo>> SeedAsync()
    {
        var todos = fixture.Client.Collection<Todo>(await fixture.NewCollectionAsync(null, new IndexDefinition("done", "-priority")));
        var batch = fixture.Client.Batch();
        batch.Add(todos, new Todo { Id = "a", Title = "Write docs", Priority = 3, Tags = ["work"] });
        batch.Add(todos, new Todo { Id = "b", Title = "Buy milk", Priority = 1, Tags = ["home"], Note = "2 litres" });
        batch.Add(todos, new Todo { Id = "c", Title = "Write tests", Priority = 5, Tags = ["work", "urgent"] });
        batch.Add(todos, new Todo { Id = "d", Title = "Call mum", Priority = 4, Done = true, Tags = ["home"] });
        batch.Add(todos, new Todo { Id = "e", Title = "Water plants", Priority = 2, Done = true });
        batch.Add(todos, new Todo { Id = "f", Title = "write blog", Priority = 3 });
        await batch.CommitAsync(Ct);
        return todos;
    }

    private static async Task<string[]> IdsAsync(Query<Todo> query) =>
        [.. (await query.ToListAsync(Ct)).Select(d => d.Id)];

    [Fact]
    public async Task LinqWhere_ReturnsExactlyTheMatchingDocuments()
    {
        var todos = await SeedAsync();
        var minimum = 2;
        string[] wanted = ["b", "e"];

        Assert.Equal(["a", "c", "f"], await IdsAsync(todos.Where(t => !t.Done && t.Priority > minimum).OrderBy(t => t.Id)));
        Assert.Equal(["d", "e"], await IdsAsync(todos.Where(t => t.Done).OrderBy(t => t.Id)));
        Assert.Equal(["a", "c"], await IdsAsync(todos.Where(t => t.Title.StartsWith("Write")).OrderBy(t => t.Id)));
        Assert.Equal(["a", "c", "f"], await IdsAsync(todos.Where(t => t.Title.Contains("rite")).OrderBy(t => t.Id)));
        Assert.Equal(["a", "c", "f"], await IdsAsync(todos.Where(t => t.Title.Contains("WRITE", StringComparison.OrdinalIgnoreCase)).OrderBy(t => t.Id)));
        Assert.Equal(["b", "d"], await IdsAsync(todos.Where(t => t.Tags.Contains("home")).OrderBy(t => t.Id)));
        Assert.Equal(["b", "e"], await IdsAsync(todos.Where(t => wanted.Contains(t.Id)).OrderBy(t => t.Id)));
        Assert.Equal(["b"], await IdsAsync(todos.Where(t => t.Note != null)));
        Assert.Equal(["a", "c", "d", "e", "f"], await IdsAsync(todos.Where(t => t.Note == null).OrderBy(t => t.Id)));
        Assert.Equal(["b", "c"], await IdsAsync(todos.Where(t => t.Priority == 1 || t.Priority >= 5).OrderBy(t => t.Id)));
        Assert.Equal(["a", "b", "e", "f"], await IdsAsync(todos.Where(t => !(t.Priority >= 4)).OrderBy(t => t.Id)));
        Assert.Equal(["c"], await IdsAsync(todos.Where(t => t.Tags.Count == 2)));
        Assert.Equal(["c"], await IdsAsync(todos.Where(t => t.Done == false).Where(t => t.Tags.Contains("urgent"))));

        // Conditions on the plain values of an array, and a char argument, as a new user writes them.
        Assert.Equal(["b", "d"], await IdsAsync(todos.Where(t => t.Tags.Any(tag => tag == "home")).OrderBy(t => t.Id)));
        Assert.Equal(["c"], await IdsAsync(todos.Where(t => t.Tags.Any(tag => tag.StartsWith("ur") || tag == "nothing"))));
        Assert.Equal(["a", "c"], await IdsAsync(todos.Where(t => t.Tags.Any(tag => tag != "urgent" && tag != "home")).OrderBy(t => t.Id)));
        Assert.Equal(["d"], await IdsAsync(todos.Where(t => t.Title.Contains('u') && t.Priority >= 4)));
    }

    [Fact]
    public async Task StringWhere_ReturnsExactlyTheMatchingDocuments()
    {
        var todos = await SeedAsync();

        Assert.Equal(["a", "c", "d", "f"], await IdsAsync(todos.Where("priority", ">", 2).OrderBy("_id")));
        Assert.Equal(["a", "c", "d", "e", "f"], await IdsAsync(todos.Where("priority", ">=", 2).OrderBy("_id")));
        Assert.Equal(["b"], await IdsAsync(todos.Where("priority", "<", 2)));
        Assert.Equal(["b", "e"], await IdsAsync(todos.Where("priority", "<=", 2).OrderBy("_id")));
        Assert.Equal(["d"], await IdsAsync(todos.Where("title", "==", "Call mum")));
        Assert.Equal(["a", "b", "c", "f"], await IdsAsync(todos.Where("done", "!=", true).OrderBy("_id")));
        Assert.Equal(["a", "d"], await IdsAsync(todos.Where("priority", "in", new[] { 3, 4 }).Where("title", "!=", "write blog").OrderBy("_id")));
        Assert.Equal(["b", "c", "d", "e"], await IdsAsync(todos.Where("priority", "not-in", new[] { 3 }).OrderBy("_id")));
        Assert.Equal(["a", "c"], await IdsAsync(todos.Where("tags", "contains", "work").OrderBy("_id")));
        Assert.Equal(["b"], await IdsAsync(todos.Where("title", "startsWith", "Bu")));
    }

    [Fact]
    public async Task OrderBy_SortsByKeysInOrder_WithIdAsTieBreaker()
    {
        var todos = await SeedAsync();

        Assert.Equal(["c", "d", "a", "f", "e", "b"], await IdsAsync(todos.OrderByDescending(t => t.Priority)));
        Assert.Equal(["b", "e", "a", "f", "d", "c"], await IdsAsync(todos.OrderBy(t => t.Priority)));
        Assert.Equal(["c", "a", "f", "b", "d", "e"], await IdsAsync(todos.OrderBy(t => t.Done).ThenByDescending(t => t.Priority).ThenBy(t => t.Title)));
        Assert.Equal(["f", "c", "a", "e", "d", "b"], await IdsAsync(todos.OrderByDescending(t => t.Title)));
    }

    [Fact]
    public async Task LimitFirstAndCount_RespectTheFilter()
    {
        var todos = await SeedAsync();
        var open = todos.Where(t => !t.Done).OrderByDescending(t => t.Priority);

        Assert.Equal(["c", "a"], await IdsAsync(open.Limit(2)));
        Assert.Empty(await IdsAsync(open.Limit(0)));
        Assert.Equal("c", (await open.FirstOrDefaultAsync(Ct))!.Id);
        Assert.Null(await todos.Where(t => t.Priority > 100).FirstOrDefaultAsync(Ct));
        Assert.Equal(4, await open.CountAsync(Ct));
        Assert.Equal(4, await open.Limit(1).CountAsync(Ct));
        Assert.Equal(6, await todos.CountAsync(Ct));

        var page = await open.PageSize(3).GetPageAsync(includeCount: true, cancellationToken: Ct);
        Assert.Equal(["c", "a", "f"], page.Items.Select(d => d.Id));
        Assert.Equal(4, page.TotalCount);
        Assert.NotNull(page.NextCursor);
        var last = await open.PageSize(3).GetPageAsync(page.NextCursor, cancellationToken: Ct);
        Assert.Equal(["b"], last.Items.Select(d => d.Id));
        Assert.Null(last.NextCursor);
    }

    [Fact]
    public async Task AsAsyncEnumerable_PagesThroughEveryDocument_WithoutDuplicates()
    {
        var items = fixture.Client.Collection<Todo>(await fixture.NewCollectionAsync());
        var batch = fixture.Client.Batch();
        for (var i = 0; i < 250; i++)
        {
            batch.Add(items, new Todo { Id = $"t{i:D3}", Title = $"todo {i}", Priority = i % 7, Done = i % 5 == 0 });
        }

        await batch.CommitAsync(Ct);

        var seen = new List<string>();
        var previous = (Priority: int.MaxValue, Id: "");
        await foreach (var doc in items.OrderByDescending(t => t.Priority).PageSize(40).AsAsyncEnumerable(Ct))
        {
            Assert.True(doc.Data.Priority < previous.Priority || (doc.Data.Priority == previous.Priority && string.CompareOrdinal(doc.Id, previous.Id) > 0), $"{doc.Id} out of order");
            previous = (doc.Data.Priority, doc.Id);
            seen.Add(doc.Id);
        }

        Assert.Equal(250, seen.Count);
        Assert.Equal(250, seen.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 250).Select(i => $"t{i:D3}"), seen.Order(StringComparer.Ordinal));

        var open = await items.Where(t => !t.Done).PageSize(33).ToListAsync(Ct);
        Assert.Equal(200, open.Count);
        Assert.Equal(200, await items.Where(t => !t.Done).CountAsync(Ct));
        Assert.Equal(70, (await items.Where(t => t.Priority < 2).Limit(70).PageSize(16).ToListAsync(Ct)).Count);
    }

    [Fact]
    public async Task Query_OnUndefinedCollection_Throws404()
    {
        var ex = await Assert.ThrowsAsync<BaasException>(() => fixture.Client.Collection<Todo>("nothing-here").ToListAsync(Ct));
        Assert.Equal((404, "collection_not_found"), (ex.Status, ex.Code));
    }
}
