using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Storage;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Documents;

/// <summary>
/// Issue 11, item 1 at test scale: anonymous queries that scan every document with 199 case-insensitive substring
/// conditions, a count and an unindexed sort end with <c>query_timeout</c> (or are refused with <c>server_busy</c>)
/// while <c>/health/ready</c> and reads by id keep answering; a query whose client goes away is stopped in the store.
/// </summary>
public sealed class QueryCostTests
{
    private const int Documents = 30_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string ExpensiveQuery = "{\"filter\": {\"$or\": ["
        + string.Join(",", Enumerable.Range(0, 199).Select(i => "{\"name\": {\"$containsi\": \"zz" + i + "q\"}}"))
        + "]}, \"count\": true, \"sort\": \"-name\", \"limit\": 1000}";

    /// <summary>A collection anyone may list and read, filled with small documents straight through the store.</summary>
    private static async Task<string> OpenCollectionAsync(BaasTestServer server, int documents = Documents)
    {
        using var admin = await server.CreateAdminClientAsync(Ct);
        var name = "cost" + Guid.NewGuid().ToString("N")[..12];
        using var created = await admin.PostAsJsonAsync("/api/admin/collections", new { name, rules = new { list = "true", get = "true" } }, Ct);
        created.EnsureSuccessStatusCode();
        var store = server.Services.GetRequiredService<IDocumentStore>();
        for (var start = 0; start < documents; start += 1000)
        {
            await store.WriteAsync(
                [.. Enumerable.Range(start, Math.Min(1000, documents - start)).Select(i => (WriteOperation)new InsertOperation(name, new JsonObject
                {
                    [SystemFields.Id] = "d" + i,
                    [SystemFields.Version] = 1,
                    [SystemFields.CreatedAt] = "2026-01-01T00:00:00.000Z",
                    [SystemFields.UpdatedAt] = "2026-01-01T00:00:00.000Z",
                    [SystemFields.CreatedBy] = null,
                    ["name"] = $"Name number {i} of many",
                }))],
                Ct);
        }

        return name;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task ExpensiveAnonymousQueries_EndWithQueryTimeout_WhileHealthAndReadsByIdKeepAnswering()
    {
        var budget = TimeSpan.FromSeconds(1);
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Query:Timeout"] = "00:00:01",
            ["Baas:Query:MaxConcurrent"] = "2",
            ["Baas:Query:QueueTimeout"] = "00:00:02.500",
        });
        var collection = await OpenCollectionAsync(server);
        using var visitor = server.CreateClient();

        var attacks = Enumerable.Range(0, 6).Select(async _ =>
        {
            var watch = Stopwatch.StartNew();
            using var response = await visitor.PostAsync($"/api/collections/{collection}/query", Json(ExpensiveQuery), Ct);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();
            return (response.StatusCode, Code: problem["code"]?.GetValue<string>(), RetryAfter: response.Headers.RetryAfter, watch.Elapsed);
        }).ToList();
        var attack = Task.WhenAll(attacks);

        // Probe while the attack runs: each probe must answer, and quickly.
        var probes = 0;
        var slowest = TimeSpan.Zero;
        do
        {
            var watch = Stopwatch.StartNew();
            using (var ready = await visitor.GetAsync("/health/ready", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }

            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            watch.Restart();
            using (var read = await visitor.GetAsync($"/api/collections/{collection}/documents/d{probes % Documents}", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }

            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            probes++;
        }
        while (!attack.IsCompleted);

        var results = await attack;
        Assert.All(results, r => Assert.True(
            (r.StatusCode, r.Code) is ((HttpStatusCode)422, "query_timeout") or (HttpStatusCode.ServiceUnavailable, "server_busy"),
            $"{(int)r.StatusCode} {r.Code}"));
        var timedOut = results.Where(r => r.Code == "query_timeout").ToList();
        Assert.NotEmpty(timedOut);

        // A query ends within its budget plus its wait for a place (2.5 s at most) plus generous slack for a busy machine.
        Assert.All(timedOut, r => Assert.True(r.Elapsed < budget + TimeSpan.FromSeconds(2.5) + TimeSpan.FromSeconds(4), $"took {r.Elapsed}"));
        Assert.All(results.Where(r => r.Code == "server_busy"), r => Assert.Equal(TimeSpan.FromSeconds(1), r.RetryAfter?.Delta));
        // A bound for "keeps answering", not a latency target (bench/ measures that): without the budget and the cap the
        // same attack holds every probe for the queries' full 30 s of CPU; in a full parallel test run on 2 cores a probe
        // has been seen to wait 2.7 s behind the other tests' servers, so 2 s was too tight to be a stable test.
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"slowest probe {slowest} over {probes} probes");
    }

    [Fact]
    public async Task QueryTimeout_IsA422Problem_NamingTheBudget()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Query:Timeout"] = "00:00:00.010" });
        var collection = await OpenCollectionAsync(server, 2000);
        using var visitor = server.CreateClient();

        var problem = await HttpAssert.ProblemAsync((HttpStatusCode)422, "query_timeout", await visitor.PostAsync($"/api/collections/{collection}/query", Json(ExpensiveQuery), Ct));

        Assert.Equal(10, problem["timeoutMs"]!.GetValue<long>());

        // The caller's cheap queries still answer.
        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await visitor.GetAsync($"/api/collections/{collection}/documents/d7", Ct));
        Assert.Equal("d7", page!["_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ServiceKeysAndAdmins_GetTheLargerBudget()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:Query:Timeout"] = "00:00:00.010",
            ["Baas:Query:ServiceTimeout"] = "00:05:00",
        });
        var collection = await OpenCollectionAsync(server, 2000);
        using var admin = await server.CreateAdminClientAsync(Ct);
        using var visitor = server.CreateClient();
        // A full scan with 50 conditions per document: far past 10 ms, well within minutes.
        var query = "{\"filter\": {\"$or\": [{\"name\": {\"$containsi\": \"NUMBER 12 OF\"}}, "
            + string.Join(",", Enumerable.Range(0, 49).Select(i => "{\"name\": {\"$containsi\": \"zz" + i + "q\"}}"))
            + "]}, \"count\": true, \"sort\": \"-name\"}";

        await HttpAssert.ProblemAsync((HttpStatusCode)422, "query_timeout", await visitor.PostAsync($"/api/collections/{collection}/query", Json(query), Ct));
        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await admin.PostAsync($"/api/collections/{collection}/query", Json(query), Ct));

        Assert.Equal(1, page!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task ExpensiveQuery_WhoseClientGoesAway_IsStoppedInTheStore()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:Query:Timeout"] = "00:10:00" });
        var collection = await OpenCollectionAsync(server);
        using var metrics = new StorageMetricRecorder(server);
        using var visitor = server.CreateClient();
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var request = visitor.PostAsync($"/api/collections/{collection}/query", Json(ExpensiveQuery), leave.Token);
        await metrics.WaitAsync("baas.storage.queries.running", 1, reason: null);
        await leave.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await metrics.WaitAsync("baas.storage.queries.stopped", 1, StorageMetrics.Cancelled);
        await metrics.WaitAsync("baas.storage.queries.running", -1, reason: null);
    }

    /// <summary>Records one server's <c>Baas.Storage</c> measurements, so the test waits on them instead of sleeping.</summary>
    private sealed class StorageMetricRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Channel<(string Instrument, long Value, string? Reason)> _measurements = Channel.CreateUnbounded<(string, long, string?)>();

        public StorageMetricRecorder(BaasTestServer server)
        {
            var meter = server.Services.GetRequiredService<StorageMetrics>().Meter;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? reason = null;
                foreach (var tag in tags)
                {
                    reason = tag.Key == "reason" ? tag.Value as string : reason;
                }

                _measurements.Writer.TryWrite((instrument.Name, value, reason));
            });
            _listener.Start();
        }

        public async Task WaitAsync(string instrument, long value, string? reason)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (true)
            {
                var measurement = await _measurements.Reader.ReadAsync(timeout.Token);
                if (measurement.Instrument == instrument && measurement.Value == value && measurement.Reason == reason)
                {
                    return;
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
