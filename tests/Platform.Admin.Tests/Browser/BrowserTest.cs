using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Admin.Tests.Browser;

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    // The journeys share one Chromium and run one at a time: WebAssembly start-up is CPU-bound.
    public const string Name = "Browser";
}

/// <summary>
/// Helpers for the journeys: a fresh browser context per test (no shared storage), sign-in, the axe scan and the
/// screenshot of each page. Every wait is on what the page shows (Playwright's auto-waiting expectations).
/// </summary>
public abstract class BrowserTest(BrowserFixture browser) : IAsyncLifetime
{
    private IBrowserContext? _context;

    protected IPage Page { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Assert.SkipWhen(browser.SkipReason is not null, browser.SkipReason ?? string.Empty);
        _context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            ColorScheme = ColorScheme.Light,
        });
        _context.SetDefaultTimeout(BrowserFixture.ExpectTimeoutMs);
        Page = await _context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected static ILocator Heading(IPage page) => page.Locator("h1");

    /// <summary>Types into a MudBlazor field and commits it (MudBlazor binds on change).</summary>
    protected static async Task FillAsync(ILocator input, string value)
    {
        await input.FillAsync(value);
        await input.DispatchEventAsync("change");
    }

    protected async Task SignInAsync(Uri adminUrl, string email = BaasTestServer.AdminEmail, string password = BaasTestServer.AdminPassword, string? path = null)
    {
        await Page.GotoAsync(new Uri(adminUrl, path ?? string.Empty).ToString());
        await Expect(Heading(Page)).ToHaveTextAsync("Sign in");
        await FillAsync(Page.Locator("#signin-email"), email);
        await FillAsync(Page.Locator("#signin-password"), password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("signed-in-as")).ToHaveTextAsync(email);
    }

    /// <summary>
    /// An axe scan (no serious or critical violation) and a screenshot kept under TestResults/screenshots, and also
    /// as <c>docs/images/dashboard-{name}.png</c> when <c>BAAS_UPDATE_DOCS_IMAGES=1</c> (the README's pictures) unless
    /// <paramref name="docsImage"/> is false (a scan of a state the docs do not show).
    /// </summary>
    protected async Task ScanAsync(string name, bool docsImage = true)
    {
        // Scan the page at rest: a confirmation snackbar fades in and out, and one caught half-faded (its fade can
        // start while axe runs) reads as low contrast. They close by themselves within seconds: wait for that.
        await Expect(Page.Locator(".mud-snackbar")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        // From the top: a full-page capture draws the fixed app bar and drawer where the viewport was scrolled to (a
        // click near the bottom scrolls the page), which put them across the middle of the picture.
        await Page.EvaluateAsync("() => window.scrollTo(0, 0)");
        var screenshot = await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = true });
        if (docsImage && BrowserFixture.DocsImagesDirectory is { } docs)
        {
            await File.WriteAllBytesAsync(Path.Combine(docs, "dashboard-" + name + ".png"), screenshot);
        }

        var results = await Page.RunAxe();
        var blocking = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(blocking.Count == 0, $"Accessibility violations on {name}:\n" + string.Join('\n', blocking.Select(Describe)));
    }

    /// <summary>The admin token is kept in memory only: storage holds the theme choice at most.</summary>
    protected async Task AssertNoTokenStoredAsync()
    {
        var local = await Page.EvaluateAsync<string[]>("() => Object.keys(localStorage)");
        var session = await Page.EvaluateAsync<string[]>("() => Object.keys(sessionStorage)");
        Assert.All(local, key => Assert.Equal("baas-admin-theme", key));
        Assert.Empty(session);
        Assert.DoesNotMatch(new Regex("token", RegexOptions.IgnoreCase), Page.Url);
    }

    private static string Describe(AxeResultItem violation) =>
        $"- {violation.Id} ({violation.Impact}): {violation.Help}\n  " + string.Join("\n  ", violation.Nodes.Select(n => n.Html));
}
