using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Storage.Changes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Storage.Changes;

/// <summary>The server's registered feed sees writes made through the REST API, with the stored documents.</summary>
public sealed class ChangeFeedServerTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Feed_SeesRestWrites_WithSystemFields_AndNoSystemCollections()
    {
        var ct = TestContext.Current.CancellationToken;
        var feed = fixture.Server.Services.GetRequiredService<IChangeFeed>();
        var start = await feed.GetPositionAsync(ct);

        // Defining the collection writes only to system collections (_collections).
        var collection = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{collection}/documents", """{ "_id": "t1", "n": 1 }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"/api/collections/{collection}/documents/t1", """{ "$inc": { "n": 1 } }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Service.DeleteAsync($"/api/collections/{collection}/documents/t1", ct));

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        var changes = new List<StoredChange>();
        await foreach (var change in feed.ReadAsync(start, limit.Token))
        {
            changes.Add(change);
            if (change.Kind == ChangeKind.Delete && change.Collection == collection)
            {
                break;
            }
        }

        Assert.DoesNotContain(changes, c => c.Collection.StartsWith('_'));
        var mine = changes.Where(c => c.Collection == collection).ToList();
        Assert.Equal([ChangeKind.Insert, ChangeKind.Replace, ChangeKind.Delete], mine.Select(c => c.Kind));
        Assert.Equal(1, mine[0].After!["n"]!.GetValue<int>());
        Assert.Equal(1L, mine[0].After!["_version"]!.GetValue<long>());
        Assert.Equal(1, mine[1].Before!["n"]!.GetValue<int>());
        Assert.Equal(2, mine[1].After!["n"]!.GetValue<int>());
        Assert.Equal(2L, mine[2].Before!["_version"]!.GetValue<long>());
        Assert.NotNull(mine[0].After!["_createdAt"]);
    }
}
