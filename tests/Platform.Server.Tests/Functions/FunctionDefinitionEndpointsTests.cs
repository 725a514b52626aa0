using System.Net;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions;

/// <summary><c>/api/admin/functions</c>: definitions, versions, rollback, preconditions and every refused input changing nothing.</summary>
public sealed class FunctionDefinitionEndpointsTests(FunctionServerFixture fixture) : IClassFixture<FunctionServerFixture>
{
    private const string Base = "/api/admin/functions";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_Get_List_Update_Delete_RoundTrip()
    {
        var name = FunctionServerFixture.NewName();
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Base, $$"""
            { "name": "{{name}}", "code": "export default async function (ctx) { return 1; }",
              "triggers": [ { "collection": "orders", "on": ["create"] } ], "callable": {}, "fetchAllowlist": ["api.example.com"] }
            """));
        Assert.Equal(1, created!["version"]!.GetValue<int>());
        Assert.Equal("after", created["triggers"]![0]!["phase"]!.GetValue<string>());
        Assert.Null(created["callable"]!["invokeRule"]);
        Assert.Equal(BaasTestServer.AdminEmail, created["updatedBy"]!.GetValue<string>());
        Assert.Null(created["nextRuns"]);

        using var get = await fixture.Admin.GetAsync($"{Base}/{name}", Ct);
        var read = await HttpAssert.StatusAsync(HttpStatusCode.OK, get);
        Assert.Equal("\"1\"", get.Headers.ETag!.ToString());
        Assert.Equal(created.ToJsonString(), read!.ToJsonString());

        var list = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync(Base, Ct));
        Assert.Contains(list!["items"]!.AsArray(), item => item!["name"]!.GetValue<string>() == name);

        var updated = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "export default async function (ctx) { return 2; }", "enabled": false }"""));
        Assert.Equal(2, updated!["version"]!.GetValue<int>());
        Assert.False(updated["enabled"]!.GetValue<bool>());
        Assert.Empty(updated["triggers"]!.AsArray());
        Assert.Equal("apikey:tests", updated["updatedBy"]!.GetValue<string>());

        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Admin.DeleteAsync($"{Base}/{name}", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "function_not_found", await fixture.Admin.GetAsync($"{Base}/{name}", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "function_not_found", await fixture.Admin.DeleteAsync($"{Base}/{name}", Ct));

        // A new function of the same name starts again at version 1, without the old history.
        await fixture.CreateAsync(name: name, cancellationToken: Ct);
        var versions = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/versions", Ct));
        Assert.Single(versions!["items"]!.AsArray());
    }

    [Fact]
    public async Task Create_Twice_Is409()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Conflict, "function_exists", await fixture.Admin.PostJsonAsync(Base, $$"""{ "name": "{{name}}", "code": "x" }"""));
    }

    [Fact]
    public async Task Schedule_IsSaved_AndShowsTheNextFiveRunsInItsZone()
    {
        // Scheduled runs themselves: Functions/Schedules/ScheduleServerTests.
        var name = FunctionServerFixture.NewName();
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync(Base,
            $$"""{ "name": "{{name}}", "code": "export default async function (ctx) { return 1; }", "schedule": { "cron": "0 3 * * *", "timeZone": "Europe/Berlin" } }"""));
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var nextRuns = created!["nextRuns"]!.AsArray().Select(n => DateTimeOffset.Parse(n!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(5, nextRuns.Count);
        Assert.All(nextRuns, n => Assert.Equal(new TimeSpan(3, 0, 0), TimeZoneInfo.ConvertTime(n, berlin).TimeOfDay));

        // An existing function gains one with a new version.
        var existing = await fixture.CreateAsync(cancellationToken: Ct);
        var saved = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{existing}", """{ "code": "export default async function (ctx) { return 2; }", "schedule": { "cron": "* * * * *" } }"""));
        Assert.Equal((2, "UTC"), (saved!["version"]!.GetValue<int>(), saved["schedule"]!["timeZone"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AdminWrites_AreInTheAuditLog_AndSecretValuesNeverAre()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "export default async function (ctx) { return 2; }" }"""));
        var secret = "AUDIT_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        using (var set = await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/secrets/{secret}", """{ "value": "s3cret-value-never-logged" }"""))
        {
            Assert.True(set.IsSuccessStatusCode);
        }

        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/audit?target=functions/{name}", Ct));
        var actions = page!["items"]!.AsArray().Select(i => i!["action"]!.GetValue<string>()).ToList();
        Assert.Equal(["functions.update", "functions.create"], actions);

        var secrets = await fixture.Admin.GetStringAsync($"/api/admin/audit?target=functions/secrets/{secret}", Ct);
        Assert.Contains("functions.secrets.create", secrets, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value-never-logged", secrets, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Versions_AndRollback_MakeANewVersionWithTheOldContent()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "v2", "retries": 7 }"""));
        var versions = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/versions", Ct));
        Assert.Equal([2, 1], versions!["items"]!.AsArray().Select(v => v!["version"]!.GetValue<int>()));
        Assert.Equal("v2", versions["items"]![0]!["code"]!.GetValue<string>());

        var rolled = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"{Base}/{name}/rollback", """{ "version": 1 }"""));
        Assert.Equal(3, rolled!["version"]!.GetValue<int>());
        Assert.Equal("export default async function (ctx) { return 1; }", rolled["code"]!.GetValue<string>());
        Assert.Equal(3, rolled["retries"]!.GetValue<int>());

        var after = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/versions", Ct));
        Assert.Equal([3, 2, 1], after!["items"]!.AsArray().Select(v => v!["version"]!.GetValue<int>()));

        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "version_not_found", await fixture.Admin.PostJsonAsync($"{Base}/{name}/rollback", """{ "version": 9 }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_version", await fixture.Admin.PostJsonAsync($"{Base}/{name}/rollback", """{ "version": "1" }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "unknown_field", await fixture.Admin.PostJsonAsync($"{Base}/{name}/rollback", """{ "version": 1, "force": true }"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "function_not_found", await fixture.Admin.PostJsonAsync($"{Base}/{FunctionServerFixture.NewName()}/rollback", """{ "version": 1 }"""));
        await AssertVersionsAsync(name, 3);
    }

    [Fact]
    public async Task Rollback_VersionWrittenAsAnIntegralNumber_IsThatVersion_AndAFractionIsRefused()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "v2" }"""));

        // A JavaScript client's 1 may arrive as 1.0: the same number.
        var rolled = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"{Base}/{name}/rollback", """{ "version": 1.0 }"""));
        Assert.Equal(3, rolled!["version"]!.GetValue<int>());
        Assert.Equal("export default async function (ctx) { return 1; }", rolled["code"]!.GetValue<string>());

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_version", await fixture.Admin.PostJsonAsync($"{Base}/{name}/rollback", """{ "version": 1.5 }"""));
        Assert.Equal("version", problem["field"]!.GetValue<string>());
        await AssertVersionsAsync(name, 3);
    }

    [Fact]
    public async Task Put_WithIfMatch_Is412OnAnotherVersion_AndChangesNothing()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        using var ok = await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "v2" }""", ifMatch: "\"1\"");
        await HttpAssert.StatusAsync(HttpStatusCode.OK, ok);
        Assert.Equal("\"2\"", ok.Headers.ETag!.ToString());

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "v3" }""", ifMatch: "\"1\""));
        Assert.Equal(2, problem["currentVersion"]!.GetValue<int>());

        // A weak tag never matches, not even of the current version (RFC 9110, 13.1.1: If-Match compares strongly).
        var weak = await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "v3" }""", ifMatch: "W/\"2\""));
        Assert.Equal(2, weak["currentVersion"]!.GetValue<int>());
        await AssertVersionsAsync(name, 2);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "function_not_found", await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{FunctionServerFixture.NewName()}", """{ "code": "x" }"""));
    }

    [Fact]
    public async Task Rollback_WithIfMatch_Is412OnAnotherVersion_AndChangesNothing_AsASaveIs()
    {
        // The rollback took no If-Match: a page opened at version 2 replaced a version 3 saved meanwhile without a word.
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "v2" }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "v3" }"""));

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Admin.SendJsonAsync(HttpMethod.Post, $"{Base}/{name}/rollback", """{ "version": 1 }""", ifMatch: "\"2\""));
        Assert.Equal(3, problem["currentVersion"]!.GetValue<int>());
        await AssertVersionsAsync(name, 3);
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_precondition", await fixture.Admin.SendJsonAsync(HttpMethod.Post, $"{Base}/{name}/rollback", """{ "version": 1 }""", ifMatch: "v3"));
        await AssertVersionsAsync(name, 3);

        using var rolled = await fixture.Admin.SendJsonAsync(HttpMethod.Post, $"{Base}/{name}/rollback", """{ "version": 1 }""", ifMatch: "\"3\"");
        Assert.Equal(4, (await HttpAssert.StatusAsync(HttpStatusCode.OK, rolled))!["version"]!.GetValue<int>());
        Assert.Equal("\"4\"", rolled.Headers.ETag!.ToString());
        await AssertVersionsAsync(name, 4);
    }

    [Fact]
    public async Task Delete_WithIfMatch_Is412OnAnotherVersion_AndDeletesNothing()
    {
        // The delete took no If-Match: an admin who opened version 1 deleted a version 2 saved meanwhile without a word.
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "v2" }"""));

        using (var stale = new HttpRequestMessage(HttpMethod.Delete, $"{Base}/{name}"))
        {
            stale.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
            var problem = await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Admin.SendAsync(stale, Ct));
            Assert.Equal(2, problem["currentVersion"]!.GetValue<int>());
        }

        await AssertVersionsAsync(name, 2);
        using (var current = new HttpRequestMessage(HttpMethod.Delete, $"{Base}/{name}"))
        {
            current.Headers.TryAddWithoutValidation("If-Match", "\"2\"");
            await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Admin.SendAsync(current, Ct));
        }

        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "function_not_found", await fixture.Admin.GetAsync($"{Base}/{name}", Ct));
    }

    public static TheoryData<string, string, string> BadUpdates => new()
    {
        { """{ "code": "x", "timeout": 5 }""", "unknown_field", "timeout" },
        { """{ "code": "let a = 1;\nlet b = SYNTAX_ERROR;" }""", "invalid_code", "code" },
        { """{ "code": "x", "schedule": { "cron": "0 3 * *" } }""", "invalid_schedule", "schedule.cron" },
        { """{ "code": "x", "schedule": { "cron": "0 3 * * *", "timeZone": "Europe/Atlantis" } }""", "invalid_schedule", "schedule.timeZone" },
        { """{ "code": "x", "timeoutSeconds": 100000 }""", "invalid_limit", "timeoutSeconds" },
        { """{ "code": "x", "memoryMb": 0 }""", "invalid_limit", "memoryMb" },
        { """{ "code": "x", "retries": 1000 }""", "invalid_limit", "retries" },
        { """{ "code": "x", "callable": { "invokeRule": "args.n >" } }""", "invalid_rule", "callable.invokeRule" },
        { """{ "code": "x", "callable": { "invokeRule": "auth.uid != null" } }""", "invalid_rule", "callable.invokeRule" },
        { """{ "code": "x", "triggers": [ { "collection": "orders", "on": ["upsert"] } ] }""", "invalid_trigger", "triggers[0].on[0]" },
        { """{ "code": "x", "fetchAllowlist": ["http://x.example.com"] }""", "invalid_allowlist", "fetchAllowlist[0]" },
        { """{ "code": "x", "fetchAllowlist": ["api.example.com", "api\u200b.example.com"] }""", "invalid_allowlist", "fetchAllowlist[1]" },
        { """{ "code": "x", "fetchAllowlist": ["bücher.example"] }""", "invalid_allowlist", "fetchAllowlist[0]" },
        { """{ "code": "x", "timeoutSeconds": 5.5 }""", "invalid_limit", "timeoutSeconds" },
        { """{ "name": "other", "code": "x" }""", "invalid_definition", "name" },
        { """{ "code": "x", "code": "y" }""", "duplicate_key", "code" },
    };

    [Theory]
    [MemberData(nameof(BadUpdates))]
    public async Task Put_BadInput_Is400NamingTheField_AndChangesNothing(string body, string code, string field)
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", body));
        Assert.Equal(field, problem["field"]!.GetValue<string>());

        await AssertVersionsAsync(name, 1);
    }

    [Fact]
    public async Task Put_UnicodeAllowlistEntry_IsAskedForInItsAsciiForm_WhichIsSaved()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_allowlist", await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "x", "fetchAllowlist": ["bücher.example"] }"""));
        Assert.Contains("xn--bcher-kva.example", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var saved = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "x", "fetchAllowlist": ["xn--bcher-kva.example"], "timeoutSeconds": 5.0 }"""));
        Assert.Equal("xn--bcher-kva.example", saved!["fetchAllowlist"]![0]!.GetValue<string>());
        Assert.Equal(5, saved["timeoutSeconds"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_SyntaxError_AnswersLineAndColumn_AndCreatesNothing()
    {
        var name = FunctionServerFixture.NewName();
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_code", await fixture.Admin.PostJsonAsync(Base, $$"""
            { "name": "{{name}}", "code": "export default async function (ctx) {\n  return SYNTAX_ERROR;\n}" }
            """));
        var error = Assert.Single(problem["errors"]!.AsArray())!;
        Assert.Equal("code", error["path"]!.GetValue<string>());
        Assert.Equal(2, error["line"]!.GetValue<int>());
        Assert.Equal(10, error["column"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "function_not_found", await fixture.Admin.GetAsync($"{Base}/{name}", Ct));
    }

    [Fact]
    public async Task Create_BadInvokeRule_AnswersItsPosition()
    {
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_rule", await fixture.Admin.PostJsonAsync(Base, $$"""
            { "name": "{{FunctionServerFixture.NewName()}}", "code": "x", "callable": { "invokeRule": "auth != null && doc.x == 1" } }
            """));
        var error = Assert.Single(problem["errors"]!.AsArray())!;
        Assert.Equal("callable.invokeRule", error["path"]!.GetValue<string>());
        Assert.Equal(16, error["position"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("secrets")]
    [InlineData("Upper")]
    [InlineData("_system")]
    public async Task Create_BadName_Is400(string name) =>
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_function_name", await fixture.Admin.PostJsonAsync(Base, $$"""{ "name": "{{name}}", "code": "x" }"""));

    [Fact]
    public async Task Api_IsForAdminsAndServiceKeysOnly()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        using var anonymous = fixture.Server.CreateClient();
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.GetAsync(Base, Ct));
        using var user = await fixture.NewUserAsync(Ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.GetAsync($"{Base}/{name}", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Forbidden, "forbidden", await user.SendJsonAsync(HttpMethod.Put, $"{Base}/{name}", """{ "code": "stolen" }"""));
        await AssertVersionsAsync(name, 1);
    }

    private async Task AssertVersionsAsync(string name, int expected)
    {
        var versions = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}/versions", Ct));
        Assert.Equal(expected, versions!["items"]!.AsArray().Count);
        var current = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"{Base}/{name}", Ct));
        Assert.Equal(expected, current!["version"]!.GetValue<int>());
    }
}
