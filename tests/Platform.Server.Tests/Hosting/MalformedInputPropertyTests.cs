using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Filters;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// Issue 11 item 6, as properties: generated JSON (duplicate keys, lone surrogates, control characters, deep
/// nesting, huge numbers, wrong types, truncation, invalid UTF-8) and query strings thrown at the documents, query,
/// batch and auth endpoints never get a 5xx, every 4xx is problem+json, and a rejected request writes nothing (the
/// change feed does not move; the auth collections keep their counts). FsCheck generates the cases from a seed that
/// every failure names (set <c>BAAS_FUZZ_SEED</c> to replay it); the requests run sequentially against one server.
/// </summary>
public sealed class MalformedInputPropertyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int Cases = 250;

    private static readonly ulong Seed = ulong.TryParse(Environment.GetEnvironmentVariable("BAAS_FUZZ_SEED"), out var seed)
        ? seed
        : (ulong)Random.Shared.NextInt64(1, long.MaxValue);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Documents_NeverFail_AndRejectedRequestsWriteNothing()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{c}/documents", """{"_id":"d1","n":1}"""));
        var gen =
            from verb in Gen.Elements("POST", "GET", "GETQ", "PUT", "PATCH", "DELETE", "QUERY")
            from id in Ids
            from body in Body(ObjectText)
            from query in QueryString
            from anonymous in Gen.Frequency((1, Gen.Constant(true)), (4, Gen.Constant(false)))
            select (verb, id, body, query, anonymous);

        await CheckAsync(gen, async item =>
        {
            var docs = $"/api/collections/{c}/documents";
            using var request = item.verb switch
            {
                "POST" => Request(HttpMethod.Post, docs, item.body),
                "GET" => Request(HttpMethod.Get, $"{docs}/{item.id}", null),
                "GETQ" => Request(HttpMethod.Get, $"{docs}?{item.query}", null),
                "PUT" => Request(HttpMethod.Put, $"{docs}/{item.id}?{item.query}", item.body),
                "PATCH" => Request(HttpMethod.Patch, $"{docs}/{item.id}", item.body),
                "DELETE" => Request(HttpMethod.Delete, $"{docs}/{item.id}", null),
                _ => Request(HttpMethod.Post, $"/api/collections/{c}/query", item.body),
            };
            return await SendAsync(item.anonymous ? fixture.Server.CreateClient() : fixture.Service, request, dispose: item.anonymous);
        });
    }

    [Fact]
    public async Task Query_NeverFails()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{c}/documents", """{"_id":"d1","n":1,"tags":["a"],"o":{"p":2}}"""));
        var queryBody =
            from filter in Value(3)
            from sort in Gen.OneOf(Gen.Constant("\"-n,o.p\""), Value(1), Gen.Elements("[\"n\",\"-o.p\"]", "\"a\\u0000\"", "\"a\\\"b\"", "[\"n\",\"n\"]"))
            from limit in Gen.Elements("1", "0", "-1", "1000", "1001", "1e3", "\"5\"", "null", "99999999999999999999")
            from fields in Gen.OneOf(Gen.Constant("\"n,o\""), Value(1))
            from count in Gen.Elements("true", "false", "1", "\"true\"", "null")
            from keys in Gen.Elements("filter", "filter,sort", "filter,sort,limit,fields,count", "filter,filter", "sort,limit,cursor", "bogus")
            select "{" + string.Join(",", keys.Split(',').Select(k => k switch
            {
                "filter" => $"\"filter\":{filter}",
                "sort" => $"\"sort\":{sort}",
                "limit" => $"\"limit\":{limit}",
                "fields" => $"\"fields\":{fields}",
                "count" => $"\"count\":{count}",
                "cursor" => "\"cursor\":\"eyJ4IjoxfQ\"",
                _ => $"\"{k}\":1",
            })) + "}";
        var gen =
            from body in Body(queryBody)
            from query in QueryString
            from post in Gen.Elements(true, false)
            select (body, query, post);

        await CheckAsync(gen, item => SendAsync(
            fixture.Service,
            item.post ? Request(HttpMethod.Post, $"/api/collections/{c}/query", item.body) : Request(HttpMethod.Get, $"/api/collections/{c}/documents?{item.query}", null)));
    }

    [Fact]
    public async Task Batch_NeverFails_AndRejectedBatchesWriteNothing()
    {
        var c = await fixture.NewCollectionAsync(cancellationToken: Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await fixture.Service.PostJsonAsync($"/api/collections/{c}/documents", """{"_id":"d1","n":1}"""));
        var op =
            from kind in Gen.Elements("\"create\"", "\"replace\"", "\"patch\"", "\"delete\"", "\"upsert\"", "1", "null")
            from collection in Gen.Elements($"\"{c}\"", "\"_users\"", "\"no such\"", "\"\\ud800\"", "5")
            from id in Gen.Elements("\"d1\"", "\"d2\"", "\"a\\u0000b\"", "\"\\ud800\"", "[]", "null")
            from data in Gen.OneOf(ObjectText, Value(1))
            from extra in Gen.Elements(string.Empty, ",\"ifMatch\":\"1\"", ",\"ifMatch\":\"x\"", ",\"upsert\":true", ",\"upsert\":\"\"", ",\"op\":\"create\"")
            select $"{{\"op\":{kind},\"collection\":{collection},\"id\":{id},\"data\":{data}{extra}}}";
        var batch =
            from ops in Gen.ListOf(op, 4)
            from wrap in Gen.Elements("{{\"ops\":[{0}]}}", "{{\"ops\":[{0}],\"ops\":[]}}", "[{0}]", "{{\"ops\":{{{0}}}}}")
            select string.Format(System.Globalization.CultureInfo.InvariantCulture, wrap, string.Join(",", ops));
        var gen =
            from body in Body(batch)
            from query in Gen.Elements(string.Empty, "return=minimal", "return=", "return=all")
            select (body, query);

        await CheckAsync(gen, item => SendAsync(fixture.Service, Request(HttpMethod.Post, $"/api/batch?{item.query}", item.body)));
    }

    [Fact]
    public async Task Auth_NeverFails_AndRejectedRequestsCreateNoUserOrSession()
    {
        var credentials =
            from email in Gen.Elements("\"a@b.c\"", "\"\"", "\"a\\u0000@b.c\"", "\"\\ud800@b.c\"", "1", "null", "[\"a@b.c\"]", "\"" + new string('e', 300) + "@b.c\"")
            from password in Gen.Elements("\"Passw0rd!Passw0rd\"", "\"\"", "\"\\ud800\\ud800\"", "\"p\\u0000ssword123\"", "123", "{}", "\"" + new string('p', 5000) + "\"")
            from token in Gen.Elements("\"x\"", "\"\"", "null", "\"\\udfff\"", "7")
            from dup in Gen.Elements(string.Empty, ",\"password\":\"other\"", ",\"email\":\"x@y.z\"", ",\"data\":{\"a\":1,\"a\":2}", ",\"data\":[]")
            select $"{{\"email\":{email},\"password\":{password},\"refreshToken\":{token}{dup}}}";
        var gen =
            from path in Gen.Elements("/api/auth/signup", "/api/auth/login", "/api/auth/refresh", "/api/admin/auth/login", "/api/admin/setup")
            from body in Body(credentials)
            select (path, body);

        await CheckAsync(
            gen,
            item => SendAsync(fixture.Server.CreateClient(), Request(HttpMethod.Post, item.path, item.body), dispose: true),
            AuthCountsAsync);
    }

    // --- generators -------------------------------------------------------------------------------------------

    private static Gen<string> Keys => Gen.Frequency(
        (6, Gen.Elements("a", "b", "n", "o", "tags", "data", "email", "password")),
        (2, Gen.Elements("_id", "_version", "$set", "$inc", "$where", "$or", "$gt", "a.b", "")),
        (2, Gen.Elements("\\u0000", "a\\u0001", "k\\\"q", "\\ud800", "\\udc00x", "\\ud83d\\ude00", "\u00e9t\u00e9", "\\t")));

    private static Gen<string> Scalar => Gen.Frequency(
        (3, Gen.Elements("0", "-0", "1", "3.14", "-7", "true", "false", "null")),
        (2, Gen.Elements("1e400", "-1e400", "1E-400", "123456789012345678901234567890", "9223372036854775808", "0.1e-7")),
        (3, Gen.Elements("\"x\"", "\"\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"a\\u0000b\"", "\"\\u001f\"", "\"\\ud83d\\ude00\"", "\"2026-01-01T00:00:00.000Z\"")),
        (1, Gen.Elements("\"" + new string('s', 2000) + "\"")));

    /// <summary>The scalars without the 2,000-character string, for query strings.</summary>
    private static Gen<string> UrlScalar => Scalar.Where(v => v.Length < 100);

    /// <summary>A scalar, a short array or a small object of <see cref="UrlScalar"/>s: at most a few hundred characters.</summary>
    private static Gen<string> UrlValue => Gen.Frequency(
        (4, UrlScalar),
        (1, Gen.ListOf(UrlScalar, 4).Select(items => "[" + string.Join(",", items) + "]")),
        (2, Gen.ListOf(Gen.Zip(Keys, UrlScalar), 5).Select(pairs => "{" + string.Join(",", pairs.Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}")));

    private static Gen<string> Value(int depth) => depth <= 0
        ? Scalar
        : Gen.Frequency((4, Scalar), (1, ArrayText(depth)), (2, ObjectOf(depth)), (1, Deep(300)));

    private static Gen<string> ArrayText(int depth) =>
        Gen.ListOf(Value(depth - 1), 4).Select(items => "[" + string.Join(",", items) + "]");

    private static Gen<string> ObjectOf(int depth) =>
        Gen.ListOf(Gen.Zip(Keys, Value(depth - 1)), 5).Select(pairs => "{" + string.Join(",", pairs.Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}");

    private static Gen<string> ObjectText => ObjectOf(3);

    private static Gen<string> Deep(int maxLevels) =>
        from levels in Gen.Choose(20, maxLevels)
        from array in Gen.Elements(true, false)
        select array ? new string('[', levels) + "1" + new string(']', levels) : string.Concat(Enumerable.Repeat("{\"a\":", levels)) + "1" + new string('}', levels);

    /// <summary>A body: mostly the text as generated, sometimes truncated, salted with invalid UTF-8, empty, or with another content type.</summary>
    private static Gen<(byte[] Bytes, string? ContentType)> Body(Gen<string> text) =>
        from json in text
        from mutation in Gen.Frequency((12, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)), (1, Gen.Constant(3)), (1, Gen.Constant(4)))
        from cut in Gen.Choose(0, 100)
        select mutation switch
        {
            1 => (Encoding.UTF8.GetBytes(json[..(json.Length * cut / 100)]), (string?)"application/json"),
            2 => (Salt(Encoding.UTF8.GetBytes(json), cut), "application/json"),
            3 => (Encoding.UTF8.GetBytes(json), cut % 2 == 0 ? "text/plain" : null),
            4 => (Array.Empty<byte>(), "application/json"),
            _ => (Encoding.UTF8.GetBytes(json), "application/json"),
        };

    private static byte[] Salt(byte[] bytes, int percent)
    {
        var at = bytes.Length * percent / 100;
        return [.. bytes[..at], 0xFF, 0xC0, 0xED, 0xA0, 0x80, .. bytes[at..]];
    }

    // No %00: Kestrel refuses a NUL in the path itself with a bare 400, before any endpoint runs.
    private static Gen<string> Ids => Gen.Elements(
        "d1", "d2", "a%01b", "%1F", "x%20y", "%E2%80%AE", "%ED%A0%80", "..", "%2e%2e", new string('i', 200), "_id", "%24x", "a%22b", "%FF");

    private static Gen<string> QueryString =>
        // Kept under the 8 KiB request target (longer is a 414 uri_too_long before any endpoint runs; docs/api.md,
        // Input): up to four filters of at most about 1.6 KiB escaped each. Value(1) and Scalar hold 2,000-character
        // strings and 300-level nestings, which made some seeds' URLs longer (Query_NeverFails failed on a 414).
        from filter in Gen.OneOf(UrlScalar, Deep(100), UrlValue, Gen.Elements("{", "{\"n\":{\"$where\":1}}", "{\"n\":1,\"n\":2}", "{\"a\\u0000\":1}"))
        from sort in Gen.Elements("n", "-n,o.p", "a%00", "$x", "a..b", "\"q\"", ",", "n,n", "%ED%A0%80")
        from limit in Gen.Elements("1", "0", "-5", "abc", "99999999999", "")
        from fields in Gen.Elements("n", "a,b%00", "\"", "$x", "")
        from count in Gen.Elements("true", "false", "", "1", "TRUE", "true%00")
        from upsert in Gen.Elements("true", "false", "", "0", "yes")
        from cursor in Gen.Elements("abc", "eyJ4IjoxfQ", "%00", "", ForgedCursor("""{"s":"\ud800","v":[1]}"""), ForgedCursor("""{"s":"n,_id","s":"n,_id","v":[1,"a"]}"""))
        from parts in Gen.ListOf(Gen.Elements("filter", "sort", "limit", "fields", "count", "upsert", "cursor"), 4)
        select string.Join("&", parts.Select(p => p switch
        {
            "filter" => "filter=" + Uri.EscapeDataString(filter),
            "sort" => "sort=" + sort,
            "limit" => "limit=" + limit,
            "fields" => "fields=" + fields,
            "count" => "count=" + count,
            "upsert" => "upsert=" + upsert,
            _ => "cursor=" + cursor,
        }));

    private static string ForgedCursor(string json) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    // --- running -----------------------------------------------------------------------------------------------

    private static HttpRequestMessage Request(HttpMethod method, string url, (byte[] Bytes, string? ContentType)? body)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is { } b)
        {
            request.Content = new ByteArrayContent(b.Bytes);
            request.Content.Headers.ContentType = b.ContentType is null ? null : new MediaTypeHeaderValue(b.ContentType);
        }

        return request;
    }

    private static async Task<(HttpStatusCode Status, string? MediaType, string Text)> SendAsync(HttpClient client, HttpRequestMessage request, bool dispose = false)
    {
        try
        {
            using var response = await client.SendAsync(request, Ct);
            return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(Ct));
        }
        finally
        {
            request.Dispose();
            if (dispose)
            {
                client.Dispose();
            }
        }
    }

    private async Task<string> FeedPositionAsync() =>
        await fixture.Server.Services.GetRequiredService<IChangeFeed>().GetPositionAsync(Ct);

    private async Task<string> AuthCountsAsync()
    {
        var store = fixture.Server.Services.GetRequiredService<IDocumentStore>();
        var counts = new List<long>();
        foreach (var collection in new[] { "_users", "_sessions", "_refreshtokens", "_admins" })
        {
            counts.Add(await store.CountAsync(collection, MatchAllNode.Instance, Ct));
        }

        return string.Join(",", counts);
    }

    private async Task CheckAsync<T>(Gen<T> gen, Func<T, Task<(HttpStatusCode Status, string? MediaType, string Text)>> send, Func<Task<string>>? state = null)
    {
        state ??= FeedPositionAsync;

        // Printed first, so that even a failure this method does not catch (the test's own timeout) can be replayed.
        TestContext.Current.TestOutputHelper?.WriteLine($"Replay with BAAS_FUZZ_SEED={Seed}");
        var cases = gen.Sample(20, new Rnd(Seed), Cases);
        var statuses = new SortedDictionary<int, int>();
        var index = 0;
        foreach (var item in cases)
        {
            index++;
            string before, after, text;
            HttpStatusCode status;
            string? mediaType;
            try
            {
                before = await state();
                (status, mediaType, text) = await send(item);
                after = await state();
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !Ct.IsCancellationRequested)
            {
                // A request that throws (a reset connection, a client timeout) names its seed and case like an assertion.
                throw new InvalidOperationException($"BAAS_FUZZ_SEED={Seed}, case {index} of {Cases} ({Describe(item)}) threw {ex.GetType().Name}: {ex.Message}", ex);
            }

            var code = (int)status;
            statuses[code] = statuses.GetValueOrDefault(code) + 1;
            var context = $"BAAS_FUZZ_SEED={Seed}, case {index} of {Cases} ({Describe(item)}): {code} {Shorten(text)}";
            Assert.True(code < 500, $"5xx for {context}");
            if (code >= 400)
            {
                Assert.True(mediaType == "application/problem+json", $"not problem+json for {context}");
                Assert.True(ProblemCode(text) is not null, $"no code for {context}");
                Assert.True(before == after, $"a rejected request wrote ({before} -> {after}) for {context}");
            }
        }

        // The generators reach both sides: some requests are accepted, most are refused.
        Assert.True(statuses.Keys.Any(s => s >= 400), $"BAAS_FUZZ_SEED={Seed}: no case was refused ({string.Join(", ", statuses)})");
    }

    private static string? ProblemCode(string text)
    {
        try
        {
            return JsonNode.Parse(text)?["code"] is JsonValue code && code.GetValueKind() == System.Text.Json.JsonValueKind.String ? code.GetValue<string>() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Describe<T>(T item) => Shorten(item switch
    {
        System.Runtime.CompilerServices.ITuple tuple => string.Join(" | ", Enumerable.Range(0, tuple.Length).Select(i => tuple[i] switch
        {
            ValueTuple<byte[], string?> body => $"{body.Item2} {Encoding.UTF8.GetString(body.Item1)}",
            var other => other?.ToString(),
        })),
        _ => item?.ToString() ?? "null",
    });

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + "...";
}
