using System.Net;
using System.Net.Http.Headers;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Documents;

/// <summary>
/// HTTP semantics a client of DESIGN.md sections 3, 4 and 12 relies on beyond the happy path: HEAD as GET without a
/// body, conditional reads with lists of tags and <c>*</c>, and the 415 routing writes for a body of another type.
/// Raw requests, as a client that does not use the SDK sends them.
/// </summary>
public sealed class HttpSemanticsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string Docs(string collection) => $"/api/collections/{collection}/documents";

    [Fact]
    public async Task Head_Document_Answers200WithETag_AndNoBody_AndTheConnectionStaysUsable()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));

        for (var i = 0; i < 3; i++)
        {
            using var head = await fixture.Service.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{Docs(c)}/d"), ct);
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal("\"1\"", head.Headers.ETag!.Tag);
            Assert.Equal("application/json", head.Content.Headers.ContentType?.MediaType);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync(ct));

            // The same client (a kept-alive connection) still reads whole answers after a HEAD.
            var doc = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", ct));
            Assert.Equal(1, doc!["n"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Head_MissingDocument_Is404_AndConditional_Is304()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));

        using var missing = await fixture.Service.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{Docs(c)}/nope"), ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Empty(await missing.Content.ReadAsByteArrayAsync(ct));

        using var conditional = new HttpRequestMessage(HttpMethod.Head, $"{Docs(c)}/d");
        conditional.Headers.TryAddWithoutValidation("If-None-Match", "\"1\"");
        using var notModified = await fixture.Service.SendAsync(conditional, ct);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Theory]
    [InlineData("/api/collections/{c}/documents")]
    [InlineData("/api/collections/{c}/documents?limit=1&count=true")]
    [InlineData("/api/admin/collections")]
    [InlineData("/api/admin/collections/{c}")]
    [InlineData("/health")]
    [InlineData("/health/ready")]
    [InlineData("/openapi/v1.json")]
    public async Task Head_OnEveryReadEndpoint_AnswersAsGet_WithoutBody(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var url = path.Replace("{c}", c, StringComparison.Ordinal);
        using var get = await fixture.Service.GetAsync(url, ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);

        using var head = await fixture.Service.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(ct));
    }

    [Fact]
    public async Task Head_WithoutCredentialsOnAdminEndpoint_Is401()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = fixture.Server.CreateClient();
        using var head = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/admin/collections"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, head.StatusCode);
    }

    [Theory]
    [InlineData("\"7\", \"2\"")]
    [InlineData("\"7\",W/\"2\"")]
    [InlineData("*")]
    public async Task Get_IfNoneMatchListOrStar_HoldingTheVersion_Answers304(string ifNoneMatch)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Patch, $"{Docs(c)}/d", """{ "n": 2 }"""));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Docs(c)}/d");
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        using var response = await fixture.Service.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Get_IfNoneMatchListWithoutTheVersion_Answers200()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Docs(c)}/d");
        request.Headers.TryAddWithoutValidation("If-None-Match", "\"2\", \"3\"");
        var doc = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendAsync(request, ct));
        Assert.Equal(1, doc!["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task Get_IfNoneMatchNotAVersion_Is400NamingTheHeader()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Docs(c)}/d");
        request.Headers.TryAddWithoutValidation("If-None-Match", "\"1\", \"abc\"");
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_precondition", await fixture.Service.SendAsync(request, ct));
        Assert.Equal("If-None-Match", problem["field"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task Write_IfMatchWeakTagOfTheCurrentVersion_Is412_AndWritesNothing(string method)
    {
        // If-Match uses the strong comparison: a weak tag never matches, even W/"<current version>" (RFC 9110, 13.1.1).
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await WriteAsync(method, $"{Docs(c)}/d", "W/\"1\"", ct));
        Assert.Equal(1, problem["currentVersion"]!.GetValue<long>());
        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", ct));
        Assert.Equal(1, stored!["_version"]!.GetValue<long>());

        // The strong tag of the same version (quoted or bare) does match.
        using var written = await WriteAsync(method, $"{Docs(c)}/d", "1", ct);
        Assert.True(written.IsSuccessStatusCode, $"{method} with If-Match: 1 answered {(int)written.StatusCode}");
    }

    private async Task<HttpResponseMessage> WriteAsync(string method, string url, string ifMatch, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method != "DELETE")
        {
            request.Content = new StringContent("""{ "n": 2 }""", System.Text.Encoding.UTF8, "application/json");
        }

        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await fixture.Service.SendAsync(request, cancellationToken);
    }

    private Task<HttpResponseMessage> WriteAsync(string method, string url, string? json, string ifNoneMatch)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return fixture.Service.SendAsync(request, TestContext.Current.CancellationToken);
    }

    // If-None-Match on writes used to be ignored: a create-only PUT (upsert with If-None-Match: *) replaced the document.
    [Fact]
    public async Task Put_UpsertWithIfNoneMatchStar_CreatesAMissingDocument_AndNeverReplacesOne()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        var created = await HttpAssert.StatusAsync(HttpStatusCode.OK, await WriteAsync("PUT", $"{Docs(c)}/once?upsert=true", """{ "n": 1 }""", "*"));
        Assert.Equal(1, created!["_version"]!.GetValue<long>());

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await WriteAsync("PUT", $"{Docs(c)}/once?upsert=true", """{ "n": 2 }""", "*"));
        Assert.Equal(1, problem["currentVersion"]!.GetValue<long>());
        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/once", ct));
        Assert.Equal((1, 1L), (stored!["n"]!.GetValue<int>(), stored["_version"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData("PUT", "*")]
    [InlineData("PATCH", "*")]
    [InlineData("DELETE", "*")]
    [InlineData("PUT", "\"1\"")]
    [InlineData("PATCH", "W/\"1\"")]
    [InlineData("DELETE", "\"7\", \"1\"")]
    public async Task Write_WithIfNoneMatchNamingTheDocument_Is412_AndChangesNothing(string method, string ifNoneMatch)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));
        var problem = await HttpAssert.ProblemAsync(
            HttpStatusCode.PreconditionFailed, "version_mismatch", await WriteAsync(method, $"{Docs(c)}/d", method == "DELETE" ? null : """{ "n": 2 }""", ifNoneMatch));
        Assert.Equal(1, problem["currentVersion"]!.GetValue<long>());
        var stored = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", ct));
        Assert.Equal((1, 1L), (stored!["n"]!.GetValue<int>(), stored["_version"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Write_WithIfNoneMatchOfAnotherVersion_IsApplied_AndABadTagIs400()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));
        var patched = await HttpAssert.StatusAsync(HttpStatusCode.OK, await WriteAsync("PATCH", $"{Docs(c)}/d", """{ "n": 2 }""", "\"7\""));
        Assert.Equal(2, patched!["_version"]!.GetValue<long>());
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, "invalid_precondition", await WriteAsync("DELETE", $"{Docs(c)}/d", null, "garbage"));
        Assert.Equal("If-None-Match", problem["field"]!.GetValue<string>());
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}/d", ct));
    }

    [Fact]
    public async Task Put_UpsertWithIfMatchWeakTag_OfAMissingDocument_Is412_AndCreatesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.ProblemAsync(
            HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Service.SendJsonAsync(HttpMethod.Put, $"{Docs(c)}/absent?upsert=true", """{ "n": 1 }""", ifMatch: "W/\"1\""));
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/absent", ct));
    }

    [Theory]
    [InlineData("replace")]
    [InlineData("patch")]
    [InlineData("delete")]
    public async Task Batch_IfMatchWeakTag_Is412ForThatOp_AndAppliesNothing(string op)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync(Docs(c), """{ "_id": "d", "n": 1 }"""));

        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.PreconditionFailed, "version_mismatch", await fixture.Service.PostJsonAsync("/api/batch", $$"""
            { "ops": [ { "op": "create", "collection": "{{c}}", "data": { "_id": "e" } },
                       { "op": "{{op}}", "collection": "{{c}}", "id": "d", "data": { "n": 2 }, "ifMatch": "W/\"1\"" } ] }
            """.Replace(", \"data\": { \"n\": 2 }", op == "delete" ? "" : ", \"data\": { \"n\": 2 }", StringComparison.Ordinal)));
        Assert.Equal(1, problem["opIndex"]!.GetValue<int>());
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/e", ct));
    }

    [Theory]
    [InlineData("/api/collections/{c}/query", "text/plain")]
    [InlineData("/api/collections/{c}/documents", "application/x-www-form-urlencoded")]
    public async Task Post_BodyOfAnotherMediaType_Is415NamingContentType_AndWritesNothing(string path, string mediaType)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        using var content = new StringContent("""{ "n": 1 }""");
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        var problem = await HttpAssert.ProblemAsync(
            HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", await fixture.Service.PostAsync(path.Replace("{c}", c, StringComparison.Ordinal), content, ct));
        Assert.Equal("Content-Type", problem["field"]!.GetValue<string>());
        Assert.Contains(mediaType, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var page = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Docs(c)}?count=true", ct));
        Assert.Equal(0, page!["count"]!.GetValue<int>());
    }

    // JSON is UTF-8 (RFC 8259): a body declared in another charset used to be read as UTF-8 regardless, so a Latin-1 "é"
    // was stored as another character and a UTF-16 body was called malformed JSON.
    [Theory]
    [InlineData("utf-16", "utf-16")]
    [InlineData("iso-8859-1", "iso-8859-1")]
    [InlineData("UTF-32", "utf-32")]
    public async Task Create_BodyDeclaredInACharsetOtherThanUtf8_Is415NamingContentType_AndWritesNothing(string charset, string encoding)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        using var content = new ByteArrayContent(System.Text.Encoding.GetEncoding(encoding).GetBytes("""{ "_id": "cs", "name": "café" }"""));
        content.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", await fixture.Service.PostAsync(Docs(c), content, ct));
        Assert.Equal("Content-Type", problem["field"]!.GetValue<string>());
        Assert.Contains(charset, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "not_found", await fixture.Service.GetAsync($"{Docs(c)}/cs", ct));
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json;charset=\"utf-8\"")]
    [InlineData("application/json; charset=utf8")]
    public async Task Create_BodyDeclaredUtf8_IsAccepted(string contentType)
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        using var content = new ByteArrayContent("""{ "_id": "u8", "name": "café" }"""u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var doc = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostAsync(Docs(c), content, ct));
        Assert.Equal("café", doc!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_BodyWithUtf8ByteOrderMark_IsAccepted()
    {
        var ct = TestContext.Current.CancellationToken;
        var c = await fixture.NewCollectionAsync(cancellationToken: ct);
        using var content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. """{ "_id": "bom", "n": 1 }"""u8.ToArray()]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var doc = await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostAsync(Docs(c), content, ct));
        Assert.Equal("bom", doc!["_id"]!.GetValue<string>());
        Assert.Equal(1, doc["n"]!.GetValue<int>());
    }
}
