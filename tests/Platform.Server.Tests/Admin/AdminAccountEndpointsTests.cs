using System.Net;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Admin;

public class AdminAccountEndpointsTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private BaasTestServer Server => fixture.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_AddsAnAdminWhoCanSignIn_AndListShowsIt()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var email = $"second-{Guid.NewGuid():N}@test.local";

        using var created = await admin.PostJsonAsync("/api/admin/admins", new { email = " " + email.ToUpperInvariant(), password = "Second-Passw0rd" });
        var body = await ProblemAssert.ReadObjectAsync(created, HttpStatusCode.Created);
        using var anonymous = Server.CreateClient();
        using var login = await anonymous.PostJsonAsync("/api/admin/auth/login", new { email, password = "Second-Passw0rd" });
        using var list = await admin.GetAsync("/api/admin/admins", Ct);
        var items = (await ProblemAssert.ReadObjectAsync(list, HttpStatusCode.OK))["items"]!.AsArray();

        Assert.Equal(email, body["email"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains(items, i => i!["email"]!.GetValue<string>() == email);
        Assert.All(items, i => Assert.Null(i!["passwordHash"]));
    }

    [Fact]
    public async Task Create_AndPatch_Are400UnknownField_NamingIt_AndChangeNothing()
    {
        // Both ignored unknown fields: {"roles": [...]} made a full admin and {"disabled": true, "until": ...} disabled for good.
        using var admin = await Server.CreateAdminClientAsync(Ct);
        var email = $"strict-{Guid.NewGuid():N}@test.local";

        using var refused = await admin.PostJsonAsync("/api/admin/admins", new { email, password = "Strict-Passw0rd", roles = new[] { "readonly" } });
        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "unknown_field");
        Assert.Equal("roles", problem["field"]!.GetValue<string>());
        using (var list = await admin.GetAsync("/api/admin/admins", Ct))
        {
            Assert.DoesNotContain((await ProblemAssert.ReadObjectAsync(list, HttpStatusCode.OK))["items"]!.AsArray(), i => i!["email"]!.GetValue<string>() == email);
        }

        using var created = await admin.PostJsonAsync("/api/admin/admins", new { email, password = "Strict-Passw0rd" });
        var id = (await ProblemAssert.ReadObjectAsync(created, HttpStatusCode.Created))["id"]!.GetValue<string>();
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/admin/admins/{id}")
        {
            Content = new StringContent("""{"disabled":true,"until":"2027-01-01T00:00:00Z"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        using var patched = await admin.SendAsync(patch, Ct);
        problem = await ProblemAssert.IsProblemAsync(patched, HttpStatusCode.BadRequest, "unknown_field");
        Assert.Equal("until", problem["field"]!.GetValue<string>());
        using var anonymous = Server.CreateClient();
        using var login = await anonymous.PostJsonAsync("/api/admin/auth/login", new { email, password = "Strict-Passw0rd" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Create_Is409_ForAnEmailInUse()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);

        using var response = await admin.PostJsonAsync("/api/admin/admins", new { email = BaasTestServer.AdminEmail, password = "Another-Passw0rd" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "email_taken");
    }

    [Fact]
    public async Task Create_Is400ListingEveryProblem_ForABadEmailAndPassword()
    {
        using var admin = await Server.CreateAdminClientAsync(Ct);

        using var response = await admin.PostJsonAsync("/api/admin/admins", new { email = "not-an-email", password = "short" });

        var body = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        var paths = body["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("email", paths);
        Assert.Contains("password", paths);
    }
}
