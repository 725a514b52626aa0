using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Auth;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Telemetry;

/// <summary>The Prometheus scrape endpoint <c>GET /api/admin/metrics</c>: admins and service keys only, <c>baas_*</c> series.</summary>
public sealed class MetricsEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Scrape_RefusesVisitorsAndAppUsers()
    {
        await using var server = await BaasTestServer.StartAsync();
        using var visitor = server.CreateClient();
        using var user = server.CreateClient();
        var token = server.Services.GetRequiredService<BaasTokenService>()
            .IssueUserToken(new UserTokenSubject("u" + Guid.NewGuid().ToString("N"), "metrics@test.local", [], Anonymous: false, EmailVerified: true, SessionId: null)).AccessToken;
        user.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var anonymous = await visitor.GetAsync("/api/admin/metrics", Ct);
        using var appUser = await user.GetAsync("/api/admin/metrics", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, appUser.StatusCode);
        Assert.DoesNotContain("baas_", await anonymous.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.DoesNotContain("baas_", await appUser.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_OtherMethods_Are405WithAllowGetAndHead()
    {
        await using var server = await BaasTestServer.StartAsync();
        using var admin = await server.CreateAdminClientAsync(Ct);
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Delete, HttpMethod.Put })
        {
            using var response = await admin.SendAsync(new HttpRequestMessage(method, "/api/admin/metrics"), Ct);
            await HttpAssert.ProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed", response);
            Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow);
        }

        using var head = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/admin/metrics"), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task Scrape_AfterRequestsAndAWrite_ListsBaasSeriesWithValues()
    {
        await using var server = await BaasTestServer.StartAsync();
        using var admin = await server.CreateAdminClientAsync(Ct);
        var collection = "metrics" + Guid.NewGuid().ToString("N")[..12];
        (await admin.PostAsJsonAsync("/api/admin/collections", new { name = collection }, Ct)).EnsureSuccessStatusCode();
        using (var created = await admin.PostAsJsonAsync($"/api/collections/{collection}/documents", new { title = "counted" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            (await admin.GetAsync($"/api/collections/{collection}/documents", Ct)).EnsureSuccessStatusCode();
        }

        // A service key may scrape too, as Prometheus sends it: Authorization: Bearer <key> (docs/deployment.md).
        using var keyResponse = await admin.PostAsJsonAsync("/api/admin/apikeys", new { name = "prometheus" }, Ct);
        keyResponse.EnsureSuccessStatusCode();
        var key = (await keyResponse.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(Ct))!["key"]!.GetValue<string>();
        using var scraper = server.CreateClient();
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using (var elsewhere = await scraper.GetAsync("/api/admin/collections", Ct))
        {
            // Only the scrape endpoint takes a service key as a Bearer token.
            Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
        }

        using var response = await scraper.GetAsync("/api/admin/metrics", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var series = Series(text);
        Assert.Contains(series, s => s.Name == "baas_storage_operations_total" && s.Labels.Contains("operation=\"write\"", StringComparison.Ordinal)
            && s.Labels.Contains(server.Provider == TestProvider.Mongo ? "provider=\"mongodb\"" : "provider=\"sqlite\"", StringComparison.Ordinal) && s.Value > 0);
        Assert.Contains(series, s => s.Name == "baas_storage_operation_duration_seconds_count" && s.Labels.Contains("operation=\"query\"", StringComparison.Ordinal) && s.Value > 0);
        Assert.Contains(series, s => s.Name == "http_server_request_duration_seconds_count" && s.Value > 0);
        Assert.Contains(series, s => s.Name.StartsWith("kestrel_", StringComparison.Ordinal));

        // Kestrel's buffer pool meter records on every buffer rent and return (part of each realtime event's cost): left out.
        Assert.DoesNotContain(series, s => s.Name.StartsWith("aspnetcore_memory_pool", StringComparison.Ordinal));
        Assert.True(series.Count(s => s.Name.StartsWith("baas_", StringComparison.Ordinal) && s.Value > 0) >= 2, text);
    }

    private static List<(string Name, string Labels, double Value)> Series(string exposition)
    {
        var series = new List<(string, string, double)>();
        foreach (var line in exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            // name{labels} value [timestamp]
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', brace < 0 ? 0 : line.IndexOf('}', StringComparison.Ordinal));
            var name = brace >= 0 && brace < space ? line[..brace] : line[..space];
            var labels = brace >= 0 && brace < space ? line[brace..(line.IndexOf('}', StringComparison.Ordinal) + 1)] : "";
            var value = line[(space + 1)..].Split(' ')[0];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                series.Add((name, labels, number));
            }
        }

        return series;
    }
}
