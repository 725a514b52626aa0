using System.Net;
using System.Text.RegularExpressions;
using Platform.Server.Dashboard;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Dashboard;

/// <summary>The dashboard's files at /admin: served from the build, SPA fallback, security headers.</summary>
public sealed class DashboardHostingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/admin/")]
    [InlineData("/admin/outbox")]
    [InlineData("/admin/setup?token=abc")]
    [InlineData("/admin/some/deep/link")]
    public async Task AppRoutes_AnswerIndexHtml_WithSecurityHeaders(string path)
    {
        using var client = fixture.Server.CreateClient();
        using var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<base href=\"/admin/\" />", html, StringComparison.Ordinal);
        Assert.Contains("_framework/blazor.webassembly.js", html, StringComparison.Ordinal);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        AssertSecurityHeaders(response);
    }

    [Fact]
    public async Task BareAdmin_RedirectsToTheAppsBaseAddress()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server.BaseAddress };
        using var response = await client.GetAsync("/admin", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/admin/", response.Headers.Location?.OriginalString);
        AssertSecurityHeaders(response);
    }

    [Theory]
    [InlineData("/admin/missing.js")]
    [InlineData("/api/nothing-here")]
    public async Task FilesAndApi_AreNotAnsweredByTheFallback(string path)
    {
        using var client = fixture.Server.CreateClient();
        using var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotEqual("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/admin/jobs")]
    [InlineData("/admin/jobs/recurring")]
    public async Task JobsPath_IsTheJobsDashboard_NotTheApp_WithItsOwnCspAndTheOtherHeaders(string path)
    {
        // The jobs dashboard (Functions/Schedules/JobsDashboardTests): without its session cookie, a 401 problem.
        using var client = fixture.Server.CreateClient();
        using var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEqual("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(DashboardSecurityHeaders.JobsContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task IndexHtml_PreloadsTheRuntime_AndHasNoInlineScript()
    {
        using var client = fixture.Server.CreateClient();
        var html = await client.GetStringAsync("/admin/", Ct);

        // A high-priority preload of the runtime's loader, which blazor.webassembly.js would otherwise ask for only once it ran.
        var preload = Regex.Match(html, "<link href=\"_framework/dotnet\\.js\" rel=\"preload\" as=\"script\" fetchpriority=\"high\"[^>]*>");
        Assert.True(preload.Success, html);

        // The CSP allows no inline script (so no import map): every <script> names its file.
        Assert.All(Regex.Matches(html, "<script[^>]*>"), script => Assert.Contains(" src=\"", script.Value, StringComparison.Ordinal));
        using var runtime = await client.GetAsync("/admin/_framework/dotnet.js", Ct);
        Assert.Equal(HttpStatusCode.OK, runtime.StatusCode);
    }

    [Fact]
    public async Task Runtime_RunsWithInvariantGlobalization_SoNoIcuDataIsDownloaded()
    {
        using var client = fixture.Server.CreateClient();

        // dotnet.js carries the boot manifest: the resources the runtime fetches and the globalization mode.
        var runtime = await client.GetStringAsync("/admin/_framework/dotnet.js", Ct);

        Assert.Contains("\"globalizationMode\": \"invariant\"", runtime, StringComparison.Ordinal);
        Assert.DoesNotContain("\"icu\": [", runtime, StringComparison.Ordinal);
        Assert.DoesNotContain("\"virtualPath\": \"icudt", runtime, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaticFiles_AreServedCompressed_WithSecurityHeaders()
    {
        using var client = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = fixture.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/_framework/blazor.webassembly.js");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("gzip", response.Content.Headers.ContentEncoding);
        Assert.NotNull(response.Headers.ETag);
        AssertSecurityHeaders(response);

        using var css = await client.GetAsync("/_content/MudBlazor/MudBlazor.min.css", Ct);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        AssertSecurityHeaders(css);
    }

    [Fact]
    public async Task ApiResponses_DoNotCarryTheDashboardsCsp()
    {
        using var client = fixture.Server.CreateClient();
        using var response = await client.GetAsync("/health/ready", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(d => d.Split(' ')[0], d => d[(d.IndexOf(' ', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);
        Assert.Equal("'self'", directives["default-src"]);
        Assert.Equal("'self' 'wasm-unsafe-eval'", directives["script-src"]);
        Assert.Equal("'self' 'unsafe-inline'", directives["style-src"]);
        Assert.StartsWith("'self' ws://127.0.0.1:", directives["connect-src"], StringComparison.Ordinal);
        Assert.Equal("'none'", directives["frame-ancestors"]);
        Assert.Equal("'none'", directives["object-src"]);
        Assert.DoesNotContain("http", csp.Replace("ws://127.0.0.1", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }
}
