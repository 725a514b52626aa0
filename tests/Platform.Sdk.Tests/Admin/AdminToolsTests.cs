using System.Text;
using System.Text.Json.Nodes;
using Platform.Sdk.Admin;
using Platform.Sdk.Tests.Infrastructure;

namespace Platform.Sdk.Tests.Admin;

/// <summary>The dashboard's admin endpoints through the SDK: schema check, rules simulator, bulk, import, export, realtime, audit, settings.</summary>
public sealed class AdminToolsTests(SdkServerFixture fixture) : IClassFixture<SdkServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private CollectionsAdminClient Collections => fixture.Client.Admin.Collections;

    [Fact]
    public async Task CheckSchemaAsync_CountsFailingDocuments()
    {
        var name = await fixture.NewCollectionAsync();
        var docs = fixture.Client.Collection<JsonObject>(name);
        await docs.AddAsync(new JsonObject { ["title"] = "ok" }, Ct);
        await docs.AddAsync(new JsonObject { ["n"] = 1 }, Ct);

        var result = await Collections.CheckSchemaAsync(name, JsonNode.Parse("""{"type":"object","required":["title"]}""")!.AsObject(), Ct);
        Assert.Equal((2L, 1L, true), (result.Checked, result.Failing, result.Complete));
        Assert.Equal("title", Assert.Single(Assert.Single(result.Samples).Errors).Path);
    }

    [Fact]
    public async Task SimulateRulesAsync_ListFilter_CustomCaller_AndBadRules()
    {
        var name = await fixture.NewCollectionAsync();
        var result = await Collections.SimulateRulesAsync(name, new RuleSimulationRequest
        {
            Operation = "list",
            Rules = new Dictionary<string, string> { ["list"] = "doc.owner == auth.id" },
            Caller = SimulatedCaller.Custom("u7", roles: ["staff"]),
        }, Ct);
        Assert.True(result.Allowed);
        Assert.Equal("doc.owner == auth.id", result.Rule);
        Assert.Contains("u7", result.Filter!.ToJsonString(), StringComparison.Ordinal);

        var none = await Collections.SimulateRulesAsync(name, new RuleSimulationRequest { Operation = "get" }, Ct);
        Assert.False(none.Allowed);
        Assert.StartsWith("No rule", none.Reason, StringComparison.Ordinal);

        var ex = await Assert.ThrowsAsync<BaasException>(() => Collections.SimulateRulesAsync(name, new RuleSimulationRequest
        {
            Operation = "get",
            Rules = new Dictionary<string, string> { ["get"] = "doc.a ==" },
        }, Ct));
        Assert.Equal((400, "invalid_rule"), (ex.Status, ex.Code));
        Assert.Equal("rules.get", Assert.Single(ex.Errors).Path);
    }

    [Fact]
    public async Task BulkAsync_DryRunThenUpdateThenDelete()
    {
        var name = await fixture.NewCollectionAsync();
        var docs = fixture.Client.Collection<JsonObject>(name);
        for (var i = 0; i < 3; i++)
        {
            await docs.AddAsync(new JsonObject { ["n"] = i }, Ct);
        }

        var filter = JsonNode.Parse("""{"n":{"$gte":1}}""")!.AsObject();
        Assert.Equal(new BulkResult(2, 0, true), await Collections.BulkAsync(name, new BulkRequest { Filter = filter, Action = BulkAction.Delete }, Ct));
        Assert.Equal(new BulkResult(2, 2, false), await Collections.BulkAsync(name, new BulkRequest
        {
            Filter = filter,
            Action = BulkAction.Update,
            Update = JsonNode.Parse("""{"$set":{"done":true}}""")!.AsObject(),
            DryRun = false,
        }, Ct));
        Assert.Equal(new BulkResult(2, 2, false), await Collections.BulkAsync(name, new BulkRequest { Filter = JsonNode.Parse("""{"done":true}""")!.AsObject(), Action = BulkAction.Delete, DryRun = false }, Ct));
        Assert.Equal(1, await docs.CountAsync(Ct));
    }

    [Fact]
    public async Task ImportAsync_ThenExportDocumentsAsync_AndCsvExport()
    {
        var name = await fixture.NewCollectionAsync();
        using var upload = new MemoryStream(Encoding.UTF8.GetBytes("{\"_id\":\"a\",\"n\":1}\n{\"_id\":\"b\",\"n\":2}\nbroken\n"));
        var result = await Collections.ImportAsync(name, upload, ImportFormat.Ndjson, cancellationToken: Ct);
        Assert.Equal((2L, 1L, true), (result.Inserted, result.Failed, result.Complete));
        Assert.Equal((3L, "malformed_json"), (result.Errors[0].Row, result.Errors[0].Code));

        using var csv = new MemoryStream(Encoding.UTF8.GetBytes("_id,n\nb,20\nc,3\n"));
        var upserted = await Collections.ImportAsync(name, csv, ImportFormat.Csv, ImportMode.Upsert, Ct);
        Assert.Equal((1L, 1L), (upserted.Inserted, upserted.Updated));

        var exported = new List<JsonObject>();
        await foreach (var document in Collections.ExportDocumentsAsync(name, JsonNode.Parse("""{"n":{"$gt":1}}""")!.AsObject(), Ct))
        {
            exported.Add(document);
        }

        Assert.Equal(["b", "c"], exported.Select(d => d["_id"]!.GetValue<string>()));
        Assert.Equal(20, exported[0]["n"]!.GetValue<int>());

        await using var stream = await Collections.ExportAsync(name, ExportFormat.Csv, fields: ["n"], cancellationToken: Ct);
        using var reader = new StreamReader(stream);
        Assert.Equal("_id,_createdAt,_updatedAt,_createdBy,_version,n", await reader.ReadLineAsync(Ct));
    }

    [Fact]
    public async Task ExportAsync_UnknownCollection_IsA404BaasException()
    {
        var ex = await Assert.ThrowsAsync<BaasException>(() => Collections.ExportAsync("nope-missing", cancellationToken: Ct));
        Assert.Equal((404, "collection_not_found"), (ex.Status, ex.Code));
    }

    [Fact]
    public async Task Realtime_Audit_Settings()
    {
        var stats = await fixture.Client.Admin.Realtime.GetStatisticsAsync(Ct);
        Assert.True(stats.Connections >= 0);

        var name = await fixture.NewCollectionAsync();
        var page = await fixture.Client.Admin.Audit.ListAsync(new AuditQuery { Target = "collections/" + name }, Ct);
        var entry = Assert.Single(page.Items);
        Assert.Equal("collections.create", entry.Action);
        Assert.Equal("apikey:sdk-tests", entry.Actor);
        Assert.Null(page.NextCursor);

        var settings = await fixture.Client.Admin.Settings.GetAsync(Ct);
        Assert.Equal("***", settings["Baas"]!["Admin"]!["Password"]!.GetValue<string>());
        Assert.DoesNotContain(BaasTestServer.AdminPassword, settings.ToJsonString(), StringComparison.Ordinal);
    }
}
