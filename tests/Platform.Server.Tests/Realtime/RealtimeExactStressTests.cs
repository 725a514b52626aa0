using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Server.Realtime;
using Platform.Server.Tests.Infrastructure;
using Platform.Server.Tests.Storage.Mongo;

namespace Platform.Server.Tests.Realtime;

/// <summary>
/// Writers and subscribers at once over real Kestrel and SignalR, on the store the run selected (SQLite, or MongoDB when
/// <c>BAAS_TEST_MONGO</c> names a replica set): every subscriber subscribes with a snapshot while the writes go on,
/// applies its events to its snapshot as docs/realtime.md says, and must end with exactly the documents the collection
/// holds for its filter, never seeing one document version twice (in the snapshot and as an event) nor an event that
/// does not follow what it holds. Randomized (the seed is in the failure message); no timing is asserted: the waits only
/// bound a hang.
/// </summary>
public sealed class RealtimeExactStressTests
{
    private const int Writers = 3;
    private const int WritesPerWriter = 60;
    private const int Subscribers = 8;
    private const int Seeded = 12;

    // The documents id subscribers watch: writers replace them, never delete them (a re-created id restarts its versions).
    private const int Watched = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task Subscribe_WhileWritersWrite_EverySubscribersViewEndsEqualToTheCollection() => RunAsync(settings: null);

    /// <summary>
    /// The same on MongoDB whatever the run selected (snapshot sessions and high-water-mark positions,
    /// <c>MongoChangeFeed.QuerySnapshotAsync</c>); runs when <c>BAAS_TEST_MONGO</c> names a replica set.
    /// </summary>
    [Fact]
    public async Task Subscribe_WhileWritersWrite_OnMongo_EverySubscribersViewEndsEqualToTheCollection()
    {
        var connectionString = Environment.GetEnvironmentVariable(TestStorage.MongoVariable);
        if (string.IsNullOrEmpty(connectionString))
        {
            Assert.Skip($"{TestStorage.MongoVariable} is not set: this test needs a MongoDB replica set");
        }

        var database = MongoStoreFixture.NewDatabaseName();
        try
        {
            await RunAsync(new Dictionary<string, string?>
            {
                ["Baas:Storage:Provider"] = "Mongo",
                ["Baas:Storage:ConnectionString"] = connectionString,
                ["Baas:Storage:Database"] = database,
            });
        }
        finally
        {
            await new MongoDB.Driver.MongoClient(connectionString).DropDatabaseAsync(database, CancellationToken.None);
        }
    }

    private static async Task RunAsync(Dictionary<string, string?>? settings)
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        await using var server = await RealtimeTestServer.StartAsync(settings);
        var collection = await server.NewCollectionAsync();
        var live = new ConcurrentDictionary<string, bool>();
        for (var i = 0; i < Seeded; i++)
        {
            var id = "s" + i;
            await server.CreateAsync(collection, $$"""{ "_id": "{{id}}", "v": {{i % 5}} }""");
            live[id] = true;
        }

        var plans = Enumerable.Range(0, Subscribers)
            .Select(i => new SubscriberPlan((i % 3) switch { 0 => Kind.All, 1 => Kind.Filtered, _ => Kind.ById }, "s" + (i % Watched), random.Next(0, WritesPerWriter)))
            .ToList();
        var writerSeeds = Enumerable.Range(0, Writers).Select(_ => random.Next()).ToList();
        var writesDone = 0;

        var writers = writerSeeds.Select((writerSeed, w) => Task.Run(() => WriteAsync(server, collection, live, w, new Random(writerSeed), () => Interlocked.Increment(ref writesDone)), Ct)).ToList();
        var subscribers = plans.Select(plan => Task.Run(async () =>
        {
            // Subscribe once the writers are some way in, so the snapshot races with them.
            while (Volatile.Read(ref writesDone) < plan.After && writers.Any(t => !t.IsCompleted))
            {
                await Task.Delay(1, Ct);
            }

            return await SubscribeAsync(server, collection, plan);
        }, Ct)).ToList();

        await Task.WhenAll(writers);
        var watchers = await Task.WhenAll(subscribers);

        // The last writes: one per watched document, then one the query subscriptions see after all others.
        for (var i = 0; i < Watched; i++)
        {
            await PutAsync(server, collection, "s" + i, """{ "v": 9, "end": true }""");
        }

        await server.CreateAsync(collection, """{ "_id": "zz-end", "v": 9 }""");

        var stored = await AllAsync(server, collection);
        foreach (var watcher in watchers)
        {
            await using (watcher.Hub)
            {
                var view = await watcher.ApplyUntilEndAsync(seed);
                var expected = stored.Where(watcher.Plan.Sees).ToDictionary(d => Id(d), d => Version(d));
                Assert.True(
                    expected.Count == view.Count && expected.All(e => view.TryGetValue(e.Key, out var v) && v == e.Value),
                    $"seed {seed}, {watcher.Plan}: expected [{string.Join(", ", expected.OrderBy(e => e.Key).Select(e => $"{e.Key}@{e.Value}"))}], "
                    + $"got [{string.Join(", ", view.OrderBy(e => e.Key).Select(e => $"{e.Key}@{e.Value}"))}]");
            }
        }
    }

    private static async Task WriteAsync(RealtimeTestServer server, string collection, ConcurrentDictionary<string, bool> live, int writer, Random random, Func<int> counted)
    {
        for (var n = 0; n < WritesPerWriter; n++)
        {
            var ids = live.Keys.ToList();
            var pick = ids[random.Next(ids.Count)];
            switch (random.Next(4))
            {
                case 0:
                    var id = $"w{writer}-{n}";
                    await server.CreateAsync(collection, $$"""{ "_id": "{{id}}", "v": {{random.Next(5)}} }""");
                    live[id] = true;
                    break;
                case 1 when !IsWatched(pick) && live.TryRemove(pick, out _):
                    using (var response = await server.Service.DeleteAsync($"/api/collections/{collection}/documents/{pick}", Ct))
                    {
                        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
                    }

                    break;
                default:
                    await PutAsync(server, collection, pick, $$"""{ "v": {{random.Next(5)}} }""");
                    break;
            }

            counted();
        }
    }

    // A replace; a document another writer deleted meanwhile is not found, which is fine here.
    private static async Task PutAsync(RealtimeTestServer server, string collection, string id, string json)
    {
        using var response = await server.Service.SendJsonAsync(HttpMethod.Put, $"/api/collections/{collection}/documents/{id}", json);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"PUT {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task<List<JsonObject>> AllAsync(RealtimeTestServer server, string collection)
    {
        var page = await server.Service.GetFromJsonAsync<JsonObject>($"/api/collections/{collection}/documents?limit=1000", Ct);
        return [.. page!["items"]!.AsArray().Select(d => d!.AsObject())];
    }

    private static async Task<Watcher> SubscribeAsync(RealtimeTestServer server, string collection, SubscriberPlan plan)
    {
        var client = await server.ConnectAsync(query: "apikey=" + server.ApiKey);
        var result = plan.Kind switch
        {
            Kind.All => await client.SubscribeAsync(collection, snapshot: true),
            Kind.Filtered => await client.SubscribeAsync(collection, HubClient.Filter("""{ "v": { "$gte": 2 } }"""), snapshot: true),
            _ => await client.SubscribeAsync(collection, id: plan.Id, snapshot: true),
        };
        return new Watcher(plan, client, result);
    }

    private static bool IsWatched(string id) => id.StartsWith('s') && int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture) < Watched;

    private static string Id(JsonObject document) => document["_id"]!.GetValue<string>();

    private static long Version(JsonObject document) => document["_version"]!.GetValue<long>();

    private enum Kind
    {
        All,
        Filtered,
        ById,
    }

    private sealed record SubscriberPlan(Kind Kind, string Id, int After)
    {
        public bool Sees(JsonObject document) => Kind switch
        {
            Kind.All => true,
            Kind.Filtered => document["v"]!.GetValue<long>() >= 2,
            _ => RealtimeExactStressTests.Id(document) == Id,
        };

        public bool IsEnd(ChangeEvent change, JsonObject? document) =>
            Kind == Kind.ById ? document?["end"] is not null : change.Id == "zz-end";
    }

    private sealed record Watcher(SubscriberPlan Plan, HubClient Hub, SubscribeResult Subscribed)
    {
        // The snapshot, then each event in order, checked against what the subscriber holds at that point.
        public async Task<Dictionary<string, long>> ApplyUntilEndAsync(int seed)
        {
            var view = new Dictionary<string, long>();
            var seen = new HashSet<(string, long)>();
            foreach (var document in Subscribed.Documents!.Select(d => HubClient.Document(d)!))
            {
                view[Id(document)] = Version(document);
                Assert.True(seen.Add((Id(document), Version(document))), $"seed {seed}, {Plan}: {Id(document)} twice in the snapshot");
            }

            while (true)
            {
                var change = await Hub.NextAsync();
                var document = HubClient.Document(change.Document);
                var context = $"seed {seed}, {Plan}, snapshot at {Subscribed.Sequence}: {change.Type} {change.Id}@{(document is null ? "-" : Version(document))} at {change.Sequence}";
                switch (change.Type)
                {
                    case RealtimeEvents.Added:
                        Assert.False(view.ContainsKey(change.Id), context + " was held already");
                        Assert.True(seen.Add((change.Id, Version(document!))), context + " was seen already");
                        view[change.Id] = Version(document!);
                        break;
                    case RealtimeEvents.Modified:
                        Assert.True(view.TryGetValue(change.Id, out var held) && held < Version(document!), context + " does not follow what is held");
                        Assert.True(seen.Add((change.Id, Version(document!))), context + " was seen already");
                        view[change.Id] = Version(document!);
                        break;
                    case RealtimeEvents.Removed:
                        Assert.True(view.Remove(change.Id), context + " was not held");
                        break;
                }

                if (Plan.IsEnd(change, document))
                {
                    return view;
                }
            }
        }
    }
}
