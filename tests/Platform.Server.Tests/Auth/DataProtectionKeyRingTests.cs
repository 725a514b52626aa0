using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Server.Auth;
using Platform.Server.Functions.Definitions;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Auth;

/// <summary>The key ring is read at first use, not at start-up (no System.Private.Xml in an idle node).</summary>
public sealed class DataProtectionKeyRingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KeyRing_IsNotCreatedAtStart_AndTheFirstSecretCreatesIt_AndReadsBack()
    {
        await using var server = await BaasTestServer.StartAsync();
        var keys = Path.Combine(server.DataDir, "keys");

        Assert.DoesNotContain(server.Services.GetServices<IHostedService>(), s => s.GetType().FullName == Platform.Server.Auth.DataProtectionServiceCollectionExtensions.KeyRingPreloadService);
        Assert.Empty(KeyFiles(keys));

        using var admin = await server.CreateAdminClientAsync(Ct);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await admin.SendJsonAsync(HttpMethod.Put, "/api/admin/functions/secrets/FIRST", """{ "value": "sk_first" }"""));

        Assert.Single(KeyFiles(keys));
        var secrets = await server.Services.GetRequiredService<FunctionSecretStore>().GetAllAsync(Ct);
        Assert.Equal("sk_first", secrets["FIRST"]);
    }

    private static string[] KeyFiles(string directory) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory, "key-*.xml") : [];
}
