using Microsoft.Playwright;

namespace Platform.Admin.Tests.Browser;

/// <summary>
/// One headless Debian Chromium for every browser test (Playwright drives it; its own browser download is not used).
/// When <see cref="ExecutablePath"/> is missing, the tests skip and say why (CI installs the chromium package).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>How long an expectation waits for the page to show what it expects (WebAssembly start-up included).</summary>
    public const float ExpectTimeoutMs = 60_000;

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public string? SkipReason { get; private set; }

    public IBrowser Browser => _browser ?? throw new InvalidOperationException(SkipReason ?? "The browser has not started.");

    /// <summary>Where screenshots go: <c>TestResults/screenshots</c> under the test output.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    /// <summary>
    /// The repository's <c>docs/images</c> when <c>BAAS_UPDATE_DOCS_IMAGES=1</c> (every scanned page's screenshot is then
    /// written there too, for the README), else null: an ordinary test run never changes the source tree.
    /// </summary>
    public static string? DocsImagesDirectory { get; } = Environment.GetEnvironmentVariable("BAAS_UPDATE_DOCS_IMAGES") == "1" ? FindDocsImages() : null;

    private static string FindDocsImages()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Baas.sln")))
            {
                return Path.Combine(dir.FullName, "docs", "images");
            }
        }

        throw new InvalidOperationException("BAAS_UPDATE_DOCS_IMAGES=1, but the repository (Baas.sln) is not above the test output.");
    }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            SkipReason = $"Chromium is not installed at {ExecutablePath} (apt-get install chromium; .ci/run does it).";
            return;
        }

        Assertions.SetDefaultExpectTimeout(ExpectTimeoutMs);
        Directory.CreateDirectory(ScreenshotDirectory);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Containers often run as root without a user namespace for the sandbox.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
