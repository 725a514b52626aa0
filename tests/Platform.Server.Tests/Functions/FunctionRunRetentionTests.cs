using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Functions.Runs;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions;

/// <summary>Run retention on a server of its own, because it moves the clock by days (admin tokens expire; the service key does not).</summary>
public sealed class FunctionRunRetentionTests(FunctionServerFixture fixture) : IClassFixture<FunctionServerFixture>
{
    private const string Base = "/api/admin/functions";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Retention_DeletesRunsOlderThanRunRetention()
    {
        var name = await fixture.CreateAsync(cancellationToken: Ct);
        var old = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync($"{Base}/{name}/run", "{}"));
        fixture.Clock.Advance(TimeSpan.FromDays(6));
        var recent = await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.PostJsonAsync($"{Base}/{name}/run", "{}"));
        fixture.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        var deleted = await fixture.Server.Services.GetRequiredService<FunctionRunRetention>().SweepAsync(Ct);
        Assert.True(deleted >= 1);
        await HttpAssert.ProblemAsync(HttpStatusCode.NotFound, "run_not_found", await fixture.Service.GetAsync($"{Base}/{name}/runs/{old!["id"]}", Ct));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.GetAsync($"{Base}/{name}/runs/{recent!["id"]}", Ct));
    }
}
