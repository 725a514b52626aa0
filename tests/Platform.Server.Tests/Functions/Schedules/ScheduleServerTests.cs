using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Functions;
using Platform.Server.Functions.Schedules;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions.Schedules;

/// <summary>
/// Scheduled functions on a real server (Kestrel over loopback) with Hangfire on its SQLite file in the test's data dir,
/// the fake runtime (runs recorded by the real executor) and the real clock: every-second crons, so nothing waits minutes.
/// </summary>
public sealed class ScheduleServerTests
{
    private const string Base = "/api/admin/functions";
    private const string EverySecond = "* * * * * *";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> FastSettings = new()
    {
        ["Baas:Functions:Schedules:PollInterval"] = "00:00:00.200",
        ["Baas:Functions:RetryDelay"] = "00:00:00.100",
        ["Baas:Functions:MaxRetryDelay"] = "00:00:00.400",
    };

    private static async Task<(BaasTestServer Server, HttpClient Admin, FakeFunctionRuntime Runtime)> StartAsync(IDictionary<string, string?>? extra = null)
    {
        var runtime = new FakeFunctionRuntime();
        var settings = new Dictionary<string, string?>(FastSettings);
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var server = await BaasTestServer.StartAsync(settings, configureServices: services => services.AddSingleton<IFunctionRuntime>(runtime));
        return (server, await server.CreateAdminClientAsync(Ct), runtime);
    }

    private static async Task<string> CreateAsync(HttpClient admin, string cron, string extra = "", string? timeZone = null)
    {
        var name = FunctionServerFixture.NewName("sch");
        var zone = timeZone is null ? string.Empty : $$""", "timeZone": "{{timeZone}}" """;
        using var response = await admin.PostJsonAsync(Base, $$"""{ "name": "{{name}}", "code": "export default async function (ctx) { return 1; }", "schedule": { "cron": "{{cron}}"{{zone}} }{{extra}} }""");
        await HttpAssert.StatusAsync(HttpStatusCode.Created, response);
        return name;
    }

    private static async Task<List<JsonObject>> RunsAsync(HttpClient admin, string name)
    {
        using var response = await admin.GetAsync($"{Base}/{name}/runs?limit=100", Ct);
        var body = await HttpAssert.StatusAsync(HttpStatusCode.OK, response);
        return [.. body!["items"]!.AsArray().OfType<JsonObject>()];
    }

    private static async Task<List<JsonObject>> WaitForRunsAsync(HttpClient admin, string name, Func<List<JsonObject>, bool> enough)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (true)
        {
            var runs = await RunsAsync(admin, name);
            if (enough(runs))
            {
                return runs;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The runs of {name} did not arrive within 45 s; seen: {runs.Count}.");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within 30 s: {what}.");
            await Task.Delay(50, Ct);
        }
    }

    private static RecurringJobDto? RecurringJob(JobStorage storage, string name)
    {
        using var connection = storage.GetConnection();
        return connection.GetRecurringJobs([ScheduledFunctionJob.RecurringJobId(name)]).SingleOrDefault(j => !j.Removed);
    }

    private static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task JobsDashboard_RefusedRequests_NeverOpenTheJobStorage()
    {
        // Issue 12: a request the server refuses must not make it do work or touch the disk. Hangfire's dashboard is built
        // (and its storage opened) at its first request; a refused one must be refused before that.
        var (server, admin, _) = await StartAsync(new Dictionary<string, string?> { ["Baas:Storage:Provider"] = "Sqlite" });
        await using var _server = server;
        using var _admin = admin;
        var hangfire = server.Services.GetRequiredService<ScheduleHangfire>();
        using var anonymous = server.CreateClient();
        foreach (var path in new[] { "/admin/jobs", "/admin/jobs/recurring", "/admin/jobs/stats" })
        {
            using var refused = await anonymous.GetAsync(path, Ct);
            await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", refused);
            using var forged = new HttpRequestMessage(HttpMethod.Get, path);
            forged.Headers.Add("Cookie", JobsDashboardSessions.CookieName + "=forged");
            using var forgedAnswer = await anonymous.SendAsync(forged, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, forgedAnswer.StatusCode);
        }

        using (var keyResponse = await admin.PostJsonAsync("/api/admin/apikeys", """{ "name": "jobs-probe" }"""))
        {
            var key = (await HttpAssert.StatusAsync(HttpStatusCode.Created, keyResponse))!["key"]!.GetValue<string>();
            using var service = server.CreateClient();
            service.DefaultRequestHeaders.Add("X-Api-Key", key);
            using var refused = await service.GetAsync("/admin/jobs", Ct);
            await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", refused);
        }

        Assert.False(hangfire.IsOpen, "a refused request opened the job storage");
        Assert.False(File.Exists(Path.Combine(server.DataDir, "hangfire.db")), "a refused request created the job storage");

        // An admin still gets it (and that opens the storage).
        using var page = await admin.GetAsync("/admin/jobs", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.True(hangfire.IsOpen);
    }

    [Fact]
    public async Task Hangfire_IsNotOpened_UntilAScheduledFunctionExists()
    {
        var (server, admin, _) = await StartAsync(new Dictionary<string, string?> { ["Baas:Storage:Provider"] = "Sqlite" });
        await using var _server = server;
        using var _admin = admin;
        var hangfire = server.Services.GetRequiredService<ScheduleHangfire>();

        // A function without a schedule, and a scheduled one that is disabled, want no job: Hangfire stays closed.
        using (var plain = await admin.PostJsonAsync(Base, $$"""{ "name": "{{FunctionServerFixture.NewName("pl")}}", "code": "export default async function (ctx) { return 1; }" }"""))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.Created, plain);
        }

        await CreateAsync(admin, "0 3 * * *", extra: ", \"enabled\": false");
        using (var list = await admin.GetAsync(Base, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, list);
        }

        Assert.False(hangfire.IsOpen);
        Assert.False(hangfire.IsServerRunning);
        Assert.False(File.Exists(Path.Combine(server.DataDir, "hangfire.db")), "the job storage was created without a scheduled function");

        // The first scheduled function opens it and starts this node's server, which runs it.
        var name = await CreateAsync(admin, EverySecond);
        await EventuallyAsync(() => hangfire.IsServerRunning, "the Hangfire server starts with the first schedule");
        Assert.NotNull(RecurringJob(hangfire.Storage, name));
        await WaitForRunsAsync(admin, name, r => r.Count >= 1);
    }

    [Fact]
    public async Task EverySecondSchedule_Runs_WithTriggerScheduleAndItsDueTime()
    {
        var (server, admin, _) = await StartAsync();
        await using var _server = server;
        using var _admin = admin;
        var name = await CreateAsync(admin, EverySecond);

        var runs = await WaitForRunsAsync(admin, name, r => r.Count >= 3);
        foreach (var run in runs)
        {
            Assert.Equal(("schedule", "succeeded", 1, 1), (run["trigger"]!.GetValue<string>(), run["status"]!.GetValue<string>(), run["attempt"]!.GetValue<int>(), run["version"]!.GetValue<int>()));
            var due = Time(run["dueAt"]);
            Assert.Equal(0, due.Millisecond);
            Assert.InRange(Time(run["startedAt"]) - due, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(30));
        }

        Assert.Equal(runs.Count, runs.Select(r => r["dueAt"]!.GetValue<string>()).Distinct().Count());
        var read = await HttpAssert.StatusAsync(HttpStatusCode.OK, await admin.GetAsync($"{Base}/{name}", Ct));
        Assert.Equal(5, read!["nextRuns"]!.AsArray().Count);
    }

    [Fact]
    public async Task NewVersion_IsWhatTheNextRunRuns()
    {
        var (server, admin, _) = await StartAsync();
        await using var _server = server;
        using var _admin = admin;
        var name = await CreateAsync(admin, EverySecond);
        await WaitForRunsAsync(admin, name, r => r.Count >= 1);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", $$"""{ "code": "export default async function (ctx) { return 2; }", "schedule": { "cron": "{{EverySecond}}" } }"""));
        await WaitForRunsAsync(admin, name, r => r.Any(run => run["version"]!.GetValue<int>() == 2));
    }

    [Fact]
    public async Task Disabling_ThenDeleting_StopsTheJob()
    {
        var (server, admin, runtime) = await StartAsync();
        await using var _server = server;
        using var _admin = admin;
        var storage = server.Services.GetRequiredService<JobStorage>();
        var name = await CreateAsync(admin, EverySecond);
        await WaitForRunsAsync(admin, name, r => r.Count >= 2);

        await HttpAssert.StatusAsync(HttpStatusCode.OK, await admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", $$"""{ "code": "export default async function (ctx) { return 1; }", "enabled": false, "schedule": { "cron": "{{EverySecond}}" } }"""));
        var stoppedAt = runtime.Runs.Count(r => r.Function.Name == name);
        await EventuallyAsync(() => RecurringJob(storage, name) is null, "the recurring job of the disabled function is removed");

        // A control schedule on the same server runs three times meanwhile: the disabled one does not run again (one
        // run already started when the change was saved may finish).
        var control = await CreateAsync(admin, EverySecond);
        await WaitForRunsAsync(admin, control, r => r.Count >= 3);
        Assert.InRange(runtime.Runs.Count(r => r.Function.Name == name), stoppedAt, stoppedAt + 1);

        // Enabled again it is back; deleted, it is gone for good.
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", $$"""{ "code": "export default async function (ctx) { return 1; }", "schedule": { "cron": "0 3 * * *", "timeZone": "Europe/Berlin" } }"""));
        await EventuallyAsync(() => RecurringJob(storage, name) is { Cron: "0 3 * * *", TimeZoneId: "Europe/Berlin" }, "the recurring job follows the new schedule");
        using (var deleted = await admin.DeleteAsync($"{Base}/{name}", Ct))
        {
            Assert.True(deleted.IsSuccessStatusCode);
        }

        await EventuallyAsync(() => RecurringJob(storage, name) is null, "the recurring job of the deleted function is removed");
    }

    [Fact]
    public async Task FailingRun_IsRetriedWithBackoff_ThenADeadLetter()
    {
        var (server, admin, runtime) = await StartAsync();
        await using var _server = server;
        using var _admin = admin;
        var name = FunctionServerFixture.NewName("sch");
        runtime.Handlers[name] = (_, _) => FakeFunctionRuntime.Failed("boom", 1, 7);
        using (var created = await admin.PostJsonAsync(Base, $$"""{ "name": "{{name}}", "code": "export default async function (ctx) { throw new Error('boom'); }", "retries": 2, "schedule": { "cron": "{{EverySecond}}" } }"""))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.Created, created);
        }

        // Every due time is tried 1 + retries times, all with its due time; only the last attempt is a dead letter.
        var runs = await WaitForRunsAsync(admin, name, r => r.Any(run => run["attempt"]!.GetValue<int>() == 3));
        var last = runs.First(run => run["attempt"]!.GetValue<int>() == 3);
        Assert.True(last["deadLetter"]!.GetValue<bool>());
        Assert.Equal("failed", last["status"]!.GetValue<string>());
        var sameDue = runs.Where(r => r["dueAt"]!.GetValue<string>() == last["dueAt"]!.GetValue<string>()).OrderBy(r => r["attempt"]!.GetValue<int>()).ToList();
        Assert.Equal([1, 2, 3], sameDue.Select(r => r["attempt"]!.GetValue<int>()));
        Assert.Equal([false, false, true], sameDue.Select(r => r["deadLetter"]!.GetValue<bool>()));
        Assert.True(Time(sameDue[1]["startedAt"]) >= Time(sameDue[0]["startedAt"]) + TimeSpan.FromMilliseconds(100), "the retry waits for its backoff: " + string.Join(" / ", sameDue.Select(r => r.ToJsonString())));
        Assert.DoesNotContain(runs, r => r["attempt"]!.GetValue<int>() > 3);
    }

    [Fact]
    public async Task MissedRuns_WhileNoNodeWasUp_RunOnceAtStartUp()
    {
        // A node that only keeps the jobs in sync (Enabled=false) stands for "no node running jobs".
        var (server, admin, runtime) = await StartAsync(new Dictionary<string, string?> { ["Baas:Functions:Schedules:Enabled"] = "false" });
        await using var _server = server;
        using var _admin = admin;
        var storage = server.Services.GetRequiredService<JobStorage>();
        var name = await CreateAsync(admin, "0 3 * * *", timeZone: "Europe/Berlin");
        await EventuallyAsync(() => RecurringJob(storage, name) is not null, "the recurring job is registered");

        // Ten days of 03:00 went by unrun.
        var missedSince = DateTime.UtcNow.AddDays(-10);
        using (var connection = storage.GetConnection())
        using (var transaction = connection.CreateWriteTransaction())
        {
            // What Hangfire keeps of a recurring job after it last ran ten days ago and no node ran since: the last and
            // the (now past) next execution in the job's hash, and that next execution as its score in the set the
            // scheduler reads due jobs from.
            var id = ScheduledFunctionJob.RecurringJobId(name);
            var nextAfterThat = missedSince.AddDays(1);
            transaction.SetRangeInHash("recurring-job:" + id,
            [
                new("CreatedAt", JobHelper.SerializeDateTime(missedSince.AddDays(-1))),
                new("LastExecution", JobHelper.SerializeDateTime(missedSince)),
                new("NextExecution", JobHelper.SerializeDateTime(nextAfterThat)),
            ]);
            transaction.AddToSet("recurring-jobs", id, JobHelper.ToTimestamp(nextAfterThat));
            transaction.Commit();
        }

        Assert.DoesNotContain(runtime.Runs, r => r.Function.Name == name);

        // Then a node that runs jobs comes up.
        using (var node = NewHangfireServer(server, storage))
        {
            var runs = await WaitForRunsAsync(admin, name, r => r.Count >= 1);
            await EventuallyAsync(() => RecurringJob(storage, name)?.NextExecution > DateTime.UtcNow, "the next execution moves to the next 03:00");
            var run = Assert.Single(await RunsAsync(admin, name));
            Assert.Equal("schedule", run["trigger"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task TwoNodesOnOneStorage_RunEachDueTimeOnce()
    {
        // SQLite by nature: two Hangfire storages on the server's hangfire.db.
        var (server, admin, _) = await StartAsync(new Dictionary<string, string?> { ["Baas:Functions:Schedules:Enabled"] = "false", ["Baas:Storage:Provider"] = "Sqlite" });
        await using var _server = server;
        using var _admin = admin;

        // Two Hangfire servers, each with its own storage object on the same SQLite file, as two nodes would have.
        var path = Path.Combine(server.DataDir, "hangfire.db");
        var first = new SQLiteStorage(path, new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(200) });
        var second = new SQLiteStorage(path, new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(200) });
        using var nodeA = NewHangfireServer(server, first);
        using var nodeB = NewHangfireServer(server, second);
        var name = await CreateAsync(admin, EverySecond);

        var runs = await WaitForRunsAsync(admin, name, r => r.Count >= 8);
        var perDueTime = runs.GroupBy(r => r["dueAt"]!.GetValue<string>()).ToList();
        Assert.All(perDueTime, g => Assert.Single(g));
    }

    private static BackgroundJobServer NewHangfireServer(BaasTestServer server, JobStorage storage) => new(
        new BackgroundJobServerOptions
        {
            WorkerCount = 2,
            SchedulePollingInterval = TimeSpan.FromMilliseconds(200),
            Activator = server.Services.GetRequiredService<JobActivator>(),
            FilterProvider = server.Services.GetRequiredService<IJobFilterProvider>(),
            ServerName = "test-node-" + Guid.NewGuid().ToString("N")[..6],
        },
        storage);
}
