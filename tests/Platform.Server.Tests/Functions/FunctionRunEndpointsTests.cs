using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Functions;
using Platform.Server.Functions.Runs;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions;

/// <summary>Callables, manual runs, run records (paging, filters, retry, retention) and secrets.</summary>
public sealed class FunctionRunEndpointsTests(FunctionServerFixture fixture) : IClassFixture<FunctionServerFixture>
{
    private const string Base = "/api/admin/functions";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Call_WithInvokeRule_AnswersTheResult_AndRecordsTheRun()
    {
        var name = await fixture.CreateAsync("""  "callable": { "invokeRule": "auth != null && args.code == 'SUMMER'" }""", cancellationToken: Ct);
        fixture.Runtime.Handlers[name] = (invocation, _) => FakeFunctionRuntime.Succeeded(
            new JsonObject { ["discount"] = 10, ["user"] = invocation.Caller?.Auth?["id"]?.DeepClone() },
            "checked " + invocation.Args!["code"]);
        using var user = await fixture.NewUserAsync(Ct);

        var answer = await HttpAssert.StatusAsync(HttpStatusCode.OK, await user.PostJsonAsync($"/api/functions/{name}", """{ "args": { "code": "SUMMER" } }"""));
        Assert.Equal(10, answer!["result"]!["discount"]!.GetValue<int>());
        Assert.NotNull(answer["result"]!["user"]);

        var runs = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/runs", Ct));
        var run = Assert.Single(runs!["items"]!.AsArray())!;
        Assert.Equal("callable", run["trigger"]!.GetValue<string>());
        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal(1, run["version"]!.GetValue<int>());
        Assert.Equal(["checked SUMMER"], run["logs"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(24, run["id"]!.GetValue<string>().Length);
        Assert.False(run["deadLetter"]!.GetValue<bool>());

        // The rule says no: 403 signed in, 401 signed out, and nothing ran.
        var before = fixture.Runtime.Runs.Count(r => r.Function.Name == name);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.PostJsonAsync($"/api/functions/{name}", """{ "args": { "code": "WINTER" } }"""));
        using var anonymous = fixture.Server.CreateClient();
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.PostJsonAsync($"/api/functions/{name}", """{ "args": { "code": "SUMMER" } }"""));
        Assert.Equal(before, fixture.Runtime.Runs.Count(r => r.Function.Name == name));

        // Service keys and admins pass any invoke rule.
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync($"/api/functions/{name}", """{ "args": { "code": "NONE" } }"""));
    }

    [Fact]
    public async Task RunRecord_OfARunWhoseLogTheRuntimeCapped_SaysHowManyLinesWereDropped()
    {
        // The runtime keeps 100 lines and appends "[150 more ... dropped]"; the record's own cap used to count that
        // marker as the one line over the limit and say "1 more".
        var name = await fixture.CreateAsync("""  "callable": {}""", cancellationToken: Ct);
        var lines = Enumerable.Range(0, 100).Select(i => "line " + i).Append("[150 more log lines dropped: a run keeps at most 100 lines and 65536 bytes]").ToArray();
        fixture.Runtime.Handlers[name] = (_, _) => FakeFunctionRuntime.Succeeded(null, lines) with { LogLinesDropped = 150 };

        var run = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", "{}"));
        var logs = run!["logs"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
        Assert.Equal(101, logs.Count);
        Assert.Equal("line 99", logs[99]);
        Assert.StartsWith("[150 more log lines not kept", logs[100], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_WithoutInvokeRule_IsForServiceKeysAndAdminsOnly()
    {
        var name = await fixture.CreateAsync("""  "callable": {}""", cancellationToken: Ct);
        using var anonymous = fixture.Server.CreateClient();
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.PostJsonAsync($"/api/functions/{name}", """{ "args": 1 }"""));
        using var user = await fixture.NewUserAsync(Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.PostJsonAsync($"/api/functions/{name}", """{ "args": 1 }"""));
        var answer = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync($"/api/functions/{name}", """{ "args": [1, 2] }"""));
        Assert.Equal("[1,2]", answer!["result"]!["echo"]!.ToJsonString());
        var admin = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostAsync($"/api/functions/{name}", null, Ct));
        Assert.Null(admin!["result"]!["echo"]);
    }

    [Fact]
    public async Task Call_UnknownDisabledOrNotCallable_Is404()
    {
        var notCallable = await fixture.CreateAsync(cancellationToken: Ct);
        var disabled = await fixture.CreateAsync("""  "callable": { "invokeRule": "true" }, "enabled": false""", cancellationToken: Ct);
        foreach (var name in new[] { notCallable, disabled, FunctionServerFixture.NewName(), "secrets", "NOT-A-NAME" })
        {
            await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "function_not_found", await fixture.Service.PostJsonAsync($"/api/functions/{name}", """{ "args": 1 }"""));
        }
    }

    [Fact]
    public async Task Call_ArgsOver64KiB_Is413_AndDoesNotRun()
    {
        var name = await fixture.CreateAsync("""  "callable": { "invokeRule": "true" }""", cancellationToken: Ct);
        var big = new string('a', 64 * 1024);
        await HttpAssert.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "args_too_large", await fixture.Service.PostJsonAsync($"/api/functions/{name}", $$"""{ "args": "{{big}}" }"""));

        // A body of unknown length is refused as soon as the cap is passed.
        using var content = new StreamContent(new BlankStream(4 * 1024 * 1024));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        await HttpAssert.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "args_too_large", await fixture.Service.PostAsync($"/api/functions/{name}", content, Ct));
        Assert.DoesNotContain(fixture.Runtime.Runs, r => r.Function.Name == name);

        // Just under the limit passes.
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync($"/api/functions/{name}", $$"""{ "args": "{{new string('a', (64 * 1024) - 2)}}" }"""));
    }

    [Fact]
    public async Task Call_BadBody_Is400()
    {
        var name = await fixture.CreateAsync("""  "callable": { "invokeRule": "true" }""", cancellationToken: Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "unknown_field", await fixture.Service.PostJsonAsync($"/api/functions/{name}", """{ "arguments": 1 }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_body", await fixture.Service.PostJsonAsync($"/api/functions/{name}", """[1]"""));
    }

    public static TheoryData<string, HttpStatusCode, string> Failures => new()
    {
        { "throws", HttpStatusCode.UnprocessableEntity, "function_failed" },
        { "timeout", HttpStatusCode.UnprocessableEntity, "function_timeout" },
        { "memory", HttpStatusCode.UnprocessableEntity, "function_failed" },
        { "recursion", HttpStatusCode.UnprocessableEntity, "function_failed" },
        { "notjson", HttpStatusCode.UnprocessableEntity, "function_failed" },
        { "reject", HttpStatusCode.Conflict, "rejected_by_function" },
        { "hugeresult", HttpStatusCode.UnprocessableEntity, "function_failed" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Call_FailureOutcome_IsAClear4xx_WithTheRunIdAndPosition(string outcome, HttpStatusCode status, string code)
    {
        var name = await fixture.CreateAsync("""  "callable": { "invokeRule": "true" }""", cancellationToken: Ct);
        fixture.Runtime.Handlers[name] = (_, _) => outcome switch
        {
            "throws" => FakeFunctionRuntime.Failed("TypeError: x is undefined", 3, 14),
            "timeout" => FakeFunctionRuntime.TimedOut(),
            "memory" => FakeFunctionRuntime.Failed("The function used more than its 32 MB memory budget.", 5, 3),
            "recursion" => FakeFunctionRuntime.Failed("The function recursed deeper than 256 calls.", 2, 30),
            "notjson" => FakeFunctionRuntime.Failed("The function returned a value that is not JSON (a function)."),
            "reject" => FakeFunctionRuntime.Rejected(409, "Coupon already used"),
            _ => FakeFunctionRuntime.Succeeded(JsonValue.Create(new string('x', 2 * 1024 * 1024))),
        };
        using var anonymous = fixture.Server.CreateClient();
        var problem = await HttpAssert.ProblemAsync(status, code, await anonymous.PostJsonAsync($"/api/functions/{name}", """{ "args": {} }"""));
        var runId = problem["runId"]!.GetValue<string>();
        var detail = problem["detail"]!.GetValue<string>();
        Assert.DoesNotContain("   at ", detail, StringComparison.Ordinal);
        if (outcome == "throws")
        {
            Assert.Equal(3, problem["error"]!["line"]!.GetValue<int>());
            Assert.Equal(14, problem["error"]!["column"]!.GetValue<int>());
            Assert.Contains("x is undefined", detail, StringComparison.Ordinal);
        }

        if (outcome == "reject")
        {
            Assert.Equal("Coupon already used", detail);
        }

        var run = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/runs/{runId}", Ct));
        Assert.Equal(outcome switch { "timeout" => "timedOut", "reject" => "rejected", _ => "failed" }, run!["status"]!.GetValue<string>());
        Assert.False(run["deadLetter"]!.GetValue<bool>());
        Assert.Null(run["result"]);

        // The server is still fine.
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}", Ct));
    }

    [Fact]
    public async Task ManualRun_RunsADisabledFunction_WithSampleArgsAndEvent()
    {
        var name = await fixture.CreateAsync("""  "enabled": false""", cancellationToken: Ct);
        fixture.Runtime.Handlers[name] = (invocation, _) => FakeFunctionRuntime.Succeeded(invocation.Event!.ToJson());
        var run = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", """
            { "args": { "n": 1 }, "event": { "id": "evt-1", "type": "update", "collection": "orders", "documentId": "o1", "before": { "n": 1 }, "after": { "n": 2 } } }
            """));
        Assert.Equal("manual", run!["trigger"]!.GetValue<string>());
        Assert.Equal("evt-1", run["eventId"]!.GetValue<string>());
        Assert.Equal("o1", run["result"]!["documentId"]!.GetValue<string>());
        Assert.Equal(1, run["args"]!["n"]!.GetValue<int>());

        // A failed manual run is answered with 200 too: the answer is the run, whatever its status.
        fixture.Runtime.Handlers[name] = (_, _) => FakeFunctionRuntime.Failed("boom", 1, 1);
        var failed = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostAsync($"{Base}/{name}/run", null, Ct));
        Assert.Equal("failed", failed!["status"]!.GetValue<string>());
        Assert.Equal("boom", failed["error"]!["message"]!.GetValue<string>());

        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_event", await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", """{ "event": { "type": "upsert", "collection": "orders", "documentId": "o1" } }"""));
        var badId = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_event", await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", """{ "event": { "type": "create", "collection": "orders", "documentId": "o 1" } }"""));
        Assert.Equal("event.documentId", badId["field"]!.GetValue<string>());
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "unknown_field", await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", """{ "params": {} }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "function_not_found", await fixture.Admin.PostJsonAsync($"{Base}/{FunctionServerFixture.NewName()}/run", "{}"));
    }

    [Fact]
    public async Task Runs_ArePagedNewestFirst_AndFiltered()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            fixture.Runtime.Handlers[name] = (_, _) => i % 2 == 0 ? FakeFunctionRuntime.Succeeded(i) : FakeFunctionRuntime.Failed("odd");
            var run = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", $$"""{ "args": {{i}} }"""));
            ids.Add(run!["id"]!.GetValue<string>());
            fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/runs?limit=2{(cursor is null ? string.Empty : "&cursor=" + cursor)}", Ct));
            Assert.True(page!["items"]!.AsArray().Count <= 2);
            seen.AddRange(page["items"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        Assert.Equal(Enumerable.Reverse(ids), seen);

        var failed = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/runs?status=failed", Ct));
        Assert.Equal([ids[3], ids[1]], failed!["items"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
        var dead = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/runs?deadLetter=true", Ct));
        Assert.Empty(dead!["items"]!.AsArray());

        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_status", await fixture.Admin.GetAsync($"{Base}/{name}/runs?status=broken", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_limit", await fixture.Admin.GetAsync($"{Base}/{name}/runs?limit=0", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_cursor", await fixture.Admin.GetAsync($"{Base}/{name}/runs?cursor=nope", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_deadLetter", await fixture.Admin.GetAsync($"{Base}/{name}/runs?deadLetter=yes", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "unknown_parameter", await fixture.Admin.GetAsync($"{Base}/{name}/runs?sort=asc", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "run_not_found", await fixture.Admin.GetAsync($"{Base}/{name}/runs/000000000000000000000000", Ct));
    }

    [Fact]
    public async Task DeadLetter_IsMarkedOnTheLastAttempt_AndRetryReplaysOnTheCurrentVersion()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        fixture.Runtime.Handlers[name] = (_, _) => FakeFunctionRuntime.Failed("downstream 500");
        var executor = fixture.Server.Services.GetRequiredService<IFunctionExecutor>();
        var catalog = fixture.Server.Services.GetRequiredService<IFunctionCatalog>();
        var definition = (await catalog.GetAsync(name, Ct))!;
        var evt = new FunctionEvent("evt-42", TriggerOperation.Create, "orders", "o42", null, new JsonObject { ["total"] = 5 });
        var first = await executor.ExecuteAsync(definition, new FunctionInvocation { RunId = FunctionExecutor.NewRunId(), Trigger = RunTrigger.Document, Event = evt, LastAttempt = false }, Ct);
        Assert.False(first.DeadLetter);
        var last = await executor.ExecuteAsync(definition, new FunctionInvocation { RunId = FunctionExecutor.NewRunId(), Trigger = RunTrigger.Document, Event = evt, Attempt = 2, LastAttempt = true }, Ct);
        Assert.True(last.DeadLetter);

        var dead = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/runs?deadLetter=true", Ct));
        Assert.Equal(last.Id, Assert.Single(dead!["items"]!.AsArray())!["id"]!.GetValue<string>());

        // Fix the function (version 2), then replay the dead letter: same event, attempt 3, version 2.
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "fixed" }"""));
        fixture.Runtime.Handlers[name] = (invocation, _) => FakeFunctionRuntime.Succeeded(invocation.Event!.Id);
        var retried = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostAsync($"{Base}/{name}/runs/{last.Id}/retry", null, Ct));
        Assert.Equal("succeeded", retried!["status"]!.GetValue<string>());
        Assert.Equal(3, retried["attempt"]!.GetValue<int>());
        Assert.Equal(2, retried["version"]!.GetValue<int>());
        Assert.Equal("evt-42", retried["eventId"]!.GetValue<string>());
        Assert.Equal("document", retried["trigger"]!.GetValue<string>());
        Assert.NotEqual(last.Id, retried["id"]!.GetValue<string>());

        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "run_not_found", await fixture.Admin.PostAsync($"{Base}/{name}/runs/000000000000000000000000/retry", null, Ct));
        var other = await fixture.CreateAsync(cancellationToken: Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "run_not_found", await fixture.Admin.PostAsync($"{Base}/{other}/runs/{last.Id}/retry", null, Ct));
    }

    [Fact]
    public async Task Retry_OfARunThatSucceededOrWasRejected_Is409_AndRunsNothing()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        var calls = 0;
        fixture.Runtime.Handlers[name] = (_, _) => { Interlocked.Increment(ref calls); return FakeFunctionRuntime.Succeeded("done"); };
        var succeeded = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", "{}"));
        fixture.Runtime.Handlers[name] = (_, _) => { Interlocked.Increment(ref calls); return FakeFunctionRuntime.Rejected(403, "no"); };
        var rejected = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", "{}"));
        fixture.Runtime.Handlers[name] = (_, _) => { Interlocked.Increment(ref calls); return FakeFunctionRuntime.TimedOut(); };
        var timedOut = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", "{}"));
        Assert.Equal(("succeeded", "rejected", "timedOut"), (succeeded!["status"]!.GetValue<string>(), rejected!["status"]!.GetValue<string>(), timedOut!["status"]!.GetValue<string>()));

        foreach (var run in new[] { succeeded, rejected })
        {
            var problem = await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "run_not_retryable", await fixture.Admin.PostAsync($"{Base}/{name}/runs/{run["id"]}/retry", null, Ct));
            Assert.Equal("id", problem["field"]!.GetValue<string>());
        }

        Assert.Equal(3, calls);
        var runs = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/runs?status=succeeded", Ct));
        Assert.Single(runs!["items"]!.AsArray());

        // A timed-out run is one that did not get done: it is replayed.
        var retried = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostAsync($"{Base}/{name}/runs/{timedOut["id"]}/retry", null, Ct));
        Assert.Equal(2, retried!["attempt"]!.GetValue<int>());
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task ManualRun_AndRetry_AreInTheAuditLog_WithoutArgsOrResult()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        fixture.Runtime.Handlers[name] = (_, _) => FakeFunctionRuntime.Failed("first try fails");
        var run = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", """{ "args": { "card": "4111-args-never-audited" } }"""));
        var runId = run!["id"]!.GetValue<string>();
        fixture.Runtime.Handlers[name] = (_, _) => FakeFunctionRuntime.Succeeded("result-never-audited");
        var retried = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostAsync($"{Base}/{name}/runs/{runId}/retry", null, Ct));

        // A refused run or retry is no write: nothing is recorded for it.
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "unknown_field", await fixture.Admin.PostJsonAsync($"{Base}/{name}/run", """{ "params": {} }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "run_not_found", await fixture.Admin.PostAsync($"{Base}/{name}/runs/000000000000000000000000/retry", null, Ct));

        using var response = await fixture.Admin.GetAsync($"/api/admin/audit?target=functions/{name}", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("never-audited", text, StringComparison.Ordinal);
        var items = JsonNode.Parse(text)!["items"]!.AsArray();
        Assert.Equal(["functions.retry", "functions.run", "functions.create"], items.Select(i => i!["action"]!.GetValue<string>()));

        var retry = items[0]!;
        Assert.Equal("apikey:tests", retry["actor"]!.GetValue<string>());
        Assert.Equal(runId, retry["before"]!["runId"]!.GetValue<string>());
        Assert.Equal(retried!["id"]!.GetValue<string>(), retry["after"]!["runId"]!.GetValue<string>());
        Assert.Equal((2, "succeeded"), (retry["after"]!["attempt"]!.GetValue<int>(), retry["after"]!["status"]!.GetValue<string>()));

        var manual = items[1]!;
        Assert.Equal(BaasTestServer.AdminEmail, manual["actor"]!.GetValue<string>());
        Assert.Null(manual["before"]);
        Assert.Equal(runId, manual["after"]!["runId"]!.GetValue<string>());
        Assert.Equal((1, 1, "failed"), (manual["after"]!["version"]!.GetValue<int>(), manual["after"]!["attempt"]!.GetValue<int>(), manual["after"]!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Secrets_AreListedWithoutValues_ReachCtxEnv_AndAreMaskedEverywhere()
    {
        var secret = "S" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var value = "sk_live_" + Guid.NewGuid().ToString("N");
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/secrets/{secret}", $$"""{ "value": "{{value}}" }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Base}/secrets/{secret}", $$"""{ "value": "{{value}}" }"""));

        var list = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/secrets", Ct));
        var item = Assert.Single(list!["items"]!.AsArray(), s => s!["name"]!.GetValue<string>() == secret)!;
        Assert.NotNull(item["createdAt"]);
        Assert.NotNull(item["updatedAt"]);
        Assert.DoesNotContain(value, list.ToJsonString(), StringComparison.Ordinal);

        var name = await fixture.CreateAsync("""  "callable": {}""", cancellationToken: Ct);
        fixture.Runtime.Handlers[name] = (_, env) => env[secret] == value
            ? FakeFunctionRuntime.Succeeded(new JsonObject { ["key"] = "key is " + env[secret] }, "using " + env[secret])
            : FakeFunctionRuntime.Failed("secret missing");
        var answer = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync($"/api/functions/{name}", "{}"));
        Assert.Equal("key is ***", answer!["result"]!["key"]!.GetValue<string>());
        var runs = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/runs", Ct));
        Assert.DoesNotContain(value, runs!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("using ***", runs["items"]![0]!["logs"]![0]!.GetValue<string>());

        fixture.Runtime.Handlers[name] = (_, env) => FakeFunctionRuntime.Failed("auth failed for " + env[secret], 1, 2);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "function_failed", await fixture.Service.PostJsonAsync($"/api/functions/{name}", "{}"));
        Assert.DoesNotContain(value, problem.ToJsonString(), StringComparison.Ordinal);

        // Stored encrypted: the raw document does not hold the value.
        var store = fixture.Server.Services.GetRequiredService<Platform.Server.Storage.IDocumentStore>();
        var raw = await store.GetAsync("_function_secrets", secret, Ct);
        Assert.DoesNotContain(value, raw!.ToJsonString(), StringComparison.Ordinal);

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Admin.DeleteAsync($"{Base}/secrets/{secret}", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "secret_not_found", await fixture.Admin.DeleteAsync($"{Base}/secrets/{secret}", Ct));
    }

    [Theory]
    [InlineData("lower", """{ "value": "x" }""", "invalid_secret_name")]
    [InlineData("OK_NAME", """{ "value": "" }""", "invalid_secret")]
    [InlineData("OK_NAME", """{ "value": 5 }""", "invalid_secret")]
    [InlineData("OK_NAME", """{ "value": "x", "note": "y" }""", "unknown_field")]
    [InlineData("1ABC", """{ "value": "x" }""", "invalid_secret_name")]
    public async Task Secrets_BadInput_Is400(string name, string body, string code) =>
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/secrets/{name}", body));

    /// <summary>A request body of blanks after '[', of a length the client does not announce.</summary>
    private sealed class BlankStream(long length) : Stream
    {
        private long _sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _sent);
            buffer.AsSpan(offset, n).Fill((byte)' ');
            if (_sent == 0 && n > 0)
            {
                buffer[offset] = (byte)'[';
            }

            _sent += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
