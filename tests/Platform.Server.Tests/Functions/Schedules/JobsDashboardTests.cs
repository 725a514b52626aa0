using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Server.Dashboard;
using Platform.Server.Functions.Schedules;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions.Schedules;

/// <summary>The jobs dashboard at <c>/admin/jobs</c>: admins only, through the cookie minted by <c>POST /api/admin/jobs/session</c>.</summary>
public sealed class JobsDashboardTests(FunctionServerFixture fixture) : IClassFixture<FunctionServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> OpenSessionAsync(HttpClient client)
    {
        using var response = await client.PostAsync(JobsDashboardEndpoints.SessionPath, null, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(JobsDashboardSessions.CookieName + "=", cookie, StringComparison.Ordinal);
        Assert.Contains("path=/admin/jobs", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(cookie.Split(';').Select(p => p.Trim()), p => p.Equals("secure", StringComparison.OrdinalIgnoreCase));
        return cookie[..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    private static HttpRequestMessage Dashboard(string? cookie, string path = DashboardEndpoints.JobsPath)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return request;
    }

    [Fact]
    public async Task Admin_WithTheMintedCookie_GetsTheDashboard_WithItsOwnCsp()
    {
        var cookie = await OpenSessionAsync(fixture.Admin);
        using var anonymous = fixture.Server.CreateClient();
        using var page = await anonymous.SendAsync(Dashboard(cookie), Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("Baas jobs", html, StringComparison.Ordinal);
        Assert.Equal(DashboardSecurityHeaders.JobsContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());

        // The recurring jobs page and the dashboard's own script load with the same cookie.
        using var recurring = await anonymous.SendAsync(Dashboard(cookie, DashboardEndpoints.JobsPath + "/recurring"), Ct);
        Assert.Equal(HttpStatusCode.OK, recurring.StatusCode);
    }

    [Fact]
    public async Task Admin_WithTheirBearerToken_GetsTheDashboard_ButAServiceKeyDoesNot()
    {
        using (var page = await fixture.Admin.SendAsync(Dashboard(null), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("Baas jobs", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using (var page = await fixture.Service.SendAsync(Dashboard(null), Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
            Assert.DoesNotContain("Baas jobs", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Post_WithoutAForm_Is415NamingTheHeader_NotHangfiresException()
    {
        using (var response = await fixture.Admin.PostAsync(DashboardEndpoints.JobsPath + "/stats", null, Ct))
        {
            var problem = await HttpAssert.ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", response);
            Assert.Equal("Content-Type", problem["field"]!.GetValue<string>());
        }

        using var json = new StringContent("""{"metrics":[]}""", System.Text.Encoding.UTF8, "application/json");
        using (var response = await fixture.Admin.PostAsync(DashboardEndpoints.JobsPath + "/stats", json, Ct))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }

        // The dashboard's own requests are forms, and still reach it.
        using var form = new FormUrlEncodedContent([new("metrics[]", "enqueued:count")]);
        using (var response = await fixture.Admin.PostAsync(DashboardEndpoints.JobsPath + "/stats", form, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("GET", "/nope", HttpStatusCode.NotFound, "not_found")]
    [InlineData("GET", "/recurring/details/x", HttpStatusCode.NotFound, "not_found")]
    [InlineData("GET", "/jobs/details/abc", HttpStatusCode.NotFound, "job_not_found")]
    [InlineData("POST", "/jobs/actions/delete/abc", HttpStatusCode.NotFound, "job_not_found")]
    [InlineData("POST", "/jobs/actions/requeue/abc", HttpStatusCode.NotFound, "job_not_found")]
    [InlineData("POST", "/jobs/enqueued/delete", HttpStatusCode.NotFound, "job_not_found")]
    [InlineData("GET", "/stats", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type")]
    public async Task BadPathOrJobId_IsAProblem_NotHangfiresException(string method, string path, HttpStatusCode status, string code)
    {
        // Each of these answered 500 (Hangfire's dashboard throws on a path it has no page for, and on a job id its
        // storage cannot parse).
        using var request = new HttpRequestMessage(new HttpMethod(method), DashboardEndpoints.JobsPath + path);
        if (method == "POST")
        {
            request.Content = new FormUrlEncodedContent([new("jobs[]", "abc")]);
        }

        using var response = await fixture.Admin.SendAsync(request, Ct);
        await HttpAssert.ProblemAsync(status, code, response);
    }

    [Fact]
    public async Task Anonymous_AppUser_ServiceKey_AndAForgedCookie_AreRefused()
    {
        using var anonymous = fixture.Server.CreateClient();
        using (var response = await anonymous.SendAsync(Dashboard(null), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.DoesNotContain("Baas jobs", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using (var response = await anonymous.SendAsync(Dashboard(JobsDashboardSessions.CookieName + "=forged-value"), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var response = await anonymous.PostAsync(JobsDashboardEndpoints.SessionPath, null, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var user = await fixture.NewUserAsync(Ct);
        using (var response = await user.PostAsync(JobsDashboardEndpoints.SessionPath, null, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using (var response = await user.SendAsync(Dashboard(null), Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        // Service keys may administer functions, but not open the jobs dashboard (admins only).
        using (var response = await fixture.Service.PostAsync(JobsDashboardEndpoints.SessionPath, null, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    [Fact]
    public async Task Cookie_OfAnAdminDisabledSince_IsRefused()
    {
        var email = FunctionServerFixture.NewName("adm") + "@test.local";
        const string Password = "Second-Admin-Passw0rd!";
        using var created = await fixture.Admin.PostAsJsonAsync("/api/admin/admins", new { email, password = Password }, Ct);
        var id = (await HttpAssert.StatusAsync(HttpStatusCode.Created, created))!["id"]!.GetValue<string>();
        using var second = fixture.Server.CreateClient();
        using (var login = await second.PostAsJsonAsync("/api/admin/auth/login", new { email, password = Password }, Ct))
        {
            var token = (await login.Content.ReadFromJsonAsync<JsonObject>(Ct))!["accessToken"]!.GetValue<string>();
            second.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var cookie = await OpenSessionAsync(second);
        using var browser = fixture.Server.CreateClient();
        using (var page = await browser.SendAsync(Dashboard(cookie), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        using (var disabled = await fixture.Admin.PatchAsJsonAsync($"/api/admin/admins/{id}", new { disabled = true }, Ct))
        {
            Assert.True(disabled.IsSuccessStatusCode);
        }

        using (var page = await browser.SendAsync(Dashboard(cookie), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        }
    }
}
