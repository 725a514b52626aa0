using System.Net;
using Bunit;
using System.Text.Json.Nodes;
using Platform.Admin.Services;
using Platform.Admin.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Tests.Services;

public sealed class DashboardServicesTests : DashboardTestContext
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://localhost:8090/admin/", "http://localhost:8090/")]
    [InlineData("https://example.com/baas/admin/", "https://example.com/baas/")]
    [InlineData("http://localhost:5000/", "http://localhost:5000/")]
    public void ServerUrl_IsTheBaseAddressWithoutAdmin(string baseAddress, string expected) =>
        Assert.Equal(new Uri(expected), DashboardServiceCollectionExtensions.ServerUrlFromBaseAddress(baseAddress));

    [Fact]
    public async Task SignIn_StartsTheSession_AndCallsSendTheToken()
    {
        var changes = new List<SessionChange>();
        Session.Changed += (_, change) => changes.Add(change);
        await SignInAsync();
        Api.On(HttpMethod.Get, "/api/admin/admins", HttpStatusCode.OK, new JsonObject { ["items"] = new JsonArray() });

        await Services.GetRequiredService<AdminAccountsService>().ListAsync(Ct);

        Assert.True(Session.IsSignedIn);
        Assert.Equal("admin@test.local", Session.Admin!.Email);
        Assert.Equal([SessionChange.SignedIn], changes);
        Assert.Equal("Bearer admin-token", Api.Requests[^1].Authorization);
    }

    [Fact]
    public async Task A401ForTheCurrentToken_ExpiresTheSession_AndDropsTheToken()
    {
        await SignInAsync();
        var changes = new List<SessionChange>();
        Session.Changed += (_, change) => changes.Add(change);
        Api.On(HttpMethod.Get, "/api/admin/admins", HttpStatusCode.Unauthorized, StubApi.Problem(401, "unauthenticated", "The token expired."));

        var error = await Assert.ThrowsAsync<BaasException>(() => Services.GetRequiredService<AdminAccountsService>().ListAsync(Ct));

        Assert.Equal(401, error.Status);
        Assert.False(Session.IsSignedIn);
        Assert.Equal([SessionChange.Expired], changes);
        await Assert.ThrowsAsync<BaasException>(() => Services.GetRequiredService<AdminAccountsService>().ListAsync(Ct));
        Assert.Null(Api.Requests[^1].Authorization);
    }

    [Fact]
    public async Task A401WithoutASession_ChangesNothing()
    {
        var changes = new List<SessionChange>();
        Session.Changed += (_, change) => changes.Add(change);
        Api.On(HttpMethod.Post, "/api/admin/auth/login", HttpStatusCode.Unauthorized, StubApi.Problem(401, "invalid_credentials", "The email or password is wrong."));

        var error = await Assert.ThrowsAsync<BaasException>(() => Auth.SignInAsync("admin@test.local", "wrong", Ct));

        Assert.Equal("invalid_credentials", error.Code);
        Assert.Empty(changes);
        Assert.False(Session.IsSignedIn);
    }

    [Fact]
    public async Task SignOut_EndsTheTokenOnTheServer_ThenForgetsIt()
    {
        await SignInAsync();
        var changes = new List<SessionChange>();
        Session.Changed += (_, change) => changes.Add(change);
        Api.On(HttpMethod.Post, "/api/admin/auth/logout", HttpStatusCode.NoContent);
        Api.On(HttpMethod.Get, "/api/admin/admins", HttpStatusCode.Unauthorized, StubApi.Problem(401, "unauthenticated", "Sign in."));

        Assert.True(await Auth.SignOutAsync(Ct));

        // Forgetting alone would leave a copied token valid for hours: the server is told, with that token.
        var logout = Assert.Single(Api.Requests, r => r.PathAndQuery == "/api/admin/auth/logout");
        Assert.Equal(HttpMethod.Post, logout.Method);
        Assert.Equal("Bearer admin-token", logout.Authorization);
        Assert.Equal([SessionChange.SignedOut], changes);
        await Assert.ThrowsAsync<BaasException>(() => Services.GetRequiredService<AdminAccountsService>().ListAsync(Ct));
        Assert.False(Session.IsSignedIn);
        Assert.Null(Api.Requests[^1].Authorization);
    }

    [Fact]
    public async Task SignOut_WhenTheServerFails_StillForgetsTheToken_AndSaysSo()
    {
        await SignInAsync();
        Api.On(HttpMethod.Post, "/api/admin/auth/logout", HttpStatusCode.ServiceUnavailable, StubApi.Problem(503, "unavailable", "Down."));
        Api.On(HttpMethod.Get, "/api/admin/admins", HttpStatusCode.Unauthorized, StubApi.Problem(401, "unauthenticated", "Sign in."));

        Assert.False(await Auth.SignOutAsync(Ct));

        Assert.False(Session.IsSignedIn);
        await Assert.ThrowsAsync<BaasException>(() => Services.GetRequiredService<AdminAccountsService>().ListAsync(Ct));
        Assert.Null(Api.Requests[^1].Authorization);
    }

    [Fact]
    public async Task SignOut_WithATokenThatHadEnded_IsASignOut_NotAnExpiry()
    {
        await SignInAsync();
        var changes = new List<SessionChange>();
        Session.Changed += (_, change) => changes.Add(change);
        Api.On(HttpMethod.Post, "/api/admin/auth/logout", HttpStatusCode.Unauthorized, StubApi.Problem(401, "unauthenticated", "Ended."));

        Assert.True(await Auth.SignOutAsync(Ct));

        Assert.Equal([SessionChange.SignedOut], changes);
    }

    [Fact]
    public async Task Overview_CountsDocumentsPerCollection_AndUsers()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/health/ready", HttpStatusCode.OK)
            .On(HttpMethod.Get, "/api/admin/overview", HttpStatusCode.OK, JsonNode.Parse("""{"version":"1.2.3","storageProvider":"sqlite","ready":true,"health":"healthy"}"""))
            .On(HttpMethod.Get, "/api/admin/realtime", HttpStatusCode.OK, JsonNode.Parse("""{"connections":2,"subscriptions":3,"collections":[]}"""))
            .On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[{"name":"todos"},{"name":"notes"}]}"""))
            .On(HttpMethod.Post, "/api/collections/todos/query", HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":3}"""))
            .On(HttpMethod.Post, "/api/collections/notes/query", HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":5}"""))
            .On(HttpMethod.Get, "/api/admin/users?limit=1000", HttpStatusCode.OK, JsonNode.Parse("""{"items":[{"id":"u1","email":"a@x.io"},{"id":"u2","email":"b@x.io"}]}"""));

        var overview = await Services.GetRequiredService<OverviewService>().GetAsync(Ct);

        Assert.True(overview.Health.Ready);
        Assert.Equal([new CollectionSummary("notes", 5), new CollectionSummary("todos", 3)], overview.Collections);
        Assert.Equal(2, overview.Users);
        Assert.False(overview.MoreUsers);
        Assert.False(string.IsNullOrEmpty(overview.DashboardVersion));
        Assert.Equal(("1.2.3", "sqlite", true, "healthy"), (overview.Server.Version, overview.Server.StorageProvider, overview.Server.Ready, overview.Server.Health));
        Assert.Equal(0, overview.Server.Functions);
        Assert.Empty(overview.Server.RecentFailures);
        Assert.Equal(2, overview.Realtime.Connections);
    }

    [Fact]
    public async Task CollectionCounter_CountsAFewAtATime_AndReportsEachAsItArrives()
    {
        await SignInAsync();
        string[] names = ["c1", "c2", "c3", "c4", "c5"];
        var answers = names.ToDictionary(n => n, _ => new TaskCompletionSource<(HttpStatusCode, JsonNode?)>(TaskCreationOptions.RunContinuationsAsynchronously));
        foreach (var name in names)
        {
            Api.OnLater(HttpMethod.Post, $"/api/collections/{name}/query", _ => answers[name].Task);
        }

        var reported = new List<(string Name, CollectionCount Count)>();
        var counting = Services.GetRequiredService<CollectionCounter>().CountEachAsync(names, (name, count) =>
        {
            lock (reported)
            {
                reported.Add((name, count));
            }

            return Task.CompletedTask;
        }, Ct);

        Assert.Equal(["c1", "c2", "c3"], QueriesSent());
        answers["c2"].SetResult((HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":2}""")));
        await WaitUntil(() => QueriesSent().Count == 4);
        Assert.Equal(["c1", "c2", "c3", "c4"], QueriesSent());
        Assert.Equal([("c2", new CollectionCount(2, null))], Reported());

        answers["c1"].SetResult((HttpStatusCode.UnprocessableEntity, StubApi.Problem(422, "query_timeout", "Too long.")));
        foreach (var name in names[2..])
        {
            answers[name].SetResult((HttpStatusCode.OK, JsonNode.Parse("""{"items":[],"count":7}""")));
        }

        await counting;
        Assert.Equal(5, reported.Count);
        Assert.Equal("query_timeout", Assert.Single(reported, r => r.Name == "c1").Count.Refused?.Code);
        Assert.All(reported.Where(r => r.Name != "c1"), r => Assert.Null(r.Count.Refused));

        List<string> QueriesSent()
        {
            lock (Api.Requests)
            {
                return [.. Api.Requests.Where(r => r.PathAndQuery.EndsWith("/query", StringComparison.Ordinal)).Select(r => r.PathAndQuery.Split('/')[3])];
            }
        }

        List<(string, CollectionCount)> Reported()
        {
            lock (reported)
            {
                return [.. reported];
            }
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 10)
        {
            Assert.True(waited < 15_000, "The condition did not hold within 15 s.");
            await Task.Delay(10, Ct);
        }
    }

    [Fact]
    public async Task Overview_ReportsNotReady_WhenHealthIs503()
    {
        await SignInAsync();
        Api.On(HttpMethod.Get, "/health/ready", HttpStatusCode.ServiceUnavailable)
            .On(HttpMethod.Get, "/api/admin/overview", HttpStatusCode.OK, JsonNode.Parse("""{"version":"1.2.3","storageProvider":"mongodb","ready":false,"health":"unhealthy"}"""))
            .On(HttpMethod.Get, "/api/admin/realtime", HttpStatusCode.OK, JsonNode.Parse("""{"connections":0,"subscriptions":0,"collections":[]}"""))
            .On(HttpMethod.Get, "/api/admin/collections", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""))
            .On(HttpMethod.Get, "/api/admin/users?limit=1000", HttpStatusCode.OK, JsonNode.Parse("""{"items":[]}"""));

        var overview = await Services.GetRequiredService<OverviewService>().GetAsync(Ct);

        Assert.Equal(new BaasHealth(false, 503), overview.Health);
        Assert.Single(Api.Requests, r => r.PathAndQuery == "/health/ready");
    }

    [Fact]
    public async Task Theme_IsReadFromAndWrittenToLocalStorage_AndNothingElse()
    {
        JSInterop.Setup<string?>("localStorage.getItem", ThemeService.StorageKey).SetResult("dark");
        var theme = Services.GetRequiredService<ThemeService>();

        Assert.True(await theme.GetDarkModeAsync());
        await theme.SetDarkModeAsync(false);

        var write = Assert.Single(JSInterop.Invocations, i => i.Identifier == "localStorage.setItem");
        Assert.Equal([ThemeService.StorageKey, "light"], write.Arguments);
    }
}
