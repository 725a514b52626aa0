using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Documents;

/// <summary>
/// DESIGN.md section 3: field names are non-empty, do not start with <c>$</c> (or <c>_</c>, reserved), contain no
/// <c>.</c>, and (Baas's own limit) are at most 1,024 UTF-8 bytes. Every write path refuses each with a 400
/// <c>invalid_field_name</c> naming the path: create, PUT (plain and upsert), PATCH as a merge patch and with operators
/// (in a value and in a path), batch ops, import rows and a function's <c>ctx.db</c>.
/// </summary>
public sealed class FieldNameRulesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly string TooLong = new('n', 1025);

    private static string Docs(string c) => $"/api/collections/{c}/documents";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Bad names and what the problem's <c>field</c> is when the name sits under <c>x</c>.</summary>
    public static TheoryData<string> BadNames => new() { "$where", "a.b", "", "_secret", TooLong };

    private static string Nested(string name) => new JsonObject { ["x"] = new JsonObject { [name] = 1 } }.ToJsonString();

    private static async Task AssertNamesAsync(string name, HttpResponseMessage response, string? expectedPath = null)
    {
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_field_name", response);
        var path = expectedPath ?? "x." + name;
        Assert.Equal(path, problem["field"]?.GetValue<string>());
        Assert.True(problem["detail"]!.GetValue<string>().Length < 400, "the message cuts a long name short");
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task EveryDocumentWrite_RefusesTheName_NamingThePath(string name)
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));

        await AssertNamesAsync(name, await fixture.Service.PostJsonAsync(Docs(c), Nested(name)));
        await AssertNamesAsync(name, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d", Nested(name)));
        await AssertNamesAsync(name, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/new?upsert=true", Nested(name)));
        await AssertNamesAsync(name, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", Nested(name)));

        // Operators: a bad name inside a value, or as (a segment of) the updated path.
        var inValue = new JsonObject { ["$set"] = new JsonObject { ["x"] = new JsonObject { [name] = 1 } } }.ToJsonString();
        await AssertNamesAsync(name, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", inValue));
        var push = new JsonObject { ["$push"] = new JsonObject { ["list"] = new JsonObject { [name] = 1 } } }.ToJsonString();
        if (name.StartsWith('$'))
        {
            // As in MongoDB, '$' keys of a pushed object are modifiers ($each): an unknown one is named as such.
            var modifier = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "unknown_operator", await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", push));
            Assert.Equal("$push.list." + name, modifier["field"]!.GetValue<string>());
        }
        else
        {
            await AssertNamesAsync(name, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", push), "list[0]." + name);
        }
        if (name != "a.b")
        {
            // In a path a dot separates names (x.a.b is a nested path, fine); the others are refused as paths.
            var asPath = new JsonObject { ["$set"] = new JsonObject { ["x." + name] = 1 } }.ToJsonString();
            var response = await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", asPath);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            var problem = JsonNode.Parse(text)!;
            Assert.True(problem["field"]?.GetValue<string>() == "x." + name, text);
        }

        // Batches: the op's index and the path.
        foreach (var op in new[] { "create", "replace", "patch" })
        {
            var ops = new JsonObject
            {
                ["ops"] = new JsonArray(
                    new JsonObject { ["op"] = "create", ["collection"] = c, ["data"] = new JsonObject { ["ok"] = 1 } },
                    new JsonObject { ["op"] = op, ["collection"] = c, ["id"] = op == "create" ? null : "d", ["data"] = JsonNode.Parse(Nested(name)) }),
            };
            if (op == "create")
            {
                ops["ops"]![1]!.AsObject().Remove("id");
            }

            var response = await fixture.Service.PostJsonAsync("/api/batch", ops.ToJsonString());
            var batchProblem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_field_name", response);
            Assert.Equal(1, batchProblem["opIndex"]!.GetValue<int>());
            Assert.Equal("x." + name, batchProblem["field"]!.GetValue<string>());
        }

        // Nothing was written.
        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", Ct));
        Assert.Equal(1, stored!["_version"]!.GetValue<long>());
        var count = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}?count=true&limit=1", Ct));
        Assert.Equal(1, count!["count"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task Import_RefusesTheRow_NamingTheName(string name)
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var body = """{ "ok": 1 }""" + "\n" + Nested(name) + "\n";
        using var content = new StringContent(body, Encoding.UTF8, "application/x-ndjson");
        var result = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostAsync($"/api/admin/collections/{c}/import?format=ndjson", content, Ct));

        var error = Assert.Single(result!["errors"]!.AsArray())!;
        Assert.Equal((2, "invalid_field_name"), (error["row"]!.GetValue<int>(), error["code"]!.GetValue<string>()));
        var count = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}?count=true&limit=1", Ct));
        Assert.Equal(1, count!["count"]!.GetValue<int>());
    }

    /// <summary>Names holding an invisible format character, and the escaped path the problem names.</summary>
    public static TheoryData<string, string> InvisibleNames => new()
    {
        { "role\u200b", "role\\u200b" },          // zero-width space: renders as "role"
        { "\u202enimda", "\\u202enimda" },        // right-to-left override: renders as "admin"
        { "a\u2066b\u2069", "a\\u2066b\\u2069" }, // isolate controls
        { "\ufeffid", "\\ufeffid" },              // byte order mark
        { "pass\u00adword", "pass\\u00adword" },  // soft hyphen
        { "a\u200db", "a\\u200db" },              // zero-width joiner
        { "tag\U000E0041", "tag\\udb40\\udc41" }, // a tag character (outside the BMP)
    };

    [Theory]
    [MemberData(nameof(InvisibleNames))]
    public async Task Writes_RefuseANameWithAnInvisibleFormatCharacter_NamingItEscaped(string name, string shown)
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));

        await AssertNamesAsync(name, await fixture.Service.PostJsonAsync(Docs(c), Nested(name)), "x." + shown);
        await AssertNamesAsync(name, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", Nested(name)), "x." + shown);
        var asPath = new JsonObject { ["$set"] = new JsonObject { ["x." + name] = 1 } }.ToJsonString();
        await AssertNamesAsync(name, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", asPath), "x." + shown);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_field_name", await fixture.Service.PostJsonAsync(Docs(c), new JsonObject { [name] = 1 }.ToJsonString()));
        Assert.Contains("invisible", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(name, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", Ct));
        Assert.Equal(1, stored!["_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task VisibleNonLatinNames_AreAccepted()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var created = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "名前": 1, "prénom": 2, "שם": 3, "emoji😀": 4 }"""));
        Assert.Equal(3, created!["שם"]!.GetValue<int>());
    }

    [Fact]
    public async Task ANameOfExactlyTheLimit_IsAccepted_CountedInUtf8Bytes()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        var longest = new string('n', 1024);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), new JsonObject { [longest] = 1 }.ToJsonString()));

        // 'é' is two bytes: 512 of them are the limit, 513 are over it though only 513 characters long.
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), new JsonObject { [new string('é', 512)] = 1 }.ToJsonString()));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_field_name", await fixture.Service.PostJsonAsync(Docs(c), new JsonObject { [new string('é', 513)] = 1 }.ToJsonString()));

        // A filter or sort on such a path is refused the same way.
        var filter = Uri.EscapeDataString(new JsonObject { [TooLong] = 1 }.ToJsonString());
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_filter", await fixture.Service.GetAsync($"{Docs(c)}?filter={filter}", Ct));
    }
}
