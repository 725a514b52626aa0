using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Functions;
using Platform.Server.Functions.Runtime;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions.Runtime;

/// <summary>Jint is created at the first code check or run, not when the server starts (issue 13, item 5).</summary>
public sealed class DeferredFunctionRuntimeTests
{
    [Fact]
    public async Task Jint_IsCreated_AtTheFirstCodeCheck_NotAtStartUp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await BaasTestServer.StartAsync();
        var runtime = Assert.IsType<DeferredFunctionRuntime>(server.Services.GetRequiredService<IFunctionRuntime>());
        using var admin = await server.CreateAdminClientAsync(ct);

        // Started, the after-trigger and schedule services running, the functions listed: still no Jint.
        using (var list = await admin.GetAsync("/api/admin/functions", ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, list);
        }

        Assert.False(runtime.IsCreated);

        using var created = await admin.PostJsonAsync("/api/admin/functions", $$"""{ "name": "{{FunctionServerFixture.NewName("jint")}}", "code": "export default async function (ctx) { return 1; }" }""");
        await HttpAssert.StatusAsync(HttpStatusCode.Created, created);
        Assert.True(runtime.IsCreated);
    }
}
