using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Server.AdminTools;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.AdminTools;

/// <summary><c>POST .../bulk</c>, <c>POST .../import</c>, <c>GET .../export</c> with small page sizes, on a real server.</summary>
public sealed class DataToolsEndpointsTests(AdminToolsFixture fixture) : IClassFixture<AdminToolsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bulk_DryRun_CountsAndChangesNothing()
    {
        var name = await SeedAsync(5);
        var result = await BulkAsync(name, """{"filter":{"n":{"$gte":2}},"action":"delete","dryRun":true}""");
        Assert.Equal("""{"matched":4,"deleted":0,"dryRun":true}""", result.ToJsonString());
        Assert.Equal(5, await CountAsync(name, "{}"));
    }

    [Fact]
    public async Task Bulk_Update_MergePatchAndOperators_ThroughTheDocumentService()
    {
        var name = await SeedAsync(5);
        var merged = await BulkAsync(name, """{"filter":{"n":{"$lte":3}},"action":"update","update":{"flag":true},"dryRun":false}""");
        Assert.Equal("""{"matched":3,"modified":3,"dryRun":false}""", merged.ToJsonString());
        Assert.Equal(3, await CountAsync(name, """{"flag":true}"""));

        var incremented = await BulkAsync(name, """{"filter":{},"action":"update","update":{"$inc":{"n":10}},"dryRun":false}""");
        Assert.Equal(5, incremented["modified"]!.GetValue<int>());
        var doc = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{name}/documents/d1", Ct));
        Assert.Equal(11, doc!["n"]!.GetValue<int>());
        Assert.Equal(3, doc["_version"]!.GetValue<int>());
    }

    [Fact]
    public async Task Bulk_Delete_RemovesEveryMatch_AcrossPages()
    {
        var name = await SeedAsync(5);
        var result = await BulkAsync(name, """{"filter":{"n":{"$ne":3}},"action":"delete","dryRun":false}""");
        Assert.Equal("""{"matched":4,"deleted":4,"dryRun":false}""", result.ToJsonString());
        Assert.Equal(1, await CountAsync(name, "{}"));
    }

    [Fact]
    public async Task Bulk_MoreThanTheLimit_Is400_AndChangesNothing()
    {
        var name = await SeedAsync(7);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "bulk_too_large",
            await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/bulk", """{"filter":{},"action":"delete","dryRun":false}"""));
        Assert.Equal("filter", problem["field"]!.GetValue<string>());
        Assert.Equal(7, problem["matched"]!.GetValue<int>());
        Assert.Equal(7, await CountAsync(name, "{}"));
    }

    [Fact]
    public async Task Bulk_SchemaFailurePartWay_KeepsEarlierPages_AndSaysHowMany()
    {
        var name = await fixture.NewCollectionAsync(new { type = "object", properties = new { n = new { type = "integer", maximum = 4 } } }, cancellationToken: Ct);
        for (var i = 1; i <= 5; i++)
        {
            await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents", $$"""{"_id":"d{{i}}","n":{{i - 1}}}"""));
        }

        // Pages of 2 by _id: d1,d2 (n 0,1 -> 1,2) pass; d3,d4 (2,3 -> 3,4) pass; d5 (4 -> 5) breaks the schema.
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnprocessableEntity, "schema_validation",
            await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/bulk", """{"filter":{},"action":"update","update":{"$inc":{"n":1}},"dryRun":false}"""));
        Assert.Equal(4, problem["modified"]!.GetValue<int>());
        Assert.Equal("d5", problem["failedId"]!.GetValue<string>());
        Assert.Equal(4, await CountAsync(name, """{"_version":2}"""));
    }

    [Theory]
    [InlineData("""{"action":"delete","dryRun":true}""", "invalid_filter", "filter")]
    [InlineData("""{"filter":{"$where":"1"},"action":"delete","dryRun":true}""", "unknown_operator", "filter.$where")]
    [InlineData("""{"filter":{},"action":"drop","dryRun":true}""", "invalid_action", "action")]
    [InlineData("""{"filter":{},"action":"update","dryRun":true}""", "invalid_update", "update")]
    [InlineData("""{"filter":{},"action":"update","update":{"$bogus":{"a":1}},"dryRun":false}""", "unknown_operator", "update.$bogus")]
    [InlineData("""{"filter":{},"action":"update","update":{"$set":{"a":1},"b":2},"dryRun":false}""", "invalid_update", "update.b")]
    [InlineData("""{"filter":{},"action":"update","update":{"$x":1},"dryRun":false}""", "unknown_operator", "update.$x")]
    [InlineData("""{"filter":{},"action":"delete","update":{"a":1},"dryRun":false}""", "invalid_update", "update")]
    [InlineData("""{"filter":{},"action":"delete"}""", "invalid_dry_run", "dryRun")]
    [InlineData("""{"filter":{},"action":"delete","dryRun":"no"}""", "invalid_dry_run", "dryRun")]
    [InlineData("""{"filter":{},"action":"delete","dryRun":false,"limit":3}""", "unknown_field", "limit")]
    public async Task Bulk_BadInput_IsAProblemNamingTheField_AndChangesNothing(string body, string code, string field)
    {
        var name = await SeedAsync(2);
        using var response = await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/bulk", body);
        var problem = await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, response);
        Assert.Equal(code, problem!["code"]!.GetValue<string>());
        Assert.StartsWith(field, problem["field"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, await CountAsync(name, """{"_version":1}"""));
    }

    [Fact]
    public async Task Import_Ndjson_WritesInBatches_ReportsBadRows()
    {
        var name = await fixture.NewCollectionAsync(new { type = "object", required = new[] { "title" } }, cancellationToken: Ct);
        var body = string.Join('\n',
            """{"_id":"a","title":"one"}""",
            """{"title":"two"}""",
            "",
            """{"nope":1}""",
            """not json""",
            """[1]""",
            """{"_id":"a","title":"dup"}""",
            """{"title":"last"}""");
        var result = await ImportAsync(name, "ndjson", body);
        Assert.Equal(3, result["inserted"]!.GetValue<int>());
        Assert.Equal(4, result["failed"]!.GetValue<int>());
        Assert.True(result["complete"]!.GetValue<bool>());
        var errors = result["errors"]!.AsArray();
        Assert.Equal(3, errors.Count); // capped by ImportMaxErrors
        Assert.Equal([(4, "schema_validation"), (5, "malformed_json"), (6, "invalid_document")], errors.Select(e => (e!["row"]!.GetValue<int>(), e["code"]!.GetValue<string>())));

        // The row is the line; the column is where in it the JSON breaks ("not json": at the 'o' that ends "null").
        Assert.Equal(2, errors[1]!["column"]!.GetValue<int>());
        Assert.Contains("row 5, byte 2", errors[1]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(errors[0]!["column"]);
        Assert.Equal(3, await CountAsync(name, "{}"));
        var a = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{name}/documents/a", Ct));
        Assert.Equal("one", a!["title"]!.GetValue<string>());
    }

    // The input rules of request bodies hold for every row: a repeated key used to end the whole import with a 500.
    [Fact]
    public async Task Import_NdjsonRowsBreakingTheInputRules_AreRowErrors_AndTheRestIsImported()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var body = string.Join('\n', """{"_id":"r1","a":1,"a":2}""", """{"_id":"r2","s":"\ud800"}""", """{"_id":"r3","n":1e400}""", """{"_id":"r4","ok":1}""");
        var result = await ImportAsync(name, "ndjson", body);
        Assert.Equal((1, 3), (result["inserted"]!.GetValue<int>(), result["failed"]!.GetValue<int>()));
        Assert.Equal(
            [(1, "duplicate_key"), (2, "invalid_unicode"), (3, "invalid_number")],
            result["errors"]!.AsArray().Select(e => (e!["row"]!.GetValue<int>(), e["code"]!.GetValue<string>())));
        Assert.Equal(1, await CountAsync(name, "{}"));
    }

    // A JSON array's elements obey the same input rules with the same row errors: 1e400 and a lone surrogate used to
    // be imported from an array (the array was parsed straight into documents, which took both).
    [Fact]
    public async Task Import_JsonArrayElementsBreakingTheInputRules_AreRowErrors_AsInNdjson()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var body = """[{"_id":"r1","a":1,"a":2},{"_id":"r2","s":"\ud800"},{"_id":"r3","n":1e400},{"_id":"r4","ok":1}]""";
        var result = await ImportAsync(name, "json", body);
        Assert.Equal((1, 3), (result["inserted"]!.GetValue<int>(), result["failed"]!.GetValue<int>()));
        Assert.Equal(
            [(1, "duplicate_key"), (2, "invalid_unicode"), (3, "invalid_number")],
            result["errors"]!.AsArray().Select(e => (e!["row"]!.GetValue<int>(), e["code"]!.GetValue<string>())));
        Assert.Contains("n", result["errors"]![2]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(name, "{}"));
    }

    [Fact]
    public async Task Import_JsonArray_AndUpsert_ReplaceExistingIds()
    {
        var name = await SeedAsync(2);
        var result = await ImportAsync(name, "json", """[{"_id":"d1","n":100},{"_id":"new","n":7},{"n":8},"x"]""", "upsert");
        Assert.Equal(2, result["inserted"]!.GetValue<int>());
        Assert.Equal(1, result["updated"]!.GetValue<int>());
        Assert.Equal(1, result["failed"]!.GetValue<int>());
        Assert.Equal(4, result["errors"]![0]!["row"]!.GetValue<int>());
        var d1 = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{name}/documents/d1", Ct));
        Assert.Equal((100, 2), (d1!["n"]!.GetValue<int>(), d1["_version"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Import_BrokenJsonArray_KeepsWhatCameBefore_AndSaysIncomplete()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var result = await ImportAsync(name, "json", """[{"n":1},{"n":2},{"n":""");
        Assert.Equal(2, result["inserted"]!.GetValue<int>());
        Assert.False(result["complete"]!.GetValue<bool>());
        Assert.Equal("malformed_json", result["errors"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_Csv_TypesValues_AndBuildsNestedObjects()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var csv = "_id,name,age,active,address.city,tags,note\r\n" +
                  "p1,Ann,34,true,Oslo,\"[\"\"a\"\",\"\"b\"\"]\",\"hello, world\"\r\n" +
                  "p2,Bob,,false,,[],\"\"\"42\"\"\"\r\n" +
                  "p3,only-two\r\n";
        var result = await ImportAsync(name, "csv", csv);
        Assert.Equal(2, result["inserted"]!.GetValue<int>());
        Assert.Equal((3, "invalid_row"), (result["errors"]![0]!["row"]!.GetValue<int>(), result["errors"]![0]!["code"]!.GetValue<string>()));
        var p1 = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{name}/documents/p1", Ct));
        Assert.Equal(34, p1!["age"]!.GetValue<int>());
        Assert.True(p1["active"]!.GetValue<bool>());
        Assert.Equal("Oslo", p1["address"]!["city"]!.GetValue<string>());
        Assert.Equal(2, p1["tags"]!.AsArray().Count);
        Assert.Equal("hello, world", p1["note"]!.GetValue<string>());
        var p2 = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{name}/documents/p2", Ct));
        Assert.False(p2!.ContainsKey("age"));
        Assert.Equal("42", p2["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task Import_RowAndLineLimits()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var lines = Enumerable.Range(1, 10).Select(i => i == 2 ? $$"""{"big":"{{new string('x', 3000)}}"}""" : $$"""{"n":{{i}}}""");
        var result = await ImportAsync(name, "ndjson", string.Join('\n', lines));

        // Row 2 is over the line limit; rows past 8 are not read.
        Assert.Equal(7, result["inserted"]!.GetValue<int>());
        Assert.False(result["complete"]!.GetValue<bool>());
        Assert.Equal([(2, "line_too_long"), (9, "too_many_rows")], result["errors"]!.AsArray().Select(e => (e!["row"]!.GetValue<int>(), e["code"]!.GetValue<string>())));
    }

    [Theory]
    [InlineData("?format=xml", "invalid_format", "format")]
    [InlineData("", "invalid_format", "format")]
    [InlineData("?format=ndjson&mode=merge", "invalid_mode", "mode")]
    public async Task Import_BadParameters_AreProblems_AndWriteNothing(string query, string code, string field)
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        using var response = await fixture.Admin.PostAsync($"/api/admin/collections/{name}/import{query}", new StringContent("""{"n":1}""", Encoding.UTF8, "application/x-ndjson"), Ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, response);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        Assert.Equal(0, await CountAsync(name, "{}"));
    }

    [Fact]
    public async Task Import_CsvWithABadHeader_WritesNothing()
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var result = await ImportAsync(name, "csv", "a,a\n1,2\n");
        Assert.Equal(0, result["inserted"]!.GetValue<int>());
        Assert.False(result["complete"]!.GetValue<bool>());
        Assert.Equal("invalid_csv", result["errors"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Export_Ndjson_StreamsEveryMatch_InIdOrder()
    {
        var name = await SeedAsync(5);
        using var response = await fixture.Admin.GetAsync($"/api/admin/collections/{name}/export?format=ndjson&filter=" + Uri.EscapeDataString("""{"n":{"$gt":1}}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["d2", "d3", "d4", "d5"], lines.Select(l => JsonNode.Parse(l)!["_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Export_Csv_ThenImport_RoundTripsValues()
    {
        var source = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await fixture.Service.PostJsonAsync($"/api/collections/{source}/documents", """{"_id":"r1","s":"42","t":"plain, text","n":1.5,"b":false,"z":null,"o":{"x":{"y":"deep"}},"arr":[1,{"a":2}],"e":{}}""");
        await fixture.Service.PostJsonAsync($"/api/collections/{source}/documents", """{"_id":"r2","only":"here","empty":""}""");
        using var response = await fixture.Admin.GetAsync($"/api/admin/collections/{source}/export?format=csv", Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var csv = await response.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("_id,_createdAt,_updatedAt,_createdBy,_version,s,t,n,b,z,o.x.y,arr,e,only,empty\r\n", csv, StringComparison.Ordinal);

        var target = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var result = await ImportAsync(target, "csv", csv);
        Assert.Equal(2, result["inserted"]!.GetValue<int>());
        foreach (var id in new[] { "r1", "r2" })
        {
            var original = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{source}/documents/{id}", Ct));
            var copy = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{target}/documents/{id}", Ct));
            foreach (var system in new[] { "_createdAt", "_updatedAt", "_createdBy", "_version" })
            {
                original!.Remove(system);
                copy!.Remove(system);
            }

            Assert.True(JsonNode.DeepEquals(original, copy), $"{original!.ToJsonString()} != {copy!.ToJsonString()}");
        }
    }

    [Fact]
    public async Task Export_Csv_AFieldNamedLikeAFormula_HeaderCellIsText_AndImportsBack()
    {
        // An app user may name a field (the header cell) as freely as a value: =cmd|... in the header row would run
        // in the spreadsheet of the admin who opens the export, as a value would.
        var source = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{source}/documents", """{"_id":"f1","=cmd|' /C calc'!A0":1,"@SUM(A1)":{"+x":"y"},"-n":2,"plain":3}"""));
        var csv = await fixture.Admin.GetStringAsync($"/api/admin/collections/{source}/export?format=csv", Ct);
        var header = csv.Split("\r\n")[0];
        var reader = new CsvRecordReader(new StringReader(header), 10_000);
        var cells = await reader.ReadAsync(Ct);
        Assert.Equal(9, cells!.Count);
        Assert.All(cells, c => Assert.False(c[0] is '=' or '+' or '-' or '@', $"header cell {c} starts like a formula"));
        Assert.Equal("plain", cells[^1]);

        var target = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var result = await ImportAsync(target, "csv", csv);
        Assert.Equal(1, result["inserted"]!.GetValue<int>());
        var copy = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{target}/documents/f1", Ct));
        Assert.Equal(1, copy!["=cmd|' /C calc'!A0"]!.GetValue<int>());
        Assert.Equal("y", copy["@SUM(A1)"]!["+x"]!.GetValue<string>());
        Assert.Equal(2, copy["-n"]!.GetValue<int>());
    }

    [Fact]
    public async Task Export_CsvFields_ChooseTheColumns()
    {
        var name = await SeedAsync(2);
        var csv = await fixture.Admin.GetStringAsync($"/api/admin/collections/{name}/export?format=csv&fields=n", Ct);
        Assert.Equal("_id,_createdAt,_updatedAt,_createdBy,_version,n", csv.Split("\r\n")[0]);
        Assert.Equal(4, csv.Split("\r\n").Length); // header, 2 rows, trailing empty
    }

    [Theory]
    [InlineData("?format=xml", "invalid_format", "format")]
    [InlineData("?filter=%7B", "invalid_filter", "filter")]
    [InlineData("?format=ndjson&fields=a", "invalid_fields", "fields")]
    [InlineData("?format=csv&fields=a,$b", "invalid_filter", "fields[1]")]
    public async Task Export_BadParameters_AreProblems(string query, string code, string field)
    {
        var name = await SeedAsync(1);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, await fixture.Admin.GetAsync($"/api/admin/collections/{name}/export{query}", Ct));
        Assert.StartsWith(field, problem["field"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataTools_NeedAdminOrServiceKey()
    {
        var name = await SeedAsync(1);
        using var anonymous = fixture.Server.CreateClient();
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.PostJsonAsync($"/api/admin/collections/{name}/bulk", """{"filter":{},"action":"delete","dryRun":false}"""));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.GetAsync($"/api/admin/collections/{name}/export", Ct));
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", await anonymous.PostAsync($"/api/admin/collections/{name}/import?format=ndjson", new StringContent("{}"), Ct));
        Assert.Equal(1, await CountAsync(name, "{}"));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync($"/api/admin/collections/{name}/bulk", """{"filter":{},"action":"delete","dryRun":true}"""));
    }

    private async Task<string> SeedAsync(int count)
    {
        var name = await fixture.NewCollectionAsync(cancellationToken: Ct);
        for (var i = 1; i <= count; i++)
        {
            await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{name}/documents", $$"""{"_id":"d{{i}}","n":{{i}}}"""));
        }

        return name;
    }

    private async Task<JsonObject> BulkAsync(string name, string body) =>
        (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"/api/admin/collections/{name}/bulk", body)))!;

    private async Task<JsonObject> ImportAsync(string name, string format, string body, string mode = "insert")
    {
        using var content = new StringContent(body, Encoding.UTF8, format == "csv" ? "text/csv" : "application/x-ndjson");
        return (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostAsync($"/api/admin/collections/{name}/import?format={format}&mode={mode}", content, Ct)))!;
    }

    private async Task<int> CountAsync(string name, string filter)
    {
        var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"/api/collections/{name}/documents?count=true&limit=1&filter={Uri.EscapeDataString(filter)}", Ct));
        return result!["count"]!.GetValue<int>();
    }
}
