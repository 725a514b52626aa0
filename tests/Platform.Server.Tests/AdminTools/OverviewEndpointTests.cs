using System.Net;
using System.Text.Json.Nodes;
using Platform.Server.Tests.Functions;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.AdminTools;

/// <summary><c>GET /api/admin/overview</c>: the function count and the newest failed runs, on a server of its own (no other test's runs).</summary>
public sealed class OverviewEndpointTests(FunctionServerFixture fixture) : IClassFixture<FunctionServerFixture>
{
    private const string Overview = "/api/admin/overview";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Overview_CountsFunctions_AndListsTheNewestFailedRuns_NewestFirst()
    {
        var broken = await fixture.CreateAsync(cancellationToken: Ct);
        var slow = await fixture.CreateAsync(cancellationToken: Ct);
        var fine = await fixture.CreateAsync(cancellationToken: Ct);
        fixture.Runtime.Handlers[broken] = (_, _) => FakeFunctionRuntime.Failed("boom", 3, 7);
        fixture.Runtime.Handlers[slow] = (_, _) => FakeFunctionRuntime.TimedOut();
        fixture.Runtime.Handlers[fine] = (_, _) => FakeFunctionRuntime.Succeeded(new JsonObject { ["ok"] = true });

        var first = await RunAsync(broken);
        var second = await RunAsync(slow);
        await RunAsync(fine);
        var third = await RunAsync(broken);

        var overview = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync(Overview + "?failures=50", Ct)))!;
        Assert.True(overview["functions"]!.GetValue<int>() >= 3);
        var failures = overview["recentFailures"]!.AsArray().Select(f => f!.AsObject())
            .Where(f => f["function"]!.GetValue<string>() is var n && (n == broken || n == slow || n == fine)).ToList();

        // Succeeded runs are not failures; the rest come newest first.
        Assert.Equal([third, second, first], failures.Select(f => f["id"]!.GetValue<string>()));
        var newest = failures[0];
        Assert.Equal(broken, newest["function"]!.GetValue<string>());
        Assert.Equal("failed", newest["status"]!.GetValue<string>());
        Assert.Equal("manual", newest["trigger"]!.GetValue<string>());
        Assert.Equal("boom", newest["error"]!["message"]!.GetValue<string>());
        Assert.Equal(3, newest["error"]!["line"]!.GetValue<int>());
        Assert.Equal(7, newest["error"]!["column"]!.GetValue<int>());
        Assert.False(newest["deadLetter"]!.GetValue<bool>());
        Assert.True(DateTimeOffset.Parse(newest["startedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UnixEpoch);
        Assert.Equal("timedOut", failures[1]["status"]!.GetValue<string>());

        // The run each row names is the one the Functions page opens.
        var run = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.GetAsync($"/api/admin/functions/{broken}/runs/{third}", Ct));
        Assert.Equal("failed", run!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Overview_Failures_IsBoundedByTheQuery_AndTheDefault()
    {
        var broken = await fixture.CreateAsync(cancellationToken: Ct);
        fixture.Runtime.Handlers[broken] = (_, _) => FakeFunctionRuntime.Failed("again");
        for (var i = 0; i < 12; i++)
        {
            await RunAsync(broken);
        }

        var one = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync(Overview + "?failures=1", Ct)))!;
        Assert.Single(one["recentFailures"]!.AsArray());
        var none = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync(Overview + "?failures=0", Ct)))!;
        Assert.Empty(none["recentFailures"]!.AsArray());

        // Without ?failures= the server's Baas:AdminTools:OverviewFailures (10) applies.
        var byDefault = (await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync(Overview, Ct)))!;
        Assert.Equal(10, byDefault["recentFailures"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("?failures=51", "invalid_limit")]
    [InlineData("?failures=-1", "invalid_limit")]
    [InlineData("?failures=ten", "invalid_limit")]
    [InlineData("?failures=", "invalid_limit")]
    [InlineData("?limit=5", "unknown_parameter")]
    public async Task Overview_BadQuery_Is400_NamingTheParameter(string query, string code)
    {
        var problem = await HttpAssert.ProblemAsync(HttpStatusCode.BadRequest, code, await fixture.Admin.GetAsync(Overview + query, Ct));
        Assert.Contains(query.TrimStart('?').Split('=')[0], problem.ToJsonString(), StringComparison.Ordinal);
    }

    private async Task<string> RunAsync(string name)
    {
        // The fixture's clock stands still: move it, so each run starts later than the one before.
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        var run = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Admin.PostJsonAsync($"/api/admin/functions/{name}/run", "{}"));
        return run!["id"]!.GetValue<string>();
    }
}
