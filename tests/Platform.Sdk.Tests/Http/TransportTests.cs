using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Platform.Sdk.Tests.Documents;

namespace Platform.Sdk.Tests.Http;

/// <summary>Retries, headers and problem parsing, against a scripted handler (no server, no real waits).</summary>
public sealed class TransportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Doc = """{"_id":"a","title":"A","_version":3,"_createdAt":"2026-01-02T03:04:05.678Z","_updatedAt":"2026-01-02T03:04:06.000Z","_createdBy":null}""";

    private static (BaasClient Client, ScriptedHandler Handler, RecordingTime Time) Create(int maxRetries = 3, params Func<HttpRequestMessage, HttpResponseMessage>[] script)
    {
        var handler = new ScriptedHandler(script);
        var time = new RecordingTime();
        var options = new BaasClientOptions { BaseUrl = new Uri("http://baas.test/prefix"), ApiKey = "key-1", HttpMessageHandler = handler, TimeProvider = time };
        options.Retry.MaxRetries = maxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        return (new BaasClient(options), handler, time);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string json, string mediaType = "application/json") =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, mediaType) };

    private static HttpResponseMessage Status(HttpStatusCode status, TimeSpan? retryAfter = null)
    {
        var response = new HttpResponseMessage(status);
        if (retryAfter is { } delta)
        {
            response.Headers.RetryAfter = new RetryConditionHeaderValue(delta);
        }

        return response;
    }

    [Fact]
    public async Task Get_IsRetried_OnTransientStatuses_HonouringRetryAfter()
    {
        var (client, handler, time) = Create(3,
            _ => Status(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(7)),
            _ => Status(HttpStatusCode.TooManyRequests),
            _ => Status(HttpStatusCode.GatewayTimeout),
            _ => Json(HttpStatusCode.OK, Doc));
        using (client)
        {
            var doc = await client.Collection<Todo>("todos").GetAsync("a", Ct);
            Assert.Equal(("a", 3L, "A"), (doc!.Id, doc.Version, doc.Data.Title));
        }

        Assert.Equal(4, handler.Requests.Count);
        Assert.Equal(3, time.Delays.Count);
        Assert.Equal(TimeSpan.FromSeconds(7), time.Delays.First());
        Assert.All(time.Delays.Skip(1), d => Assert.InRange(d, TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(480)));
    }

    [Fact]
    public async Task Create_IsRetried_After429_WaitingExactlyRetryAfter()
    {
        var (client, handler, time) = Create(3,
            _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(12)),
            _ => Json(HttpStatusCode.Created, Doc));
        using (client)
        {
            var doc = await client.Collection<Todo>("todos").AddAsync(new Todo { Title = "A" }, Ct);
            Assert.Equal("a", doc.Id);
        }

        Assert.Equal(2, handler.Requests.Count);
        Assert.Equal([TimeSpan.FromSeconds(12)], time.Delays);
    }

    [Fact]
    public async Task RetryAfter_LongerThanMaxDelay_EndsTheCall_WithTheWaitOnTheException()
    {
        var (client, handler, time) = Create(3, _ => Status(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(55)));
        using (client)
        {
            var ex = await Assert.ThrowsAsync<BaasException>(() => client.Collection<Todo>("todos").GetAsync("a", Ct));
            Assert.Equal(429, ex.Status);
            Assert.Equal(TimeSpan.FromSeconds(55), ex.RetryAfter);
        }

        Assert.Single(handler.Requests);
        Assert.Empty(time.Delays);
    }

    [Fact]
    public async Task Get_GivesUp_AfterMaxRetries()
    {
        var (client, handler, _) = Create(2, _ => Status(HttpStatusCode.BadGateway), _ => Status(HttpStatusCode.BadGateway), _ => Status(HttpStatusCode.BadGateway));
        using (client)
        {
            var ex = await Assert.ThrowsAsync<BaasException>(() => client.Collection<Todo>("todos").GetAsync("a", Ct));
            Assert.Equal(502, ex.Status);
            Assert.Equal("http_502", ex.Code);
        }

        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task ConnectionErrors_AreRetriedForIdempotentCalls_ThenStatusZero()
    {
        HttpResponseMessage Fail(HttpRequestMessage _) => throw new HttpRequestException("connection refused");
        var (client, handler, _) = Create(1, Fail, Fail);
        using (client)
        {
            var ex = await Assert.ThrowsAsync<BaasException>(() => client.Collection<Todo>("todos").DeleteAsync("a", cancellationToken: Ct));
            Assert.Equal(0, ex.Status);
            Assert.Equal("network_error", ex.Code);
            Assert.IsType<HttpRequestException>(ex.InnerException);
        }

        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task SlowAnswers_TimeOutPerAttempt_AndAreRetriedForReads()
    {
        var calls = 0;
        using var handler = new DelegatingStub(async (request, token) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
            }

            return Json(HttpStatusCode.OK, Doc);
        });
        var options = new BaasClientOptions { BaseUrl = new Uri("http://baas.test"), HttpMessageHandler = handler, NetworkTimeout = TimeSpan.FromMilliseconds(200) };
        options.Retry.Delay = TimeSpan.Zero;
        using var client = new BaasClient(options);

        var doc = await client.Collection<Todo>("todos").GetAsync("a", Ct);

        Assert.Equal("a", doc!.Id);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task NonIdempotentWrites_AreNeverRetried()
    {
        var (client, handler, _) = Create(3, Enumerable.Repeat<Func<HttpRequestMessage, HttpResponseMessage>>(_ => Status(HttpStatusCode.ServiceUnavailable), 10).ToArray());
        using (client)
        {
            var todos = client.Collection<Todo>("todos");
            Assert.Equal(503, (await Assert.ThrowsAsync<BaasException>(() => todos.AddAsync(new Todo { Title = "x" }, Ct))).Status);
            Assert.Equal(503, (await Assert.ThrowsAsync<BaasException>(() => todos.UpdateAsync("a", new { done = true }, ifMatch: 2, cancellationToken: Ct))).Status);
            Assert.Equal(503, (await Assert.ThrowsAsync<BaasException>(() => client.Batch().Delete(todos, "a").CommitAsync(Ct))).Status);
        }

        Assert.Equal([HttpMethod.Post, HttpMethod.Patch, HttpMethod.Post], handler.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Requests_CarryKeyIfMatchAndJsonBody_ToTheBaseUrlPath()
    {
        var (client, handler, _) = Create(0, _ => Json(HttpStatusCode.OK, Doc));
        using (client)
        {
            await client.Collection<Todo>("my todos").SetAsync("a/b", new Todo { Id = "a/b", Title = "A" }, upsert: true, ifMatch: 3, cancellationToken: Ct);
        }

        var request = Assert.Single(handler.Requests);
        Assert.Equal("http://baas.test/prefix/api/collections/my%20todos/documents/a%2Fb?upsert=true", request.Uri);
        Assert.Equal("key-1", request.Headers["X-Api-Key"]);
        Assert.Equal("\"3\"", request.Headers["If-Match"]);
        Assert.Equal("application/json; charset=utf-8", request.ContentType);
        Assert.Equal("""{"title":"A","done":false,"priority":0,"tags":[],"_id":"a/b"}""", request.Body);
    }

    [Fact]
    public async Task Problems_AreParsed_IntoBaasException()
    {
        const string problem = """
            {"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"The document does not match.","code":"schema_validation","field":"priority",
             "errors":[{"path":"priority","message":"must be at most 5"},{"path":"title","message":"is required","position":3}],"opIndex":4}
            """;
        var (client, _, _) = Create(0, _ => Json(HttpStatusCode.UnprocessableEntity, problem, "application/problem+json"));
        using (client)
        {
            var ex = await Assert.ThrowsAsync<BaasException>(() => client.Collection<Todo>("todos").AddAsync(new Todo(), Ct));
            Assert.Equal((422, "schema_validation", "Unprocessable Entity", "The document does not match.", "priority", 4), (ex.Status, ex.Code, ex.Title, ex.Detail, ex.Field, ex.OpIndex));
            Assert.Equal([new BaasFieldError("priority", "must be at most 5"), new BaasFieldError("title", "is required", 3)], ex.Errors);
            Assert.Equal("422 schema_validation: The document does not match.", ex.Message);
            Assert.Equal("must be at most 5", ex.Problem!["errors"]![0]!["message"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task ValidationProblems_WithErrorsByField_AreFlattened()
    {
        const string problem = """{"title":"One or more validation errors occurred.","status":400,"errors":{"name":["The name is required.","Too short."]}}""";
        var (client, _, _) = Create(0, _ => Json(HttpStatusCode.BadRequest, problem, "application/problem+json"));
        using (client)
        {
            var ex = await Assert.ThrowsAsync<BaasException>(() => client.Admin.ApiKeys.CreateAsync("x", Ct));
            Assert.Equal("http_400", ex.Code);
            Assert.Equal([new BaasFieldError("name", "The name is required."), new BaasFieldError("name", "Too short.")], ex.Errors);
        }
    }

    [Fact]
    public async Task SignIn_SwitchesFromKeyToBearerToken()
    {
        var (client, handler, _) = Create(0,
            _ => Json(HttpStatusCode.OK, """{"admin":{"id":"ad1","email":"a@b.c","createdAt":"2026-01-01T00:00:00.000Z"},"accessToken":"tok","expiresIn":60}"""),
            _ => Json(HttpStatusCode.OK, """{"items":[]}"""),
            _ => Json(HttpStatusCode.OK, """{"items":[]}"""));
        using (client)
        {
            var session = await client.Admin.SignInAsync("a@b.c", "pw", Ct);
            Assert.Equal(("ad1", TimeSpan.FromMinutes(1)), (session.Admin.Id, session.ExpiresIn));
            await client.Admin.ApiKeys.ListAsync(Ct);
            client.Admin.SignOut();
            await client.Admin.ApiKeys.ListAsync(Ct);
        }

        Assert.Equal("Bearer tok", handler.Requests[1].Headers["Authorization"]);
        Assert.False(handler.Requests[1].Headers.ContainsKey("X-Api-Key"));
        Assert.Equal("key-1", handler.Requests[2].Headers["X-Api-Key"]);
    }

    [Fact]
    public async Task Queries_PostTheirBody_AndFollowCursors()
    {
        var (client, handler, _) = Create(0,
            _ => Json(HttpStatusCode.OK, "{\"items\":[" + Doc + "],\"nextCursor\":\"c1\"}"),
            _ => Json(HttpStatusCode.OK, "{\"items\":[" + Doc.Replace("\"a\"", "\"b\"", StringComparison.Ordinal) + "],\"nextCursor\":null}"));
        using (client)
        {
            var docs = await client.Collection<Todo>("todos").Where(t => t.Priority > 1).OrderByDescending(t => t.Priority).PageSize(1).ToListAsync(Ct);
            Assert.Equal(["a", "b"], docs.Select(d => d.Id));
        }

        Assert.Equal("http://baas.test/prefix/api/collections/todos/query", handler.Requests[0].Uri);
        Assert.Equal("""{"filter":{"priority":{"$gt":1}},"limit":1,"sort":["-priority"]}""", handler.Requests[0].Body);
        Assert.Equal("""{"filter":{"priority":{"$gt":1}},"limit":1,"sort":["-priority"],"cursor":"c1"}""", handler.Requests[1].Body);
    }

    [Fact]
    public async Task Cancellation_StopsRetrying()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var (client, handler, _) = Create(5, _ =>
        {
            cts.Cancel();
            return Status(HttpStatusCode.ServiceUnavailable);
        });
        using (client)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Collection<Todo>("todos").GetAsync("a", cts.Token));
        }

        Assert.Single(handler.Requests);
    }

    private sealed record Recorded(HttpMethod Method, string Uri, Dictionary<string, string> Headers, string? ContentType, string? Body);

    private sealed class ScriptedHandler(Func<HttpRequestMessage, HttpResponseMessage>[] script) : HttpMessageHandler
    {
        private int _next;

        public List<Recorded> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value));
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add(new Recorded(request.Method, request.RequestUri!.AbsoluteUri, headers, request.Content?.Headers.ContentType?.ToString(), body));
            var step = _next++;
            Assert.True(step < script.Length, $"Unexpected request #{step + 1}: {request.Method} {request.RequestUri}");
            return script[step](request);
        }
    }

    private sealed class DelegatingStub(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => send(request, cancellationToken);
    }

    /// <summary>Records every delay the client asks for and lets it pass at once.</summary>
    private sealed class RecordingTime : TimeProvider
    {
        public ConcurrentQueue<TimeSpan> Delays { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Delays.Enqueue(dueTime);
            return System.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }
}
