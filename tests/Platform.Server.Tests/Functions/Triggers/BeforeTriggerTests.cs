using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>A real server with the Jint runtime and a short before-trigger budget (so timeouts are quick to prove).</summary>
public sealed class BeforeTriggerFixture : ServerFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Baas:Functions:BeforeTriggerTimeout"] = "00:00:02",
    };

    /// <summary>Saves a function whose code is <paramref name="code"/> with a before trigger on <paramref name="collection"/>; returns its name.</summary>
    public async Task<string> BeforeTriggerAsync(string collection, string code, string[]? on = null, JsonObject? extra = null, CancellationToken cancellationToken = default)
    {
        var name = FunctionServerFixture.NewName("before");
        var body = new JsonObject
        {
            ["name"] = name,
            ["code"] = code,
            ["triggers"] = new JsonArray(new JsonObject
            {
                ["collection"] = collection,
                ["on"] = new JsonArray([.. (on ?? ["create", "update"]).Select(o => (JsonNode)o)]),
                ["phase"] = "before",
            }),
        };
        foreach (var (key, value) in extra ?? [])
        {
            body[key] = value?.DeepClone();
        }

        using var response = await Service.PostAsJsonAsync("/api/admin/functions", body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Saving {name} failed: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return name;
    }

    /// <summary>A client signed in as a new app user.</summary>
    public async Task<HttpClient> NewUserAsync(CancellationToken cancellationToken = default)
    {
        var client = Server.CreateClient();
        using var response = await client.PostAsJsonAsync("/api/auth/signup", new { email = FunctionServerFixture.NewName("u") + "@test.local", password = "Sign-up-Passw0rd!" }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["accessToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary><c>before</c> triggers in the document write path (DESIGN.md section 9, docs/functions-before.md), end to end over HTTP with real JavaScript.</summary>
public sealed class BeforeTriggerTests(BeforeTriggerFixture fixture) : IClassFixture<BeforeTriggerFixture>
{
    /// <summary>The example of docs/functions-before.md: lower-cases <c>email</c> and rejects a document without one.</summary>
    private const string EmailTrigger = """
        export default async function (ctx) {
          const data = ctx.event.data;
          if (typeof data.email !== "string" || data.email.length === 0) {
            ctx.reject(400, "email is required");
          }
          return { data: { ...data, email: data.email.toLowerCase() } };
        }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Service => fixture.Service;

    private static string Docs(string collection) => $"/api/collections/{collection}/documents";

    private async Task<int> CountAsync(string collection)
    {
        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.GetAsync($"{Docs(collection)}?count=true", Ct));
        return page!["count"]!.GetValue<int>();
    }

    private async Task<JsonArray> RunsAsync(string function)
    {
        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/functions/{function}/runs", Ct));
        return page!["items"]!.AsArray();
    }

    [Fact]
    public async Task Create_TheTriggersDataIsStored_AndItsRunIsRecordedSlim()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var function = await fixture.BeforeTriggerAsync(c, """
            export default async function (ctx) {
              const data = ctx.event.data;
              ctx.log(data.email, data._version, ctx.event.before === null);
              return { data: { ...data, email: data.email.toLowerCase() } };
            }
            """, cancellationToken: Ct);

        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "_id": "a1", "email": "Ada@Example.COM", "name": "Ada" }"""));
        Assert.Equal(("a1", "ada@example.com", "Ada", 1L), (created!["_id"]!.GetValue<string>(), created["email"]!.GetValue<string>(), created["name"]!.GetValue<string>(), created["_version"]!.GetValue<long>()));
        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.GetAsync($"{Docs(c)}/a1", Ct));
        Assert.Equal("ada@example.com", stored!["email"]!.GetValue<string>());

        // ctx.event.data is the document as it would be stored, system fields included; there is no before.
        var run = Assert.Single(await RunsAsync(function))!.AsObject();
        Assert.Equal(("succeeded", "document"), (run["status"]!.GetValue<string>(), run["trigger"]!.GetValue<string>()));
        Assert.Equal(["Ada@Example.COM 1 true"], run["logs"]!.AsArray().Select(l => l!.GetValue<string>()));

        // A successful run's record names the event but does not copy the documents: the stored document holds them
        // (docs/functions-before.md, Run records). The result stays, as in every run record.
        var evt = run["event"]!.AsObject();
        Assert.Equal(("create", c, "a1", run["eventId"]!.GetValue<string>()), (evt["type"]!.GetValue<string>(), evt["collection"]!.GetValue<string>(), evt["documentId"]!.GetValue<string>(), evt["id"]!.GetValue<string>()));
        Assert.Null(evt["data"]);
        Assert.Null(evt["before"]);
        Assert.Equal("ada@example.com", run["result"]!["data"]!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task WritesThatFailAfterTheTriggerSucceeded_KeepNoRunRecord()
    {
        var schema = new { type = "object", properties = new { n = new { type = "integer", maximum = 10 } } };
        var c = await fixture.NewCollectionAsync(schema, cancellationToken: Ct);
        var function = await fixture.BeforeTriggerAsync(c, "export default async function (ctx) { return { data: { ...ctx.event.data, seen: true } }; }", cancellationToken: Ct);

        // The schema refuses what the trigger returned; in the batch, the second op's schema fails the first op too.
        await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation", await Service.PostJsonAsync(Docs(c), """{ "n": 11 }"""));
        var batch = $$"""{ "ops": [ { "op": "create", "collection": "{{c}}", "data": { "n": 1 } }, { "op": "create", "collection": "{{c}}", "data": { "n": 12 } } ] }""";
        using (var refused = await Service.PostJsonAsync("/api/batch", batch))
        {
            Assert.False(refused.IsSuccessStatusCode);
        }

        Assert.Equal(0, await CountAsync(c));
        Assert.Empty(await RunsAsync(function));

        // The write that commits is the one whose run is recorded.
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "n": 3 }"""));
        Assert.Single(await RunsAsync(function));
    }

    [Fact]
    public async Task Update_SeesTheStoredDocumentAsBefore_AndCanChangeThePatchedData()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "_id": "u1", "n": 1 }"""));
        var function = await fixture.BeforeTriggerAsync(c, """
            export default async function (ctx) {
              return { data: { ...ctx.event.data, previous: ctx.event.before.n, type: ctx.event.type } };
            }
            """, on: ["update"], cancellationToken: Ct);

        var patched = await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/u1", """{ "$inc": { "n": 5 } }"""));
        Assert.Equal((6, 1, "update", 2L), (patched!["n"]!.GetValue<int>(), patched["previous"]!.GetValue<int>(), patched["type"]!.GetValue<string>(), patched["_version"]!.GetValue<long>()));

        // Creates are not its business: only the operations of its trigger run it.
        var other = await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "n": 1 }"""));
        Assert.Null(other!["previous"]);
        Assert.Single(await RunsAsync(function));
    }

    [Fact]
    public async Task ReturningNothing_KeepsTheData()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await fixture.BeforeTriggerAsync(c, "export default async function (ctx) { ctx.log('seen', ctx.event.data.n); }", cancellationToken: Ct);
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "n": 7 }"""));
        Assert.Equal(7, created!["n"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(400)]
    [InlineData(409)]
    public async Task Reject_IsAProblemWithTheStatusAndMessage_AndNothingIsWritten(int status)
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var function = await fixture.BeforeTriggerAsync(c, $$"""export default async function (ctx) { if (ctx.event.data.bad) ctx.reject({{status}}, "bad document"); }""", cancellationToken: Ct);

        var problem = await HttpAssert.ProblemAsync((HttpStatusCode)status, "rejected_by_function", await Service.PostJsonAsync(Docs(c), """{ "_id": "r1", "bad": true }"""));
        Assert.Equal("bad document", problem["detail"]!.GetValue<string>());
        Assert.Equal(function, problem["function"]!.GetValue<string>());
        Assert.Equal(0, await CountAsync(c));

        // The refused run is recorded, with its rejection.
        var run = Assert.Single(await RunsAsync(function))!.AsObject();
        Assert.Equal(problem["runId"]!.GetValue<string>(), run["id"]!.GetValue<string>());
        Assert.Equal(("rejected", status, false), (run["status"]!.GetValue<string>(), run["rejection"]!["status"]!.GetValue<int>(), run["deadLetter"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Reject_OfADelete_KeepsTheDocument()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "_id": "keep", "locked": true }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "_id": "drop", "locked": false }"""));
        await fixture.BeforeTriggerAsync(c, """export default async function (ctx) { if (ctx.event.before.locked) ctx.reject(403, "locked"); }""", on: ["delete"], cancellationToken: Ct);

        // A service key skips the rules, not the business logic.
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "rejected_by_function", await Service.DeleteAsync($"{Docs(c)}/keep", Ct));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.GetAsync($"{Docs(c)}/keep", Ct));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await Service.DeleteAsync($"{Docs(c)}/drop", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await Service.DeleteAsync($"{Docs(c)}/missing", Ct));
    }

    [Theory]
    [InlineData("throw new Error('boom');", "failed", "boom")]
    [InlineData("while (true) {}", "timedOut", "")]
    [InlineData("await new Promise(() => {});", "failed", "never settled")]
    [InlineData("return { data: { f: () => 1 } };", "failed", "not JSON")]
    [InlineData("return { email: 'x' };", "failed", "{ data: {...} }")]
    [InlineData("return 'yes';", "failed", "a string")]
    public async Task AFailingTrigger_RefusesTheWrite_WithItsRun(string body, string runStatus, string message)
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var function = await fixture.BeforeTriggerAsync(c, $"export default async function (ctx) {{ {body} }}", cancellationToken: Ct);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "before_trigger_failed", await Service.PostJsonAsync(Docs(c), """{ "_id": "f1" }"""));
        Assert.Equal((function, runStatus), (problem["function"]!.GetValue<string>(), problem["runStatus"]!.GetValue<string>()));
        Assert.Contains(message, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(c));
        var run = Assert.Single(await RunsAsync(function))!.AsObject();
        Assert.Equal((problem["runId"]!.GetValue<string>(), runStatus, false), (run["id"]!.GetValue<string>(), run["status"]!.GetValue<string>(), run["deadLetter"]!.GetValue<bool>()));

        // A refused write's run keeps the document it was given, to see why.
        Assert.Equal("f1", run["event"]!["data"]!["_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_RunsThemPerOp_AndOneRefusalFailsTheWholeBatchWithItsIndex()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await fixture.BeforeTriggerAsync(c, EmailTrigger, cancellationToken: Ct);

        var batch = $$"""{ "ops": [ { "op": "create", "collection": "{{c}}", "data": { "_id": "b1", "email": "ONE@X.IO" } }, { "op": "create", "collection": "{{c}}", "data": { "_id": "b2" } } ] }""";
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "rejected_by_function", await Service.PostJsonAsync("/api/batch", batch));
        Assert.Equal(1, problem["opIndex"]!.GetValue<int>());
        Assert.Equal(0, await CountAsync(c));

        var ok = $$"""{ "ops": [ { "op": "create", "collection": "{{c}}", "data": { "_id": "b1", "email": "ONE@X.IO" } }, { "op": "patch", "collection": "{{c}}", "id": "b1", "data": { "email": "Two@X.IO" } } ] }""";
        var results = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.PostJsonAsync("/api/batch", ok)))!["results"]!.AsArray();
        Assert.Equal(["one@x.io", "two@x.io"], results.Select(r => r!["document"]!["email"]!.GetValue<string>()));
    }

    [Fact]
    public async Task TheSchema_IsCheckedOnWhatTheTriggerReturns()
    {
        var schema = new { type = "object", required = new[] { "slug" }, properties = new { slug = new { type = "string", pattern = "^[a-z-]+$" } } };
        var c = await fixture.NewCollectionAsync(schema, cancellationToken: Ct);
        await fixture.BeforeTriggerAsync(c, """
            export default async function (ctx) {
              const d = ctx.event.data;
              return { data: { ...d, slug: d.title === "bad" ? 42 : d.title.toLowerCase().replaceAll(" ", "-") } };
            }
            """, cancellationToken: Ct);

        // The client's body lacks the required slug; the trigger's result has it.
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "title": "Hello World" }"""));
        Assert.Equal("hello-world", created!["slug"]!.GetValue<string>());

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation", await Service.PostJsonAsync(Docs(c), """{ "title": "bad" }"""));
        Assert.Equal("slug", problem["field"]!.GetValue<string>());
        Assert.Equal(1, await CountAsync(c));
    }

    [Fact]
    public async Task SystemFields_StayTheServers()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await fixture.BeforeTriggerAsync(c, """
            export default async function (ctx) {
              return { data: { ...ctx.event.data, _id: "other", _version: 99, _createdBy: "mallory", _createdAt: "2000-01-01T00:00:00.000Z", n: 1 } };
            }
            """, cancellationToken: Ct);
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "_id": "s1", "n": 0 }"""));
        Assert.Equal(("s1", 1L, 1), (created!["_id"]!.GetValue<string>(), created["_version"]!.GetValue<long>(), created["n"]!.GetValue<int>()));
        Assert.Null(created["_createdBy"]);
        Assert.NotEqual("2000-01-01T00:00:00.000Z", created["_createdAt"]!.GetValue<string>());
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await Service.GetAsync($"{Docs(c)}/other", Ct));
    }

    [Fact]
    public async Task AppUsers_AndAdmins_RunThemToo_AndCtxAuthIsTheWriter()
    {
        var c = "c" + Guid.NewGuid().ToString("N")[..12];
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync("/api/admin/collections", $$"""{ "name": "{{c}}", "rules": { "create": "auth != null", "get": "true" } }"""));
        await fixture.BeforeTriggerAsync(c, "export default async function (ctx) { return { data: { ...ctx.event.data, by: ctx.auth ? ctx.auth.id : 'privileged' } }; }", cancellationToken: Ct);
        using var user = await fixture.NewUserAsync(Ct);

        var mine = await HttpAssert.StatusAsync(HttpStatusCode.Created, await user.PostJsonAsync(Docs(c), "{}"));
        Assert.Equal(mine!["_createdBy"]!.GetValue<string>(), mine["by"]!.GetValue<string>());
        var admins = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Docs(c), "{}"));
        Assert.Equal("privileged", admins!["by"]!.GetValue<string>());
    }

    [Fact]
    public async Task ItsOwnWrites_ThroughCtxDb_DoNotRunItAgain()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var function = await fixture.BeforeTriggerAsync(c, $$"""
            export default async function (ctx) {
              const audit = await ctx.db.collection("{{c}}").insert({ kind: "audit", of: ctx.event.documentId });
              return { data: { ...ctx.event.data, stamped: true, audit: audit._id } };
            }
            """, on: ["create"], cancellationToken: Ct);

        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), """{ "_id": "main" }"""));
        Assert.True(created!["stamped"]!.GetValue<bool>());
        var audit = await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.GetAsync($"{Docs(c)}/{created["audit"]!.GetValue<string>()}", Ct));
        Assert.Equal("main", audit!["of"]!.GetValue<string>());
        Assert.Null(audit["stamped"]);
        Assert.Equal(2, await CountAsync(c));
        Assert.Single(await RunsAsync(function));
    }

    [Fact]
    public async Task AChainOfTriggersWritingToEachOther_StopsAtTheChainDepth_AndNothingIsWritten()
    {
        var a = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var b = await fixture.NewCollectionAsync(cancellationToken: Ct);

        // Each trigger writes to the other's collection: without the limit this would never end.
        await fixture.BeforeTriggerAsync(a, $$"""export default async function (ctx) { await ctx.db.collection("{{b}}").insert({}); }""", on: ["create"], cancellationToken: Ct);
        await fixture.BeforeTriggerAsync(b, $$"""export default async function (ctx) { await ctx.db.collection("{{a}}").insert({}); }""", on: ["create"], cancellationToken: Ct);

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "before_trigger_failed", await Service.PostJsonAsync(Docs(a), "{}"));
        Assert.Contains("chain_depth_exceeded", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal((0, 0), (await CountAsync(a), await CountAsync(b)));
    }

    [Fact]
    public async Task ImportsAndBulkUpdates_RunThemPerDocument_AndARefusedRowIsReportedAsFailed()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await fixture.BeforeTriggerAsync(c, EmailTrigger, cancellationToken: Ct);

        using var rows = new StringContent("{\"_id\":\"i1\",\"email\":\"A@X.IO\"}\n{\"_id\":\"i2\"}\n{\"_id\":\"i3\",\"email\":\"C@X.IO\"}", System.Text.Encoding.UTF8, "application/x-ndjson");
        var import = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostAsync($"/api/admin/collections/{c}/import?format=ndjson&mode=insert", rows, Ct));
        Assert.Equal((2, 1), (import!["inserted"]!.GetValue<int>(), import["failed"]!.GetValue<int>()));
        Assert.Equal((2, "rejected_by_function"), (import["errors"]![0]!["row"]!.GetValue<int>(), import["errors"]![0]!["code"]!.GetValue<string>()));
        var i1 = await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.GetAsync($"{Docs(c)}/i1", Ct));
        Assert.Equal("a@x.io", i1!["email"]!.GetValue<string>());

        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"/api/admin/collections/{c}/bulk", """{"filter":{},"action":"update","update":{"$set":{"email":"SAME@X.IO"}},"dryRun":false}"""));
        var i3 = await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.GetAsync($"{Docs(c)}/i3", Ct));
        Assert.Equal("same@x.io", i3!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task DisabledOrDeletedFunctions_NoLongerRun()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var function = await fixture.BeforeTriggerAsync(c, "export default async function (ctx) { ctx.reject(400, 'closed'); }", cancellationToken: Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "rejected_by_function", await Service.PostJsonAsync(Docs(c), "{}"));

        await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.SendJsonAsync(HttpMethod.Put, $"/api/admin/functions/{function}", $$"""{ "code": "export default async function (ctx) { ctx.reject(400, 'closed'); }", "enabled": false, "triggers": [ { "collection": "{{c}}", "on": ["create"], "phase": "before" } ] }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), "{}"));

        await HttpAssert.StatusAsync(HttpStatusCode.OK, await Service.SendJsonAsync(HttpMethod.Put, $"/api/admin/functions/{function}", $$"""{ "code": "export default async function (ctx) { ctx.reject(400, 'closed'); }", "triggers": [ { "collection": "{{c}}", "on": ["create"], "phase": "before" } ] }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "rejected_by_function", await Service.PostJsonAsync(Docs(c), "{}"));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await Service.DeleteAsync($"/api/admin/functions/{function}", Ct));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await Service.PostJsonAsync(Docs(c), "{}"));
    }
}
