using System.Net;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Admin;

public sealed class SetupPageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task SetupPage_IsServed_WithItsAssets_AndStrictHeaders()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = fixture.Server.CreateClient();

        using var page = await browser.GetAsync("/admin/setup?token=abc", ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.Contains("<form id=\"setup\">", html, StringComparison.Ordinal);
        Assert.Contains("/admin/setup.js", html, StringComparison.Ordinal);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());

        using var script = await browser.GetAsync("/admin/setup.js", ct);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/api/admin/setup", await script.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        using var style = await browser.GetAsync("/admin/setup.css", ct);
        Assert.Equal("text/css", style.Content.Headers.ContentType?.MediaType);
    }
}
