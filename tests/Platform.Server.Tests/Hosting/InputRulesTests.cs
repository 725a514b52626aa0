using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>DESIGN.md section 4, "Input": every malformed input is a 4xx problem that changes nothing.</summary>
public sealed class InputRulesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string Docs(string collection) => $"/api/collections/{collection}/documents";

    [Theory]
    [InlineData("""{"a":1,"a":2}""", "a")]
    [InlineData("""{"a":{"b":[{"c":1,"c":2}]}}""", "a.b[0].c")]
    public async Task Create_DuplicateKey_Is400NamingIt_AndWritesNothing(string body, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "duplicate_key", await fixture.Service.PostJsonAsync(Docs(c), body));
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        await AssertEmptyAsync(c, ct);
    }

    [Theory]
    [InlineData("""{"a":"\ud800"}""")]
    [InlineData("""{"\udfff":1}""")]
    public async Task Create_LoneSurrogate_Is400WithPosition(string body)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_unicode", await fixture.Service.PostJsonAsync(Docs(c), body));
        Assert.NotNull(problem["position"]);
        await AssertEmptyAsync(c, ct);
    }

    [Theory]
    [InlineData("""{"a\u0000b":1}""")]
    [InlineData("""{"x":{"tab\there":1}}""")]
    [InlineData("""{"say\"hi\"":1}""")]
    public async Task Create_ControlCharOrQuoteInFieldName_Is400(string body)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_field_name", await fixture.Service.PostJsonAsync(Docs(c), body));
        await AssertEmptyAsync(c, ct);
    }

    // 1e400 has no IEEE double form: SQLite kept its text (read as infinity by its JSON functions), MongoDB's driver threw (500).
    [Theory]
    [InlineData("""{"a":1e400}""", "a")]
    [InlineData("""{"a":{"b":[1,-1E+999]}}""", "a.b[1]")]
    [InlineData("""{"big":1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000}""", "big")]
    public async Task Create_NumberBeyondADouble_Is400NamingIt_AndWritesNothing(string body, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_number", await fixture.Service.PostJsonAsync(Docs(c), body));
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        Assert.NotNull(problem["position"]);
        await AssertEmptyAsync(c, ct);
    }

    [Fact]
    public async Task Create_NumbersADoubleHolds_AreStored()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var digits = "1" + new string('0', 307);
        var created = await HttpAssert.StatusAsync(
            HttpStatusCode.Created,
            await fixture.Service.PostJsonAsync(Docs(c), $$"""{"max":1.7976931348623157e308,"tiny":-1e-400,"wide":123456789012345678901234567890,"digits":{{digits}}}"""));
        Assert.Equal(1.7976931348623157e308, created!["max"]!.GetValue<double>());
        Assert.Equal(1e307, created["digits"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("filter={\"n\":{\"$gt\":1e400}}", "filter.n.$gt")]
    [InlineData("filter={\"n\":{\"$in\":[1,-2e308]}}", "filter.n.$in[1]")]
    public async Task Query_NumberBeyondADouble_Is400NamingIt(string query, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_number", await fixture.Service.GetAsync($"{Docs(c)}?{query}", ct));
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        problem = await HttpAssert.ProblemAsync(
            HttpStatusCode.BadRequest, "invalid_number", await fixture.Service.PostJsonAsync($"/api/collections/{c}/query", $$"""{"filter":{{Uri.UnescapeDataString(query["filter=".Length..])}}}"""));
        Assert.Equal(field, problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_NumberBeyondADouble_Is400NamingIt_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var body = $$$"""{"ops":[{"op":"create","collection":"{{{c}}}","data":{"a":1}},{"op":"create","collection":"{{{c}}}","data":{"n":9e999}}]}""";
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_number", await fixture.Service.PostJsonAsync("/api/batch", body));
        Assert.Equal("ops[1].data.n", problem["field"]!.GetValue<string>());
        await AssertEmptyAsync(c, ct);
    }

    [Theory]
    [InlineData("filter={\"a\":1,\"a\":2}", "duplicate_key", "filter.a")]
    [InlineData("filter={\"a\":\"\\ud800\"}", "invalid_unicode", "filter.a")]
    [InlineData("filter={\"a%00\":1}", "invalid_filter", null)]
    [InlineData("filter={\"a\\\"b\":1}", "invalid_filter", null)]
    [InlineData("sort=a%00b", "invalid_path", null)]
    [InlineData("sort=-a%01", "invalid_path", null)]
    [InlineData("fields=a,b%00", "invalid_path", null)]
    [InlineData("fields=a\"b", "invalid_path", null)]
    [InlineData("count=", "invalid_count", "count")]
    [InlineData("count=1", "invalid_count", "count")]
    [InlineData("count=yes", "invalid_count", "count")]
    [InlineData("count=true%00", "invalid_count", "count")]
    public async Task Query_MalformedParameter_Is400(string query, string code, string? field)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, await fixture.Service.GetAsync($"{Docs(c)}?{query}", ct));
        if (field is not null)
        {
            Assert.Equal(field, problem["field"]!.GetValue<string>());
        }
    }

    // ASP.NET Core joins a repeated parameter's values with commas: two sorts became one sort over both keys.
    [Theory]
    [InlineData("sort=n&sort=-m", "sort")]
    [InlineData("fields=a&fields=b", "fields")]
    [InlineData("limit=1&limit=2", "limit")]
    [InlineData("count=true&COUNT=false", "count")]
    [InlineData("filter={}&filter={\"n\":1}", "filter")]
    public async Task Query_RepeatedParameter_Is400NamingIt(string query, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "duplicate_parameter", await fixture.Service.GetAsync($"{Docs(c)}?{query}", ct));
        Assert.Equal(field, problem["field"]!.GetValue<string>(), ignoreCase: true);
    }

    [Fact]
    public async Task Writes_WithARepeatedParameter_Are400_AndWriteNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(
            HttpStatusCode.BadRequest, "duplicate_parameter", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d1?upsert=true&upsert=true", """{"n":1}"""));
        Assert.Equal("upsert", problem["field"]!.GetValue<string>());
        var batch = $$$"""{"ops":[{"op":"create","collection":"{{{c}}}","data":{"a":1}}]}""";
        problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "duplicate_parameter", await fixture.Service.PostJsonAsync("/api/batch?return=minimal&return=full", batch));
        Assert.Equal("return", problem["field"]!.GetValue<string>());
        await AssertEmptyAsync(c, ct);
    }

    [Fact]
    public async Task AdminList_WithARepeatedParameter_Is400_InsteadOfSearchingForBoth()
    {
        var ct = TestContext.Current.CancellationToken;
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "duplicate_parameter", await fixture.Admin.GetAsync("/api/admin/users?search=a&search=b", ct));
        Assert.Equal("search", problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task QueryBody_DuplicateKey_Is400()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "duplicate_key", await fixture.Service.PostJsonAsync($"/api/collections/{c}/query", """{"limit":1,"limit":2}"""));
        Assert.Equal("limit", problem["field"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("TRUE ")]
    [InlineData("yes")]
    public async Task Put_UpsertOtherThanTrueOrFalse_Is400_AndCreatesNothing(string value)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var problem = await HttpAssert.ProblemAsync(
            HttpStatusCode.BadRequest, "invalid_upsert", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d1?upsert={Uri.EscapeDataString(value)}", """{"n":1}"""));
        Assert.Equal("upsert", problem["field"]!.GetValue<string>());
        await AssertEmptyAsync(c, ct);
    }

    [Fact]
    public async Task Put_UpsertTrue_AnyCase_Creates()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/d1?upsert=True", """{"n":1}"""));
    }

    [Fact]
    public async Task Batch_DuplicateKeyInOp_Is400NamingIt_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var body = $$$"""{"ops":[{"op":"create","collection":"{{{c}}}","data":{"a":1}},{"op":"create","collection":"{{{c}}}","data":{"n":1,"n":2}}]}""";
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "duplicate_key", await fixture.Service.PostJsonAsync("/api/batch", body));
        Assert.Equal("ops[1].data.n", problem["field"]!.GetValue<string>());
        await AssertEmptyAsync(c, ct);
    }

    [Fact]
    public async Task AdminLogin_DuplicateKey_Is400_InsteadOfTakingTheLast()
    {
        using var client = fixture.Server.CreateClient();
        var body = $$"""{"email":"{{BaasTestServer.AdminEmail}}","password":"wrong","password":"{{BaasTestServer.AdminPassword}}"}""";
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "duplicate_key", await client.PostJsonAsync("/api/admin/auth/login", body));
        Assert.Equal("password", problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task AdminLogin_WrongType_Is400NamingTheField()
    {
        using var client = fixture.Server.CreateClient();
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_body", await client.PostJsonAsync("/api/admin/auth/login", """{"email":"a@b.c","password":5}"""));
        Assert.Equal("password", problem["field"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/admin/auth/login", true)]
    [InlineData("/api/admin/setup", true)]
    [InlineData("/api/auth/login", true)]
    [InlineData("/api/auth/signup", false)]
    public async Task AuthEndpoints_TenMegabytePassword_Is413(string path, bool chunked)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        var json = "{\"email\":\"a@b.c\",\"password\":\"" + new string('x', 10 * 1024 * 1024) + "\"}";
        HttpContent content = chunked
            ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            : new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (chunked)
        {
            content.Headers.ContentLength = null;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload_too_large", await client.SendAsync(request, ct));
        Assert.Equal("https://tools.ietf.org/html/rfc9110#section-15.5.14", problem["type"]?.GetValue<string>());
    }

    [Fact]
    public async Task MalformedChunkedBody_Is400Problem()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(fixture.Server.BaseAddress.Host, fixture.Server.BaseAddress.Port, ct);
        var stream = tcp.GetStream();
        var request = "POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), ct);
        var answer = await ReadHeadAndBodyAsync(stream, ct);
        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
    }

    private static async Task<string> ReadHeadAndBodyAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[8192];
        var text = new StringBuilder();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
            var head = text.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (head >= 0 && text.ToString().Contains("\"code\"", StringComparison.Ordinal))
            {
                break;
            }
        }

        return text.ToString();
    }

    // .NET's '$' also matches before a final line feed, so "^...$" let a trailing "\n" through every name check:
    // a create with the id "a\n" stored the document and then answered 500 (its Location header could not be
    // written), and a collection or function named "x\n" was a 500.
    [Fact]
    public async Task Names_WithATrailingLineFeed_Are400_AndWriteNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);

        var id = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_id", await fixture.Service.PostJsonAsync(Docs(c), """{"_id":"a\n"}"""));
        Assert.Equal("_id", id["field"]!.GetValue<string>());
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_id", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/a%0A?upsert=true", "{}"));
        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_id", await fixture.Service.GetAsync($"{Docs(c)}/a%0A", ct));
        var batch = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_id", await fixture.Service.PostJsonAsync("/api/batch", $$$"""{"ops":[{"op":"create","collection":"{{{c}}}","id":"b\n","data":{}}]}"""));
        Assert.Equal(0, batch["opIndex"]!.GetValue<int>());
        await AssertEmptyAsync(c, ct);

        await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_collection_name", await fixture.Service.GetAsync($"/api/collections/{c}%0A/documents", ct));
        var collection = await fixture.Admin.PostJsonAsync("/api/admin/collections", """{"name":"nl\n"}""");
        Assert.Equal(HttpStatusCode.BadRequest, collection.StatusCode);
        var function = await fixture.Admin.PostJsonAsync("/api/admin/functions", """{"name":"fn\n","code":"export default async function (ctx) { return 1; }"}""");
        Assert.Equal(HttpStatusCode.BadRequest, function.StatusCode);
        var user = await fixture.Admin.PostJsonAsync("/api/admin/users", $$"""{"email":"nl{{Guid.NewGuid():N}}@example.com","roles":["editor\n"]}""");
        Assert.Equal("roles[0]", (await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_role", user))["field"]!.GetValue<string>());
        var secret = await fixture.Admin.SendJsonAsync(HttpMethod.Put, "/api/admin/functions/secrets/KEY%0A", """{"value":"v"}""");
        Assert.Equal(HttpStatusCode.BadRequest, secret.StatusCode);
    }

    private async Task AssertEmptyAsync(string collection, CancellationToken ct)
    {
        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(collection)}?count=true", ct));
        Assert.Equal(0, page!["count"]!.GetValue<int>());
        Assert.Empty(page["items"]!.AsArray());
    }
}
