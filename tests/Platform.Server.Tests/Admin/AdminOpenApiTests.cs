using System.Net;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Admin;

public class AdminOpenApiTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private BaasTestServer Server => fixture.Server;

    [Fact]
    public async Task OpenApiDocument_DescribesTheAdminEndpoints_ByName()
    {
        using var client = Server.CreateClient();

        using var response = await client.GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);

        var document = await ProblemAssert.ReadObjectAsync(response, HttpStatusCode.OK);
        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(op => op.Value!["operationId"]?.GetValue<string>()))
            .ToHashSet();
        Assert.Superset(
            new HashSet<string?> { "AdminLogin", "AdminMe", "AdminSetup", "ListAdmins", "CreateAdmin", "CreateApiKey", "ListApiKeys", "RevokeApiKey" },
            operations);
    }
}
