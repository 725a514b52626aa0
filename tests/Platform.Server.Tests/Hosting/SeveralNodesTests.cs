using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Auth;
using Platform.Server.Realtime;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Sqlite;
using Platform.Server.Tests.Infrastructure;
using Platform.Server.Tests.Realtime;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// Issue 12 item 8: several server nodes on one store. Here two servers in one process share one SQLite data dir
/// (WAL lets several connections use the file), the way several nodes share one MongoDB database.
/// </summary>
public sealed class SeveralNodesTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static string NewDataDir() => Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));

    private static void DeleteDir(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A file handle may linger briefly after shutdown; the temp folder is cleaned by the OS.
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Bound);
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"{what} did not happen within {Bound}.");
            }

            await Task.Yield();
        }
    }

    [Fact]
    public async Task ResumeAfter_OnAnotherNode_ReplaysExactlyTheMissedChangesFromTheStoredFeed_WithoutASnapshot()
    {
        var dir = NewDataDir();
        var settings = new Dictionary<string, string?> { ["Baas:DataDir"] = dir };
        try
        {
            await using var nodeA = await RealtimeTestServer.StartAsync(settings);
            var collection = await nodeA.NewCollectionAsync();
            var other = await nodeA.NewCollectionAsync();
            string last;
            await using (var first = await nodeA.ConnectAsync(query: "apikey=" + nodeA.ApiKey))
            {
                var watch = await first.SubscribeAsync(collection);
                await nodeA.CreateAsync(collection, """{ "_id": "d1", "n": 1 }""");
                var added = await first.NextAsync();
                Assert.Equal((watch.SubscriptionId, RealtimeEvents.Added, "d1"), (added.SubscriptionId, added.Type, added.Id));
                last = added.Sequence;
            }

            // Missed while away: three changes of the collection, one of another collection.
            await nodeA.CreateAsync(collection, """{ "_id": "d2", "n": 2 }""");
            await nodeA.CreateAsync(other, """{ "_id": "o1" }""");
            await nodeA.ReplaceAsync(collection, "d1", """{ "n": 10 }""");
            await nodeA.DeleteAsync(collection, "d2");

            // A node started now has none of that in its replay window: only the stored change log has it.
            await using var nodeB = await RealtimeTestServer.StartAsync(settings);
            await using var onB = await nodeB.ConnectAsync(query: "apikey=" + nodeB.ApiKey);
            var resumed = await onB.SubscribeAsync(collection, resumeAfter: last);

            Assert.True(resumed.Resumed);
            Assert.Null(resumed.Documents);
            await onB.ExpectAsync(resumed.SubscriptionId, RealtimeEvents.Added, "d2");
            var modified = await onB.ExpectAsync(resumed.SubscriptionId, RealtimeEvents.Modified, "d1");
            Assert.Equal(10, modified!["n"]!.GetValue<long>());
            await onB.ExpectAsync(resumed.SubscriptionId, RealtimeEvents.Removed, "d2");

            // Then live changes, in order, with nothing repeated.
            await nodeB.CreateAsync(collection, """{ "_id": "d3" }""");
            await onB.ExpectAsync(resumed.SubscriptionId, RealtimeEvents.Added, "d3");
        }
        finally
        {
            DeleteDir(dir);
        }
    }

    [Fact]
    public async Task ResumeAfter_APositionNoLongerRetained_GetsASnapshot()
    {
        var dir = NewDataDir();
        // SQLite by nature: it prunes the SQLite change log (on MongoDB history is the oplog, which a test cannot cut).
        var settings = new Dictionary<string, string?> { ["Baas:DataDir"] = dir, ["Baas:Changes:MaxRetained"] = "1", ["Baas:Storage:Provider"] = "Sqlite" };
        try
        {
            await using var nodeA = await RealtimeTestServer.StartAsync(settings);
            var collection = await nodeA.NewCollectionAsync();
            string last;
            await using (var first = await nodeA.ConnectAsync(query: "apikey=" + nodeA.ApiKey))
            {
                await first.SubscribeAsync(collection);
                await nodeA.CreateAsync(collection, """{ "_id": "d1" }""");
                last = (await first.NextAsync()).Sequence;
            }

            await nodeA.CreateAsync(collection, """{ "_id": "d2" }""");
            await nodeA.CreateAsync(collection, """{ "_id": "d3" }""");
            await using var nodeB = await RealtimeTestServer.StartAsync(settings);
            // Prunes all but the newest change now, unless node A's own pruning got there first.
            await nodeB.Server.Services.GetRequiredService<SqliteDocumentStore>().PruneChangesAsync(TestContext.Current.CancellationToken);

            await using var onB = await nodeB.ConnectAsync(query: "apikey=" + nodeB.ApiKey);
            var result = await onB.SubscribeAsync(collection, resumeAfter: last);

            Assert.False(result.Resumed);
            Assert.Equal(["d1", "d2", "d3"], result.Documents!.Select(d => HubClient.Document(d)![SystemFields.Id]!.GetValue<string>()).Order());
        }
        finally
        {
            DeleteDir(dir);
        }
    }

    [Fact]
    public async Task ResumeAfter_MoreStoredChangesThanAllowed_GetsASnapshot()
    {
        var dir = NewDataDir();
        var settings = new Dictionary<string, string?> { ["Baas:DataDir"] = dir, ["Baas:Realtime:StoredResumeMaxChanges"] = "2" };
        try
        {
            await using var nodeA = await RealtimeTestServer.StartAsync(settings);
            var collection = await nodeA.NewCollectionAsync();
            string last;
            await using (var first = await nodeA.ConnectAsync(query: "apikey=" + nodeA.ApiKey))
            {
                await first.SubscribeAsync(collection);
                await nodeA.CreateAsync(collection, """{ "_id": "d1" }""");
                last = (await first.NextAsync()).Sequence;
            }

            await nodeA.CreateAsync(collection, """{ "_id": "d2" }""");
            await nodeA.CreateAsync(collection, """{ "_id": "d3" }""");
            await nodeA.CreateAsync(collection, """{ "_id": "d4" }""");
            await using var nodeB = await RealtimeTestServer.StartAsync(settings);
            await using var onB = await nodeB.ConnectAsync(query: "apikey=" + nodeB.ApiKey);
            var result = await onB.SubscribeAsync(collection, resumeAfter: last);

            Assert.False(result.Resumed);
            Assert.Equal(4, result.Documents!.Count);
        }
        finally
        {
            DeleteDir(dir);
        }
    }

    [Fact]
    public async Task DataProtection_WithAKey_KeepsTheEncryptedKeyRingInTheStore_SoAnotherNodeUnprotects()
    {
        var dir = NewDataDir();
        var settings = new Dictionary<string, string?>
        {
            ["Baas:DataDir"] = dir,
            ["Baas:DataProtection:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        try
        {
            await using var nodeA = await BaasTestServer.StartAsync(settings);
            await using var nodeB = await BaasTestServer.StartAsync(settings);
            var purpose = "several-nodes-" + Guid.NewGuid().ToString("N");

            var sealedText = nodeA.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose).Protect("the secret");

            Assert.Equal("the secret", nodeB.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose).Unprotect(sealedText));

            // The ring is in the store, encrypted; nothing was written to the data dir's key folder.
            var keysDir = Path.Combine(dir, "keys");
            Assert.False(Directory.Exists(keysDir) && Directory.EnumerateFileSystemEntries(keysDir).Any());
            var stored = await nodeA.Services.GetRequiredService<IDocumentStore>().QueryAsync(
                StoreXmlRepository.Collection, new DocumentQuery(MatchAllNode.Instance, [new SortField(SystemFields.Id)], 10), TestContext.Current.CancellationToken);
            Assert.NotEmpty(stored);
            Assert.All(stored, document => Assert.DoesNotContain("masterKey", document.ToJsonString(), StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            DeleteDir(dir);
        }
    }

    [Fact]
    public async Task DataProtection_ANodeWithAnotherKey_StopsAtStartUp()
    {
        var dir = NewDataDir();
        var settings = new Dictionary<string, string?>
        {
            ["Baas:DataDir"] = dir,
            ["Baas:DataProtection:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        try
        {
            await using var nodeA = await BaasTestServer.StartAsync(settings);
            nodeA.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("p").Protect("x");

            settings["Baas:DataProtection:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var error = await Assert.ThrowsAsync<StorageStartupException>(() => BaasTestServer.StartAsync(settings));

            Assert.Contains("Baas:DataProtection:Key does not decrypt", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            DeleteDir(dir);
        }
    }

    [Fact]
    public async Task ACollectionCreatedOnOneNode_IsUsableOnAnother_AtOnce()
    {
        var dir = NewDataDir();
        var settings = new Dictionary<string, string?> { ["Baas:DataDir"] = dir };
        try
        {
            await using var nodeA = await BaasTestServer.StartAsync(settings);
            await using var nodeB = await BaasTestServer.StartAsync(settings);
            using var adminA = await nodeA.CreateAdminClientAsync(TestContext.Current.CancellationToken);
            using var adminB = await nodeB.CreateAdminClientAsync(TestContext.Current.CancellationToken);
            var name = "nodes" + Guid.NewGuid().ToString("N")[..12];

            // Node B looks first: not found (and must not remember that).
            using (var missing = await adminB.GetAsync($"/api/collections/{name}/documents", TestContext.Current.CancellationToken))
            {
                Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            }

            using (var created = await adminA.PostAsJsonAsync("/api/admin/collections", new { name }, TestContext.Current.CancellationToken))
            {
                await HttpAssert.StatusAsync(HttpStatusCode.Created, created);
            }

            using var write = await adminB.PostJsonAsync($"/api/collections/{name}/documents", """{ "_id": "x1" }""");
            await HttpAssert.StatusAsync(HttpStatusCode.Created, write);
            using var read = await adminB.GetAsync($"/api/collections/{name}/documents/x1", TestContext.Current.CancellationToken);
            await HttpAssert.StatusAsync(HttpStatusCode.OK, read);
        }
        finally
        {
            DeleteDir(dir);
        }
    }

    [Fact]
    public async Task ARevokedServiceKey_StopsOnEveryNode_WithinTheCacheDuration()
    {
        var dir = NewDataDir();
        var settings = new Dictionary<string, string?> { ["Baas:DataDir"] = dir, ["Baas:Auth:ApiKeyCacheDuration"] = "00:00:00.200" };
        try
        {
            await using var nodeA = await BaasTestServer.StartAsync(settings);
            await using var nodeB = await BaasTestServer.StartAsync(settings);
            using var adminA = await nodeA.CreateAdminClientAsync(TestContext.Current.CancellationToken);
            using var createdKey = await adminA.PostAsJsonAsync("/api/admin/apikeys", new { name = "nodes" }, TestContext.Current.CancellationToken);
            var key = (await HttpAssert.StatusAsync(HttpStatusCode.Created, createdKey))!;
            using var onB = nodeB.CreateClient();
            onB.DefaultRequestHeaders.Add(BaasAuthSchemes.ApiKeyHeader, key["key"]!.GetValue<string>());
            using (var before = await onB.GetAsync("/api/admin/collections", TestContext.Current.CancellationToken))
            {
                Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            }

            using (var revoked = await adminA.DeleteAsync($"/api/admin/apikeys/{key["id"]!.GetValue<string>()}", TestContext.Current.CancellationToken))
            {
                Assert.True(revoked.IsSuccessStatusCode);
            }

            await WaitUntilAsync(
                async () =>
                {
                    using var response = await onB.GetAsync("/api/admin/collections", TestContext.Current.CancellationToken);
                    return response.StatusCode == HttpStatusCode.Unauthorized;
                },
                "The revoked key being refused on the other node");
        }
        finally
        {
            DeleteDir(dir);
        }
    }

    [Fact]
    public async Task AnEndedAdminSession_StopsOnEveryNode_WithinTheCheckInterval()
    {
        var dir = NewDataDir();
        var settings = new Dictionary<string, string?> { ["Baas:DataDir"] = dir, ["Baas:Auth:SessionCheckInterval"] = "00:00:00.200" };
        try
        {
            await using var nodeA = await BaasTestServer.StartAsync(settings);
            await using var nodeB = await BaasTestServer.StartAsync(settings);
            using var adminA = await nodeA.CreateAdminClientAsync(TestContext.Current.CancellationToken);
            using var onB = nodeB.CreateClient();
            onB.DefaultRequestHeaders.Authorization = adminA.DefaultRequestHeaders.Authorization;
            using (var before = await onB.GetAsync("/api/admin/auth/me", TestContext.Current.CancellationToken))
            {
                Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            }

            using (var logout = await adminA.PostAsync("/api/admin/auth/logout", content: null, TestContext.Current.CancellationToken))
            {
                Assert.True(logout.IsSuccessStatusCode);
            }

            await WaitUntilAsync(
                async () =>
                {
                    using var response = await onB.GetAsync("/api/admin/auth/me", TestContext.Current.CancellationToken);
                    return response.StatusCode == HttpStatusCode.Unauthorized;
                },
                "The ended session being refused on the other node");
        }
        finally
        {
            DeleteDir(dir);
        }
    }
}
