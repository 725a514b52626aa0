using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Server.Admin;
using Platform.Server.Tests.Hosting;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Admin;

public class AdminSetupEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<BaasTestServer> StartUnseededAsync() => BaasTestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Baas:Admin:Email"] = null,
        ["Baas:Admin:Password"] = null,
    });

    [Fact]
    public async Task SetupLink_InTheLog_CarriesAWorkingToken()
    {
        // The link is the one way a new user (README's quick start) gets the first admin: the log's credential
        // redaction must leave it usable.
        var capture = new CapturingLoggerProvider();
        await using var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?> { ["Baas:Admin:Email"] = null, ["Baas:Admin:Password"] = null },
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));

        var line = Assert.Single(capture.Entries, e => e.Category == typeof(AdminSeeder).FullName && e.Level == LogLevel.Warning).Message;
        var link = Regex.Match(line, @"(http://\S+/admin/setup\?token=(\S+))");
        Assert.True(link.Success, line);
        Assert.StartsWith(server.BaseAddress.GetLeftPart(UriPartial.Authority) + "/admin/setup?token=", link.Groups[1].Value, StringComparison.Ordinal);
        Assert.Equal(server.Services.GetRequiredService<AdminSetup>().Token, Uri.UnescapeDataString(link.Groups[2].Value));

        using var client = server.CreateClient();
        using var created = await client.PostJsonAsync("/api/admin/setup", new { token = Uri.UnescapeDataString(link.Groups[2].Value), email = "first@test.local", password = "First-Passw0rd" });
        Assert.True(created.StatusCode == HttpStatusCode.OK, await created.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Setup_CreatesTheFirstAdminOnce_WithTheLoggedToken()
    {
        await using var server = await StartUnseededAsync();
        var token = server.Services.GetRequiredService<AdminSetup>().Token;
        Assert.NotNull(token);
        using var client = server.CreateClient();

        using var wrongToken = await client.PostJsonAsync("/api/admin/setup", new { token = "wrong", email = "first@test.local", password = "First-Passw0rd" });
        await ProblemAssert.IsProblemAsync(wrongToken, HttpStatusCode.Forbidden, "invalid_setup_token");

        using var weak = await client.PostJsonAsync("/api/admin/setup", new { token, email = "first@test.local", password = "short" });
        var weakBody = await ProblemAssert.IsProblemAsync(weak, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("password", weakBody["field"]!.GetValue<string>());

        // A field setup does not read is named, and the token stays usable.
        using var extra = await client.PostJsonAsync("/api/admin/setup", new { token, email = "first@test.local", password = "First-Passw0rd", name = "First" });
        var extraBody = await ProblemAssert.IsProblemAsync(extra, HttpStatusCode.BadRequest, "unknown_field");
        Assert.Equal("name", extraBody["field"]!.GetValue<string>());

        using var created = await client.PostJsonAsync("/api/admin/setup", new { token, email = "First@Test.local", password = "First-Passw0rd" });
        var session = await ProblemAssert.ReadObjectAsync(created, HttpStatusCode.OK);
        Assert.Equal("first@test.local", session["admin"]!["email"]!.GetValue<string>());

        using var again = await client.PostJsonAsync("/api/admin/setup", new { token, email = "second@test.local", password = "Second-Passw0rd" });
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "setup_completed");
        Assert.Null(server.Services.GetRequiredService<AdminSetup>().Token);

        using var me = server.CreateClient();
        me.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session["accessToken"]!.GetValue<string>());
        using var meResponse = await me.GetAsync("/api/admin/auth/me", Ct);
        Assert.Equal(HttpStatusCode.OK, meResponse.StatusCode);
    }

    [Fact]
    public async Task Setup_Is409_WhenAnAdminWasSeeded()
    {
        await using var server = await BaasTestServer.StartAsync();
        using var client = server.CreateClient();

        using var response = await client.PostJsonAsync("/api/admin/setup", new { token = "anything", email = "first@test.local", password = "First-Passw0rd" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "setup_completed");
        Assert.Null(server.Services.GetRequiredService<AdminSetup>().Token);
    }
}
