using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Server.RateLimiting;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.RateLimiting;

public class RateLimitingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string password) =>
        client.PostAsJsonAsync("/api/admin/auth/login", new { email = BaasTestServer.AdminEmail, password }, Ct);

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response)
    {
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited", response);
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem["type"]?.GetValue<string>());
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 60);
        Assert.Equal((int)retryAfter.Value.TotalSeconds, problem["retryAfter"]!.GetValue<int>());
    }

    private static async Task<string> CreateKeyAsync(HttpClient admin)
    {
        using var response = await admin.PostAsJsonAsync("/api/admin/apikeys", new { name = "rl-" + Guid.NewGuid().ToString("N") }, Ct);
        return (await HttpAssert.StatusAsync(HttpStatusCode.Created, response))!["key"]!.GetValue<string>();
    }

    private static HttpClient KeyClient(BaasTestServer server, string key)
    {
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    [Fact]
    public async Task AdminLogin_Is429WithRetryAfter_OnceAuthPerMinuteAttemptsAreUsed()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:RateLimit:AuthPerMinute"] = "3" });
        using var client = server.CreateClient();

        using (var ok = await LoginAsync(client, BaasTestServer.AdminPassword))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, ok);
        }

        for (var i = 0; i < 2; i++)
        {
            using var wrong = await LoginAsync(client, "wrong-password");
            await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", wrong);
        }

        using var limited = await LoginAsync(client, BaasTestServer.AdminPassword);
        await AssertRateLimitedAsync(limited);

        // The window stays shut until the first attempt is a minute old, and Retry-After says so (it used
        // to say 1 s whatever the wait).
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 30, 60);

        // Other endpoints of the same client are not held back by the auth limit.
        using var health = await client.GetAsync("/health", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task UserAuth_Is429WithRetryAfter_OnceAuthPerMinutePostsAreUsed_ButMeStaysReadable()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:RateLimit:AuthPerMinute"] = "3" });
        using var client = server.CreateClient();
        var email = $"u{Guid.NewGuid():N}@example.test";

        using var signup = await client.PostAsJsonAsync("/api/auth/signup", new { email, password = "Passw0rd-long" }, Ct);
        var session = (await HttpAssert.StatusAsync(HttpStatusCode.Created, signup))!;
        for (var i = 0; i < 2; i++)
        {
            using var login = await client.PostAsJsonAsync("/api/auth/login", new { email, password = "Passw0rd-long" }, Ct);
            await HttpAssert.StatusAsync(HttpStatusCode.OK, login);
        }

        using var limited = await client.PostAsJsonAsync("/api/auth/login", new { email, password = "Passw0rd-long" }, Ct);
        await AssertRateLimitedAsync(limited);

        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        me.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", session["accessToken"]!.GetValue<string>());
        using var meResponse = await client.SendAsync(me, Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, meResponse);
    }

    [Fact]
    public async Task AdminLogin_IsNotLimited_WhenAuthPerMinuteIsZero()
    {
        // Admins lock out after Baas:Auth:Lockout:MaxFailedAttempts wrong passwords; set high so only the rate limit is tested.
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Baas:RateLimit:AuthPerMinute"] = "0",
            ["Baas:Auth:Lockout:MaxFailedAttempts"] = "100",
        });
        using var client = server.CreateClient();

        for (var i = 0; i < 25; i++)
        {
            using var wrong = await LoginAsync(client, "wrong-password");
            await HttpAssert.ProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials", wrong);
        }
    }

    [Fact]
    public async Task Api_LimitsEachClientSeparately_WhenApiPerSecondIsSet()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:RateLimit:ApiPerSecond"] = "3" });
        using var admin = await server.CreateAdminClientAsync(Ct);
        using var first = KeyClient(server, await CreateKeyAsync(admin));
        using var second = KeyClient(server, await CreateKeyAsync(admin));

        // The first client spends its budget; the loop bound only matters if requests took over 300 ms each.
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 200 && limited is null; i++)
        {
            var response = await first.GetAsync("/api/admin/apikeys", Ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                await HttpAssert.StatusAsync(HttpStatusCode.OK, response);
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            await AssertRateLimitedAsync(limited);
        }

        // Another client has a full budget of its own, and non-API paths are never limited.
        using var other = await second.GetAsync("/api/admin/apikeys", Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, other);
        using var health = await first.GetAsync("/health", Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    // A signed-out caller could negotiate realtime connections without bound (each one held until it timed out), while
    // the same caller's /api requests were limited.
    [Fact]
    public async Task RealtimeNegotiate_BySignedOutCaller_IsLimitedLikeTheApi_WhenApiPerSecondIsSet()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:RateLimit:ApiPerSecond"] = "3" });
        using var visitor = server.CreateClient();

        HttpResponseMessage? limited = null;
        for (var i = 0; i < 200 && limited is null; i++)
        {
            var response = await visitor.PostAsync("/realtime/negotiate?negotiateVersion=1", content: null, Ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                var negotiated = await HttpAssert.StatusAsync(HttpStatusCode.OK, response);
                Assert.NotNull(negotiated!["connectionToken"]);
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            await AssertRateLimitedAsync(limited);
        }
    }

    [Fact]
    public async Task Api_IsNotLimited_ByDefault()
    {
        await using var server = await BaasTestServer.StartAsync();
        using var admin = await server.CreateAdminClientAsync(Ct);

        for (var i = 0; i < 60; i++)
        {
            using var response = await admin.GetAsync("/api/admin/apikeys", Ct);
            await HttpAssert.StatusAsync(HttpStatusCode.OK, response);
        }

        var options = server.Services.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        Assert.Equal(0, options.ApiPerSecond);
        Assert.Equal(20, new RateLimitOptions().AuthPerMinute);
    }

    [Fact]
    public async Task RealtimeTickets_Are429WithRetryAfter_OnceRealtimeTicketsPerMinuteAreUsed_WhateverTheCredential()
    {
        await using var server = await BaasTestServer.StartAsync(new Dictionary<string, string?> { ["Baas:RateLimit:RealtimeTicketsPerMinute"] = "2" });
        using var admin = await server.CreateAdminClientAsync(Ct);
        using var key = KeyClient(server, await CreateKeyAsync(admin));

        // Every ticket is a record in the store: the budget is per client address, so a second credential (an anonymous
        // sign-in would do) gets no fresh one.
        using (var first = await admin.PostAsync("/api/realtime/ticket", null, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, first);
        }

        using (var second = await key.PostAsync("/api/realtime/ticket", null, Ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, second);
        }

        using var limited = await key.PostAsync("/api/realtime/ticket", null, Ct);
        await AssertRateLimitedAsync(limited);

        // Its own budget: other API requests of the same client are not refused by it.
        using var other = await admin.GetAsync("/api/admin/apikeys", Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, other);
        Assert.Equal(120, new RateLimitOptions().RealtimeTicketsPerMinute);
    }

    [Theory]
    [InlineData("Baas:RateLimit:AuthPerMinute", "-1")]
    [InlineData("Baas:RateLimit:ApiPerSecond", "-5")]
    [InlineData("Baas:RateLimit:RealtimeTicketsPerMinute", "-1")]
    public async Task Server_RefusesToStart_WithANegativeLimit(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => BaasTestServer.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(key.Split(':')[^1], error.Message, StringComparison.Ordinal);
    }
}
