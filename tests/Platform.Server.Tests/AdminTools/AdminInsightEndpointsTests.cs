using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.AdminTools;

/// <summary><c>GET /api/admin/settings</c>, <c>GET /api/admin/realtime</c> and the audit log, on a real server.</summary>
public sealed class AdminInsightEndpointsTests(AdminToolsFixture fixture) : IClassFixture<AdminToolsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Settings_ShowEffectiveValues_AndNeverTheSecrets()
    {
        using var response = await fixture.Admin.GetAsync("/api/admin/settings", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(BaasTestServer.AdminPassword, text, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminToolsFixture.SmtpPassword, text, StringComparison.Ordinal);

        var settings = JsonNode.Parse(text)!.AsObject();
        var baas = settings["Baas"]!;
        Assert.Equal("***", baas["Admin"]!["Password"]!.GetValue<string>());
        Assert.Equal("***", baas["Email"]!["Smtp"]!["Password"]!.GetValue<string>());
        Assert.Equal("smtp.invalid", baas["Email"]!["Smtp"]!["Host"]!.GetValue<string>());
        Assert.Equal("2", baas["AdminTools"]!["PageSize"]!.ToString());

        // Defaults nobody configured are shown too.
        Assert.Equal("00:15:00", baas["Auth"]!["AccessTokenLifetime"]!.GetValue<string>());
        Assert.Equal(fixture.Server.Provider == TestProvider.Mongo ? "Mongo" : "Sqlite", baas["Storage"]!["Provider"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.1:0", settings["urls"]!.GetValue<string>());
    }

    [Fact]
    public async Task Settings_ShowEverySettingTheServerBinds_AndNoComputedMembers()
    {
        // docs/api.md: "every Baas:* setting as the server uses it". The functions, memory, shutdown, request-limit,
        // telemetry and data-protection settings were missing; AdminOptions.SeedsAdmin (computed) was shown as one.
        var baas = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync("/api/admin/settings", Ct)))!["Baas"]!.AsObject();

        var missing = new List<string>();
        foreach (var type in Platform.Server.Hosting.SettingsSchema.ServerOptionsTypes)
        {
            var section = (string)type.GetField("Section")!.GetRawConstantValue()!;
            foreach (var property in type.GetProperties().Where(p => p.SetMethod is { IsPublic: true }))
            {
                if (!Has(baas, section.Split(':').Skip(1).Append(property.Name)))
                {
                    missing.Add(section + ":" + property.Name);
                }
            }
        }

        Assert.True(missing.Count == 0, "Not in GET /api/admin/settings: " + string.Join(", ", missing));
        Assert.False(baas["Admin"]!.AsObject().ContainsKey("SeedsAdmin"));
        Assert.Equal("00:00:01", baas["Functions"]!["BeforeTriggerTimeout"]!.GetValue<string>());

        // Keys compare without case, as configuration does; a setting that is unset is there as null.
        static bool Has(JsonObject root, IEnumerable<string> path)
        {
            JsonNode? node = root;
            foreach (var segment in path)
            {
                if (node is not JsonObject obj || obj.FirstOrDefault(p => string.Equals(p.Key, segment, StringComparison.OrdinalIgnoreCase)) is not { Key: not null } member)
                {
                    return false;
                }

                node = member.Value;
            }

            return true;
        }
    }

    [Fact]
    public async Task Settings_And_Realtime_NeedAdminOrServiceKey()
    {
        using var anonymous = fixture.Server.CreateClient();
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.GetAsync("/api/admin/settings", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.GetAsync("/api/admin/realtime", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.GetAsync("/api/admin/audit", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.GetAsync("/api/admin/overview", Ct));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync("/api/admin/settings", Ct));
    }

    [Fact]
    public async Task Overview_NamesTheServerVersion_StorageProvider_AndReadiness()
    {
        var overview = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync("/api/admin/overview", Ct)))!;

        var version = typeof(Platform.Server.AdminTools.ServerOverview).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+')[0];
        Assert.Equal(version, overview["version"]!.GetValue<string>());
        Assert.Equal(fixture.Server.Provider == TestProvider.Mongo ? "mongodb" : "sqlite", overview["storageProvider"]!.GetValue<string>());
        Assert.True(overview["ready"]!.GetValue<bool>());
        Assert.Equal("healthy", overview["health"]!.GetValue<string>());
    }

    [Fact]
    public async Task Realtime_CountsThisNodesConnectionsAndSubscriptions()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var before = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync("/api/admin/realtime", Ct));
        Assert.DoesNotContain(before!["collections"]!.AsArray(), c => c!["name"]!.GetValue<string>() == name);

        var key = fixture.Service.DefaultRequestHeaders.GetValues("X-Api-Key").Single();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Server.BaseAddress, "/realtime"), o => o.Headers["X-Api-Key"] = key)
            .Build();
        await hub.StartAsync(Ct);
        await hub.InvokeAsync<JsonObject>("Subscribe", new { collection = name }, Ct);
        await hub.InvokeAsync<JsonObject>("Subscribe", new { collection = name, id = "x" }, Ct);

        var during = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync("/api/admin/realtime", Ct));
        Assert.True(during!["connections"]!.GetValue<int>() >= 1);
        Assert.True(during["subscriptions"]!.GetValue<int>() >= 2);
        Assert.Equal(2, during["collections"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == name)!["subscriptions"]!.GetValue<int>());
    }

    [Fact]
    public async Task Audit_RecordsCollectionWrites_WithActorBeforeAndAfter_NewestFirst()
    {
        var name = "audit" + Guid.NewGuid().ToString("N")[..8];
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync("/api/admin/collections", $$$"""{"name":"{{{name}}}","rules":{"get":"true"}}"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"/api/admin/collections/{name}", """{"rules":{"get":"false"}}"""));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Admin.DeleteAsync($"/api/admin/collections/{name}", Ct));

        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/audit?target=collections/{name}", Ct));
        var items = page!["items"]!.AsArray();
        Assert.Equal(["collections.delete", "collections.update", "collections.create"], items.Select(i => i!["action"]!.GetValue<string>()));
        Assert.Equal(BaasTestServer.AdminEmail, items[0]!["actor"]!.GetValue<string>());
        Assert.Equal("apikey:tests", items[1]!["actor"]!.GetValue<string>());
        Assert.Equal("true", items[1]!["before"]!["rules"]!["get"]!.GetValue<string>());
        Assert.Equal("false", items[1]!["after"]!["rules"]!["get"]!.GetValue<string>());
        Assert.Null(items[2]!["before"]);
        Assert.False(string.IsNullOrEmpty(items[0]!["ip"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(items[0]!["at"]!.GetValue<string>()));

        var byActor = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/audit?target=collections/{name}&actor=apikey:tests", Ct));
        Assert.Equal("collections.update", Assert.Single(byActor!["items"]!.AsArray())!["action"]!.GetValue<string>());
        var byAction = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/audit?target=collections/{name}&action=collections.create", Ct));
        Assert.Single(byAction!["items"]!.AsArray());
    }

    [Fact]
    public async Task Audit_PagesWithACursor()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        for (var i = 0; i < 3; i++)
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Put, $"/api/admin/collections/{name}", $$$"""{"rules":{"get":"{{{i}}} == {{{i}}}"}}"""));
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var url = $"/api/admin/audit?target=collections/{name}&limit=2" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync(url, Ct));
            seen.AddRange(page!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.Equal(4, seen.Count);
        Assert.Equal(4, seen.Distinct().Count());
    }

    [Fact]
    public async Task Audit_UsersAndKeys_NeverHoldPasswordsOrKeys()
    {
        var email = $"aud-{Guid.NewGuid():N}@test.local";
        const string password = "Very-Secret-Pass-1";
        var user = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync("/api/admin/users", $$"""{"email":"{{email}}","password":"{{password}}"}"""));
        var id = user!["id"]!.GetValue<string>();
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Patch, $"/api/admin/users/{id}", """{"password":"Another-Secret-2","roles":["x"]}"""));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Admin.DeleteAsync($"/api/admin/users/{id}", Ct));
        var key = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync("/api/admin/apikeys", """{"name":"audited"}"""));
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Admin.DeleteAsync($"/api/admin/apikeys/{key!["id"]!.GetValue<string>()}", Ct));

        using var response = await fixture.Admin.GetAsync($"/api/admin/audit?target=users/{id}", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Another-Secret-2", text, StringComparison.Ordinal);
        var items = JsonNode.Parse(text)!["items"]!.AsArray();
        Assert.Equal(["users.delete", "users.patch", "users.create"], items.Select(i => i!["action"]!.GetValue<string>()));
        Assert.Equal("***", items[1]!["after"]!["password"]!.GetValue<string>());
        Assert.Equal("x", items[1]!["after"]!["roles"]![0]!.GetValue<string>());

        var keys = await fixture.Admin.GetStringAsync($"/api/admin/audit?target=apikeys/{key["id"]!.GetValue<string>()}", Ct);
        Assert.DoesNotContain(key["key"]!.GetValue<string>(), keys, StringComparison.Ordinal);
        Assert.Equal(["apikeys.revoke", "apikeys.create"], JsonNode.Parse(keys)!["items"]!.AsArray().Select(i => i!["action"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Audit_RecordsDisablingAndEnablingAnAdmin()
    {
        var email = $"aud-admin-{Guid.NewGuid():N}@test.local";
        var admin = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Admin.PostJsonAsync("/api/admin/admins", $$"""{"email":"{{email}}","password":"Adm1n-Password!"}"""));
        var id = admin!["id"]!.GetValue<string>();
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Patch, $"/api/admin/admins/{id}", """{"disabled":true}"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.SendJsonAsync(HttpMethod.Patch, $"/api/admin/admins/{id}", """{"disabled":false}"""));

        var items = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/audit?target=admins/{id}", Ct)))!["items"]!.AsArray();
        Assert.Equal(["admins.enable", "admins.disable", "admins.create"], items.Select(i => i!["action"]!.GetValue<string>()));
        Assert.True(items[1]!["after"]!["disabled"]!.GetValue<bool>());
        Assert.False(items[0]!["after"]!["disabled"]!.GetValue<bool>());
        Assert.Equal(email, items[0]!["after"]!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task Audit_RecordsBulkAndImport()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        using var content = new StringContent("{\"n\":1}\n{\"n\":2}\n", System.Text.Encoding.UTF8, "application/x-ndjson");
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostAsync($"/api/admin/collections/{name}/import?format=ndjson", content, Ct));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/bulk", """{"filter":{},"action":"delete","dryRun":true}"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/bulk", """{"filter":{"n":1},"action":"delete","dryRun":false}"""));

        var items = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/audit?target=collections/{name}", Ct)))!["items"]!.AsArray();
        Assert.Equal(["documents.bulk_delete", "documents.import", "collections.create"], items.Select(i => i!["action"]!.GetValue<string>()));
        Assert.Equal(1, items[0]!["after"]!["deleted"]!.GetValue<int>());
        Assert.Equal(2, items[1]!["after"]!["inserted"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=abc")]
    [InlineData("limit=1001")]
    public async Task Audit_BadLimit_Is400(string query) =>
        Assert.Equal("limit", (await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_limit", await fixture.Admin.GetAsync("/api/admin/audit?" + query, Ct)))["field"]!.GetValue<string>());

    [Fact]
    public async Task Audit_BadCursor_Is400() =>
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_cursor", await fixture.Admin.GetAsync("/api/admin/audit?cursor=nonsense", Ct));
}
