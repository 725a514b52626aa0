using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Platform.Server.Realtime;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Realtime;

public sealed class RealtimeFixture : IAsyncLifetime
{
    private RealtimeTestServer? _server;

    public RealtimeTestServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _server = await RealtimeTestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Baas:Realtime:RuleCheckInterval"] = "00:00:00.050",
    });

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class RealtimeHubTests(RealtimeFixture fixture) : IClassFixture<RealtimeFixture>
{
    private RealtimeTestServer Server => fixture.Server;

    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task Subscribe_Query_ReceivesAddedModifiedRemoved(HubProtocol protocol)
    {
        var collection = await Server.NewCollectionAsync();
        await using var service = await Server.ConnectAsync(protocol: protocol, query: "apikey=" + Server.ApiKey);
        var subscribed = await service.SubscribeAsync(collection, HubClient.Filter("""{ "n": { "$gte": 1 } }"""));
        Assert.False(string.IsNullOrEmpty(subscribed.Sequence));
        Assert.Null(subscribed.Documents);

        await Server.CreateAsync(collection, """{ "_id": "a", "n": 1, "tags": ["x"], "deep": { "pi": 3.5, "ok": true, "none": null } }""");
        var added = await service.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "a");
        Assert.Equal(1, added!["n"]!.GetValue<long>());
        Assert.Equal(3.5, added["deep"]!["pi"]!.GetValue<double>());
        Assert.True(added["deep"]!["ok"]!.GetValue<bool>());
        Assert.Equal("x", added["tags"]![0]!.GetValue<string>());
        Assert.Equal(1, added["_version"]!.GetValue<long>());

        await Server.ReplaceAsync(collection, "a", """{ "n": 2 }""");
        var modified = await service.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Modified, "a");
        Assert.Equal(2, modified!["n"]!.GetValue<long>());

        await Server.DeleteAsync(collection, "a");
        var removed = await service.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Removed, "a");
        Assert.Equal(2, removed!["n"]!.GetValue<long>());
    }

    [Fact]
    public async Task Subscribe_Filter_SendsAddedOnEnterAndRemovedOnLeave()
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var subscribed = await client.SubscribeAsync(collection, HubClient.Filter("""{ "status": "open" }"""));

        await Server.CreateAsync(collection, """{ "_id": "t1", "status": "draft" }""");
        await Server.ReplaceAsync(collection, "t1", """{ "status": "open" }""");
        await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "t1");
        await Server.ReplaceAsync(collection, "t1", """{ "status": "open", "title": "x" }""");
        await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Modified, "t1");
        await Server.ReplaceAsync(collection, "t1", """{ "status": "closed" }""");
        var left = await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Removed, "t1");
        Assert.Equal("open", left!["status"]!.GetValue<string>());

        // Invisible before and after: nothing, so the next event is the sentinel's.
        await Server.ReplaceAsync(collection, "t1", """{ "status": "archived" }""");
        await Server.DeleteAsync(collection, "t1");
        await Server.CreateAsync(collection, """{ "_id": "sentinel", "status": "open" }""");
        await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "sentinel");
    }

    [Theory]
    [InlineData(HubProtocol.Json)]
    [InlineData(HubProtocol.MessagePack)]
    public async Task Subscribe_Id_ReceivesThatDocumentOnlyWithSnapshot(HubProtocol protocol)
    {
        var collection = await Server.NewCollectionAsync();
        await Server.CreateAsync(collection, """{ "_id": "one", "v": 1 }""");
        await using var client = await Server.ConnectAsync(protocol: protocol, query: "apikey=" + Server.ApiKey);
        var subscribed = await client.SubscribeAsync(collection, id: "one", snapshot: true);
        var snapshot = Assert.Single(subscribed.Documents!);
        Assert.Equal(1, HubClient.Document(snapshot)!["v"]!.GetValue<long>());

        await Server.CreateAsync(collection, """{ "_id": "two", "v": 1 }""");
        await Server.ReplaceAsync(collection, "two", """{ "v": 2 }""");
        await Server.ReplaceAsync(collection, "one", """{ "v": 2 }""");
        var modified = await client.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Modified, "one");
        Assert.Equal(2, modified!["v"]!.GetValue<long>());
    }

    [Fact]
    public async Task Subscribe_Snapshot_ReturnsTheMatchingDocuments()
    {
        var collection = await Server.NewCollectionAsync();
        await Server.CreateAsync(collection, """{ "_id": "b", "n": 5 }""");
        await Server.CreateAsync(collection, """{ "_id": "a", "n": 7 }""");
        await Server.CreateAsync(collection, """{ "_id": "c", "n": 1 }""");
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var subscribed = await client.SubscribeAsync(collection, HubClient.Filter("""{ "n": { "$gt": 2 } }"""), snapshot: true);
        Assert.Equal(["a", "b"], subscribed.Documents!.Select(d => HubClient.Document(d)!["_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Subscribe_OwnerOnlyRule_NeverShowsAUserAnotherUsersDocuments()
    {
        var collection = await Server.NewCollectionAsync(new { list = "doc.owner == auth.id", get = "doc.owner == auth.id" });
        await using var alice = await Server.ConnectAsync(Server.UserToken("alice"));
        await using var bob = await Server.ConnectAsync(Server.UserToken("bob"));
        var aliceAll = await alice.SubscribeAsync(collection, snapshot: true);
        var bobAll = await bob.SubscribeAsync(collection);
        var bobOnAlicesDoc = await bob.SubscribeAsync(collection, id: "shared");
        Assert.Empty(aliceAll.Documents!);

        await Server.CreateAsync(collection, """{ "_id": "a1", "owner": "alice", "secret": "alice's" }""");
        await alice.ExpectAsync(aliceAll.SubscriptionId, RealtimeEvents.Added, "a1");
        await Server.CreateAsync(collection, """{ "_id": "shared", "owner": "alice" }""");
        await alice.ExpectAsync(aliceAll.SubscriptionId, RealtimeEvents.Added, "shared");
        await Server.ReplaceAsync(collection, "a1", """{ "owner": "alice", "secret": "still alice's" }""");
        await alice.ExpectAsync(aliceAll.SubscriptionId, RealtimeEvents.Modified, "a1");

        // The document changes owner: it leaves alice's view and enters bob's (both the query and the id subscription).
        await Server.ReplaceAsync(collection, "shared", """{ "owner": "bob" }""");
        var left = await alice.ExpectAsync(aliceAll.SubscriptionId, RealtimeEvents.Removed, "shared");
        Assert.Equal("alice", left!["owner"]!.GetValue<string>());
        var first = await bob.NextAsync();
        var second = await bob.NextAsync();
        var events = new[] { first, second }.OrderBy(e => e.SubscriptionId == bobAll.SubscriptionId ? 0 : 1).ToArray();
        Assert.Equal((bobAll.SubscriptionId, RealtimeEvents.Added, "shared"), (events[0].SubscriptionId, events[0].Type, events[0].Id));
        Assert.Equal((bobOnAlicesDoc.SubscriptionId, RealtimeEvents.Added, "shared"), (events[1].SubscriptionId, events[1].Type, events[1].Id));
        Assert.Equal("bob", HubClient.Document(events[0].Document)!["owner"]!.GetValue<string>());

        await Server.DeleteAsync(collection, "a1");
        await alice.ExpectAsync(aliceAll.SubscriptionId, RealtimeEvents.Removed, "a1");

        // Bob saw nothing of alice's: his next event is his own sentinel.
        await Server.CreateAsync(collection, """{ "_id": "b-sentinel", "owner": "bob" }""");
        await bob.ExpectAsync(bobAll.SubscriptionId, RealtimeEvents.Added, "b-sentinel");
        await Server.CreateAsync(collection, """{ "_id": "a-sentinel", "owner": "alice" }""");
        await alice.ExpectAsync(aliceAll.SubscriptionId, RealtimeEvents.Added, "a-sentinel");
    }

    [Fact]
    public async Task RuleChange_DropsConnectionsWatchingUnderTheOldRule()
    {
        var collection = await Server.NewCollectionAsync(new { list = "true" });
        await using var visitor = await Server.ConnectAsync();
        await using var service = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var watching = await visitor.SubscribeAsync(collection);
        var privileged = await service.SubscribeAsync(collection);
        await Server.CreateAsync(collection, """{ "_id": "public" }""");
        await visitor.ExpectAsync(watching.SubscriptionId, RealtimeEvents.Added, "public");
        await service.ExpectAsync(privileged.SubscriptionId, RealtimeEvents.Added, "public");

        using var update = await Server.Admin.SendJsonAsync(HttpMethod.Put, $"/api/admin/collections/{collection}", """{ "rules": { "list": "auth != null" } }""");
        await HttpAssert.StatusAsync(HttpStatusCode.OK, update);
        Assert.Equal(RealtimeDispatcher.RulesChangedReason, await visitor.Resync.Task.WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken));
        await visitor.Closed.Task.WaitAsync(HubClient.Patience, TestContext.Current.CancellationToken);

        // Rules never bound the service key's subscription: it goes on.
        await Server.CreateAsync(collection, """{ "_id": "after" }""");
        await service.ExpectAsync(privileged.SubscriptionId, RealtimeEvents.Added, "after");
        await using var again = await Server.ConnectAsync();
        var resubscribed = await again.SubscribeAsync(collection, snapshot: true);
        Assert.Empty(resubscribed.Documents!);
    }

    [Fact]
    public async Task Subscribe_WithoutRule_IsRefusedAsUnauthenticatedOrForbidden()
    {
        var collection = await Server.NewCollectionAsync(new { get = "true" });
        await using var anonymous = await Server.ConnectAsync();
        await using var user = await Server.ConnectAsync(Server.UserToken("carol"));
        await using var admin = await Server.ConnectAsync(Server.Admin.DefaultRequestHeaders.Authorization!.Parameter);

        var error = await Assert.ThrowsAsync<HubException>(() => anonymous.SubscribeAsync(collection));
        Assert.StartsWith("unauthenticated: ", HubClient.Refusal(error), StringComparison.Ordinal);
        error = await Assert.ThrowsAsync<HubException>(() => user.SubscribeAsync(collection));
        Assert.StartsWith("forbidden: ", HubClient.Refusal(error), StringComparison.Ordinal);

        // The get rule opens id subscriptions; admins bypass rules.
        await user.SubscribeAsync(collection, id: "x");
        await admin.SubscribeAsync(collection);
    }

    [Fact]
    public async Task Subscribe_PublicRule_LetsAnonymousCallersIn()
    {
        var collection = await Server.NewCollectionAsync(new { list = "true" });
        await using var anonymous = await Server.ConnectAsync();
        var subscribed = await anonymous.SubscribeAsync(collection);
        await Server.CreateAsync(collection, """{ "_id": "p" }""");
        await anonymous.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "p");
    }

    [Theory]
    [InlineData("""{ "$or": {} }""", "invalid_filter: ", "(at filter.$or)")]
    [InlineData("""{ "n": { "$where": 1 } }""", "unknown_operator: ", "(at filter.n.$where)")]
    public async Task Subscribe_BadFilter_IsRefusedNamingTheField(string filter, string prefix, string suffix)
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(collection, HubClient.Filter(filter)));
        Assert.StartsWith(prefix, HubClient.Refusal(error), StringComparison.Ordinal);
        Assert.EndsWith(suffix, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { """{ "collection": 5 }""", "(at collection)" },
        { """{ "collection": "c", "id": ["x"] }""", "(at id)" },
        { """{ "collection": "c", "snapshot": "yes" }""", "(at snapshot)" },
        { """{ "collection": "c", "resumeAfter": { "seq": 1 } }""", "(at resumeAfter)" },
        { """["c"]""", "(at request)" },
        { "42", "(at request)" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Subscribe_MemberOfTheWrongType_IsRefusedAsInvalidRequestNamingIt(string request, string suffix)
    {
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var argument = JsonDocument.Parse(request).RootElement;
        var error = await Assert.ThrowsAsync<HubException>(
            () => client.Connection.InvokeAsync<SubscribeResult>("Subscribe", argument, TestContext.Current.CancellationToken));
        Assert.StartsWith("invalid_request: ", HubClient.Refusal(error), StringComparison.Ordinal);
        Assert.EndsWith(suffix, error.Message, StringComparison.Ordinal);

        // The connection is still usable.
        var collection = await Server.NewCollectionAsync();
        Assert.NotEmpty((await client.SubscribeAsync(collection)).SubscriptionId);
    }

    public static TheoryData<string, string, string> StrictRequests => new()
    {
        // A typo would otherwise start live without the missed events, or without the snapshot asked for.
        { """{ "collection": "c", "resumeafter": "12" }""", "unknown_field: ", "(at resumeafter)" },
        { """{ "collection": "c", "snapShot": true }""", "unknown_field: ", "(at snapShot)" },
        { """{ "collection": "c", "id": "a", "id": "b" }""", "duplicate_key: ", "(at id)" },
        { """{ "collection": "c", "collection": "d" }""", "duplicate_key: ", "(at collection)" },
    };

    [Theory]
    [MemberData(nameof(StrictRequests))]
    public async Task Subscribe_UnknownOrRepeatedMember_IsRefusedNamingIt(string request, string code, string suffix)
    {
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var collection = await Server.NewCollectionAsync();
        using var argument = JsonDocument.Parse(request.Replace("\"c\"", $"\"{collection}\"", StringComparison.Ordinal));
        var error = await Assert.ThrowsAsync<HubException>(
            () => client.Connection.InvokeAsync<SubscribeResult>("Subscribe", argument.RootElement, TestContext.Current.CancellationToken));
        Assert.StartsWith(code, HubClient.Refusal(error), StringComparison.Ordinal);
        Assert.EndsWith(suffix, error.Message, StringComparison.Ordinal);
        Assert.NotEmpty((await client.SubscribeAsync(collection)).SubscriptionId);
    }

    public static TheoryData<HubProtocol, int> ArgumentCounts => new()
    {
        { HubProtocol.Json, 0 },
        { HubProtocol.Json, 2 },
        { HubProtocol.MessagePack, 0 },
        { HubProtocol.MessagePack, 2 },
    };

    [Theory]
    [MemberData(nameof(ArgumentCounts))]
    public async Task Subscribe_WithTheWrongNumberOfArguments_IsRefusedAsInvalidRequest_NotSignalRsBareError(HubProtocol protocol, int count)
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(protocol: protocol, query: "apikey=" + Server.ApiKey);
        var arguments = Enumerable.Range(0, count).Select(_ => (object?)new Dictionary<string, object> { ["collection"] = collection }).ToArray();
        var error = await Assert.ThrowsAsync<HubException>(
            () => client.Connection.InvokeCoreAsync<SubscribeResult>("Subscribe", arguments, TestContext.Current.CancellationToken));
        Assert.StartsWith("invalid_request: ", HubClient.Refusal(error), StringComparison.Ordinal);
        Assert.EndsWith("(at arguments)", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty((await client.SubscribeAsync(collection)).SubscriptionId);
    }

    public static TheoryData<string, object, string> StrictMessagePackRequests => new()
    {
        // MessagePack skipped an unknown member (JSON refused it) and failed a wrong type with SignalR's bare error.
        { "resumeafter", "12", "unknown_field: " },
        { "snapShot", true, "unknown_field: " },
        { "collection", 5, "invalid_request: " },
        { "snapshot", "yes", "invalid_request: " },
    };

    [Theory]
    [MemberData(nameof(StrictMessagePackRequests))]
    public async Task Subscribe_OverMessagePack_IsAsStrictAsOverJson(string member, object value, string code)
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(protocol: HubProtocol.MessagePack, query: "apikey=" + Server.ApiKey);
        var request = new Dictionary<string, object> { ["collection"] = collection, [member] = value };
        var error = await Assert.ThrowsAsync<HubException>(
            () => client.Connection.InvokeAsync<SubscribeResult>("Subscribe", request, TestContext.Current.CancellationToken));
        Assert.StartsWith(code, HubClient.Refusal(error), StringComparison.Ordinal);
        Assert.EndsWith($"(at {member})", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty((await client.SubscribeAsync(collection)).SubscriptionId);
    }

    [Fact]
    public async Task Subscribe_OverMessagePack_ReadsEveryMember()
    {
        var collection = await Server.NewCollectionAsync();
        await Server.CreateAsync(collection, """{ "_id": "m1", "k": 1 }""");
        await Server.CreateAsync(collection, """{ "_id": "m2", "k": 2 }""");
        await using var client = await Server.ConnectAsync(protocol: HubProtocol.MessagePack, query: "apikey=" + Server.ApiKey);
        var request = new Dictionary<string, object?>
        {
            ["collection"] = collection,
            ["filter"] = new Dictionary<string, object> { ["k"] = 2 },
            ["id"] = null,
            ["snapshot"] = true,
            ["resumeAfter"] = null,
        };
        var result = await client.Connection.InvokeAsync<SubscribeResult>("Subscribe", request, TestContext.Current.CancellationToken);
        Assert.Equal(["m2"], result.Documents!.Select(d => HubClient.Document(d)!["_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Subscribe_ResumeAfterAsANumber_ResumesLikeTheString()
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var first = await client.SubscribeAsync(collection);
        await Server.CreateAsync(collection, """{ "_id": "r1" }""");
        var seen = await client.NextAsync();
        await Server.CreateAsync(collection, """{ "_id": "r2" }""");
        await client.ExpectAsync(first.SubscriptionId, RealtimeEvents.Added, "r2");

        await using var again = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var argument = JsonDocument.Parse($$"""{ "collection": "{{collection}}", "resumeAfter": {{Storage.Sqlite.SqlitePositions.Sequence(seen.Sequence)}} }""").RootElement;
        var resumed = await again.Connection.InvokeAsync<SubscribeResult>("Subscribe", argument, TestContext.Current.CancellationToken);
        Assert.True(resumed.Resumed);
        await again.ExpectAsync(resumed.SubscriptionId, RealtimeEvents.Added, "r2");
    }

    [Fact]
    public async Task Subscribe_UnknownOrSystemCollection_IsRefused()
    {
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("nosuchcollection"));
        Assert.StartsWith("collection_not_found: ", HubClient.Refusal(error), StringComparison.Ordinal);
        error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("_apikeys"));
        Assert.StartsWith("invalid_collection_name: ", HubClient.Refusal(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_AccessTokenQueryParameter_AuthenticatesTheUser()
    {
        var collection = await Server.NewCollectionAsync(new { list = "auth.id == \"dave\"" });
        await using var dave = await Server.ConnectAsync(query: "access_token=" + Server.UserToken("dave"));
        var subscribed = await dave.SubscribeAsync(collection);
        await Server.CreateAsync(collection, """{ "_id": "d" }""");
        await dave.ExpectAsync(subscribed.SubscriptionId, RealtimeEvents.Added, "d");
    }

    [Theory]
    [InlineData("access_token=not-a-token")]
    [InlineData("apikey=baas_sk_notarealkeynotarealkeynotarealkeynotareal")]
    public async Task Connect_InvalidCredentials_Is401(string query)
    {
        using var http = Server.Server.CreateClient();
        using var response = await http.PostAsync($"/realtime/negotiate?negotiateVersion=1&{query}", null, TestContext.Current.CancellationToken);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", response);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => Server.ConnectAsync(query: query));
    }

    [Fact]
    public async Task Connect_InvalidBearerHeader_Is401ButNoCredentialsIsAllowed()
    {
        using var http = Server.Server.CreateClient();
        using var anonymous = await http.PostAsync("/realtime/negotiate?negotiateVersion=1", null, TestContext.Current.CancellationToken);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, anonymous);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/negotiate?negotiateVersion=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "expired.or.forged");
        using var refused = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated", refused);
    }

    [Fact]
    public async Task Unsubscribe_StopsTheEvents()
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var first = await client.SubscribeAsync(collection, HubClient.Filter("""{ "k": 1 }"""));
        var second = await client.SubscribeAsync(collection, HubClient.Filter("""{ "k": 2 }"""));
        await client.Connection.InvokeAsync("Unsubscribe", first.SubscriptionId, TestContext.Current.CancellationToken);
        await Server.CreateAsync(collection, """{ "_id": "one", "k": 1 }""");
        await Server.CreateAsync(collection, """{ "_id": "two", "k": 2 }""");
        await client.ExpectAsync(second.SubscriptionId, RealtimeEvents.Added, "two");
    }

    public static TheoryData<HubProtocol, int> NotStrings()
    {
        var data = new TheoryData<HubProtocol, int>();
        foreach (var protocol in new[] { HubProtocol.Json, HubProtocol.MessagePack })
        {
            for (var i = 0; i < 5; i++)
            {
                data.Add(protocol, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NotStrings))]
    public async Task Unsubscribe_WithANonStringId_IsRefusedNamingTheArgument_AndKeepsTheConnectionAndItsSubscriptions(HubProtocol protocol, int kind)
    {
        object?[] arguments = [42, null, new Dictionary<string, object> { ["id"] = "x" }, true, new[] { "a" }];
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(protocol: protocol, query: "apikey=" + Server.ApiKey);
        var held = await client.SubscribeAsync(collection, HubClient.Filter("""{ "k": 1 }"""));

        var error = await Assert.ThrowsAsync<HubException>(
            () => client.Connection.InvokeAsync("Unsubscribe", arguments[kind], TestContext.Current.CancellationToken));
        Assert.StartsWith("invalid_request: ", HubClient.Refusal(error), StringComparison.Ordinal);
        Assert.EndsWith("(at subscriptionId)", error.Message, StringComparison.Ordinal);

        Assert.Equal(HubConnectionState.Connected, client.Connection.State);
        await Server.CreateAsync(collection, """{ "_id": "one", "k": 1 }""");
        await client.ExpectAsync(held.SubscriptionId, RealtimeEvents.Added, "one");
    }

    [Theory]
    [MemberData(nameof(ArgumentCounts))]
    public async Task Unsubscribe_WithTheWrongNumberOfArguments_IsRefusedAsInvalidRequest_NotSignalRsBareError(HubProtocol protocol, int count)
    {
        var collection = await Server.NewCollectionAsync();
        await using var client = await Server.ConnectAsync(protocol: protocol, query: "apikey=" + Server.ApiKey);
        var held = await client.SubscribeAsync(collection, HubClient.Filter("""{ "k": 1 }"""));
        var arguments = Enumerable.Range(0, count).Select(_ => (object?)held.SubscriptionId).ToArray();

        var error = await Assert.ThrowsAsync<HubException>(
            () => client.Connection.InvokeCoreAsync("Unsubscribe", arguments, TestContext.Current.CancellationToken));
        Assert.StartsWith("invalid_request: ", HubClient.Refusal(error), StringComparison.Ordinal);
        Assert.EndsWith("(at arguments)", error.Message, StringComparison.Ordinal);

        // Nothing was unsubscribed: the refused call left the subscription live.
        await Server.CreateAsync(collection, """{ "_id": "one", "k": 1 }""");
        await client.ExpectAsync(held.SubscriptionId, RealtimeEvents.Added, "one");
    }

    [Fact]
    public async Task Unsubscribe_WithoutId_IsRefusedNamingTheField()
    {
        await using var client = await Server.ConnectAsync(query: "apikey=" + Server.ApiKey);
        var error = await Assert.ThrowsAsync<HubException>(
            () => client.Connection.InvokeAsync("Unsubscribe", (string?)null, TestContext.Current.CancellationToken));
        Assert.StartsWith("invalid_request: ", HubClient.Refusal(error), StringComparison.Ordinal);
        Assert.EndsWith("(at subscriptionId)", error.Message, StringComparison.Ordinal);
    }
}
