using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Baas.Bench;

/// <summary>
/// The dashboard suite (issue 10, item 6), against the published server: the import of <see cref="BenchOptions.Documents"/>
/// NDJSON documents against the same documents through <c>/api/batch</c> (in the same run); then, in Debian's Chromium
/// driven by Playwright, the bytes the first load of <c>/admin/</c> transfers (every asset the page loaded, fetched
/// again with <c>Accept-Encoding: br</c>), the time until the collections page is interactive, and the documents page
/// opening on the imported collection (time after sign-in, and how many rows it asked for). It also checks what a
/// published server must do for the dashboard: pre-compressed fingerprinted assets and the SPA fallback.
/// </summary>
/// <remarks>
/// With a <c>baselineAddress</c> (<c>--baseline</c>: another published server, e.g. of main), the cold loads of the
/// collections page alternate between the two builds, so that both share the machine's load, and the report gives
/// their ratio; the documents page and the import are measured on this tree only.
/// </remarks>
internal sealed class DashboardBench(HttpClient http, Uri baseAddress, string publishDirectory, BenchOptions options, string adminEmail, string adminPassword, Uri? baselineAddress = null, Uri? floorAddress = null)
{
    public const string ImportCollection = "bench_dash_import";
    public const string BatchCollection = "bench_dash_batch";
    public const string ChromiumPath = "/usr/bin/chromium";

    private const int BatchSize = 500;

    /// <summary>
    /// Timestamps (<c>performance.now()</c>, ms since navigation) of one cold load, kept in <c>window.__baasMarks</c>:
    /// the WebAssembly runtime compiled and instantiated (<c>dotnet.native.wasm</c> is the only module), the sign-in form
    /// in the DOM, the click on "Sign in", the list of collections shown, and the empty template's first <c>h1</c>.
    /// Added by Playwright before any page script runs (not subject to the page's CSP, nothing in the app changes).
    /// </summary>
    private const string MarksScript = """
        (() => {
          const marks = window.__baasMarks = {};
          const mark = name => { if (!(name in marks)) marks[name] = performance.now(); };
          for (const name of ['instantiateStreaming', 'instantiate']) {
            const original = WebAssembly[name];
            if (original) WebAssembly[name] = function (...args) { return original.apply(WebAssembly, args).then(r => { mark('runtime'); return r; }); };
          }
          const check = () => {
            if (document.querySelector('#signin-email')) mark('form');
            if (document.querySelector('h1')) mark('h1');
            const table = document.querySelector('[data-testid=collections-table]');
            if (table && table.textContent.includes('bench_dash_import')) mark('list');
          };
          new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
          document.addEventListener('click', () => mark('click'), true);
        })();
        """;

    /// <summary>The marks and the two API calls' resource timings, as one JSON object.</summary>
    private const string ReadMarksScript = """
        (() => {
          const out = Object.assign({}, window.__baasMarks);
          for (const entry of performance.getEntriesByType('resource')) {
            const path = new URL(entry.name).pathname;
            const key = path.endsWith('/api/admin/auth/login') ? 'login' : path.endsWith('/api/admin/collections') ? 'collections' : null;
            if (key && !((key + 'Start') in out)) { out[key + 'Start'] = entry.startTime; out[key + 'End'] = entry.responseEnd; }
          }
          return JSON.stringify(out);
        })()
        """;

    /// <summary>The phases of a cold load of the collections page, from the marks: name and (from mark, to mark).</summary>
    public static readonly (string Name, string From, string To)[] Phases =
    [
        ("navigation → runtime downloaded, compiled and instantiated (`dotnet.native.wasm`)", "", "runtime"),
        ("→ sign-in form in the DOM (.NET start, host, router, layout, page)", "runtime", "form"),
        ("sign-in form → click on \"Sign in\" (Playwright fills two fields; the page's main thread is busy after its first render)", "form", "click"),
        ("click → login request sent (form validation)", "click", "loginStart"),
        ("login round trip (`POST /api/admin/auth/login`, PBKDF2 on the server)", "loginStart", "loginEnd"),
        ("login answered → collections request sent (session, layout with the navigation drawer, page start)", "loginEnd", "collectionsStart"),
        ("collections round trip (`GET /api/admin/collections`)", "collectionsStart", "collectionsEnd"),
        ("collections answered → list in the DOM", "collectionsEnd", "list"),
    ];
    private const float TimeoutMs = 120_000;

    public double ImportSeconds { get; private set; }

    public double BatchSeconds { get; private set; }

    public List<string> Checks { get; } = [];

    /// <summary>This tree's build, then the baseline's when there is one.</summary>
    public List<BuildLoads> Builds { get; } = [];

    /// <summary>With <c>--floor</c>: seconds until the empty template's first page shows, per cold load.</summary>
    public List<double> FloorSeconds { get; } = [];

    /// <summary>With <c>--floor</c>: seconds until the template's runtime was instantiated, per cold load.</summary>
    public List<double> FloorRuntimeSeconds { get; } = [];

    public List<double> DocumentsSeconds { get; } = [];

    public List<double> LoadMoreSeconds { get; } = [];

    public int DocumentQueries { get; private set; }

    public int DocumentRowsFetched { get; private set; }

    public int RowsAfterLoadMore { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await CheckPublishedAssetsAsync(cancellationToken);
        await CompareImportWithBatchAsync(cancellationToken);
        await MeasureBrowserAsync(cancellationToken);
    }

    /// <summary>What <c>dotnet publish</c> must give the dashboard: index.html, the SPA fallback, br/gzip fingerprinted assets.</summary>
    private async Task CheckPublishedAssetsAsync(CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, UseProxy = false };
        using var raw = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var index = await raw.GetStringAsync(new Uri("admin/", UriKind.Relative), cancellationToken);
        Require(index.Contains("<div id=\"app\"", StringComparison.Ordinal), "GET /admin/ answers the dashboard's index.html");
        var deep = await raw.GetStringAsync(new Uri("admin/collections/some/documents", UriKind.Relative), cancellationToken);
        Require(deep == index, "a deep link (/admin/collections/some/documents) answers the same index.html (SPA fallback)");

        // The loader is named by index.html: fingerprinted (blazor.webassembly.<hash>.js, cached as immutable) when the
        // build rewrites index.html, else under its plain name (revalidated). The files it loads carry a content hash.
        var loader = Regex.Match(index, @"_framework/(blazor\.webassembly(\.[a-z0-9]+)?\.js)");
        Require(loader.Success, "index.html loads _framework/blazor.webassembly[.<hash>].js");
        var loaderFingerprinted = loader.Groups[2].Success;
        var framework = Path.Combine(publishDirectory, "wwwroot", "admin", "_framework");
        var hashed = Directory.EnumerateFiles(framework, "Platform.Admin.*.wasm").Select(Path.GetFileName).FirstOrDefault();
        Require(hashed is not null, "the publish output holds the app as a fingerprinted Platform.Admin.<hash>.wasm");
        foreach (var (file, immutable) in new[] { (loader.Groups[1].Value, loaderFingerprinted), (hashed!, true) })
        {
            foreach (var encoding in new[] { "br", "gzip" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("admin/_framework/" + file, UriKind.Relative));
                request.Headers.TryAddWithoutValidation("Accept-Encoding", encoding);
                using var response = await raw.SendAsync(request, cancellationToken);
                Require(response.IsSuccessStatusCode && response.Content.Headers.ContentEncoding.Contains(encoding), $"_framework/{file} is served pre-compressed as {encoding}");
                if (immutable)
                {
                    Require(response.Headers.CacheControl?.ToString().Contains("immutable", StringComparison.Ordinal) == true, $"_framework/{file} is cached as immutable");
                }
            }
        }
    }

    private void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Published dashboard check failed: " + what + ".");
        }

        Checks.Add(what);
    }

    /// <summary>The same documents both ways, one after the other: <c>/api/batch</c> (500 per batch) and one NDJSON import.</summary>
    private async Task CompareImportWithBatchAsync(CancellationToken cancellationToken)
    {
        foreach (var name in new[] { ImportCollection, BatchCollection })
        {
            using var create = await http.PostAsJsonAsync(new Uri("api/admin/collections", UriKind.Relative), new { name }, cancellationToken);
            create.EnsureSuccessStatusCode();
        }

        var documents = new string[options.Documents];
        var random = new Random(42);
        for (var i = 0; i < documents.Length; i++)
        {
            documents[i] = BaasSetup.DocumentJson(random, BaasSetup.DocumentId(i));
        }

        var clock = Stopwatch.StartNew();
        var batches = Enumerable.Range(0, (documents.Length + BatchSize - 1) / BatchSize);
        await Parallel.ForEachAsync(
            batches,
            new ParallelOptions { MaxDegreeOfParallelism = options.SeedParallelism, CancellationToken = cancellationToken },
            async (batch, token) =>
            {
                var ops = new StringBuilder("{\"ops\":[");
                var end = Math.Min(documents.Length, (batch + 1) * BatchSize);
                for (var i = batch * BatchSize; i < end; i++)
                {
                    ops.Append(i == batch * BatchSize ? "" : ",")
                        .Append("{\"op\":\"create\",\"collection\":\"").Append(BatchCollection).Append("\",\"data\":").Append(documents[i]).Append('}');
                }

                ops.Append("]}");
                using var content = new StringContent(ops.ToString(), Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri("api/batch", UriKind.Relative), content, token);
                response.EnsureSuccessStatusCode();
            });
        BatchSeconds = clock.Elapsed.TotalSeconds;

        var ndjson = Encoding.UTF8.GetBytes(string.Join('\n', documents) + "\n");
        clock.Restart();
        using (var content = new ByteArrayContent(ndjson))
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson");
            using var response = await http.PostAsync(new Uri($"api/admin/collections/{ImportCollection}/import?format=ndjson", UriKind.Relative), content, cancellationToken);
            response.EnsureSuccessStatusCode();
            var result = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            var inserted = result!["inserted"]!.GetValue<long>();
            if (inserted != documents.Length || !result["complete"]!.GetValue<bool>())
            {
                throw new InvalidOperationException($"The import wrote {inserted} of {documents.Length} documents: {result.ToJsonString()}");
            }
        }

        ImportSeconds = clock.Elapsed.TotalSeconds;
        foreach (var name in new[] { ImportCollection, BatchCollection })
        {
            using var count = await http.PostAsJsonAsync(new Uri($"api/collections/{name}/query", UriKind.Relative), new { limit = 1, count = true }, cancellationToken);
            count.EnsureSuccessStatusCode();
            var stored = (await count.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["count"]!.GetValue<long>();
            if (stored != documents.Length)
            {
                throw new InvalidOperationException($"{name} holds {stored} documents, not {documents.Length}.");
            }
        }
    }

    private async Task MeasureBrowserAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"The dashboard suite needs Chromium at {ChromiumPath} (apt-get install chromium).");
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });

        Builds.Add(new BuildLoads("this tree", baseAddress));
        if (baselineAddress is not null)
        {
            Builds.Add(new BuildLoads("baseline", baselineAddress));
        }

        for (var run = 0; run < options.DashboardLoads; run++)
        {
            // Alternating which build goes first, so neither always follows the other's load.
            foreach (var build in run % 2 == 0 ? Builds : Enumerable.Reverse(Builds))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await ColdLoadAsync(browser, build, measureBytes: build.BootSeconds.Count == 0, cancellationToken);
            }

            if (floorAddress is not null)
            {
                await FloorLoadAsync(browser, floorAddress);
            }
        }

        var admin = new Uri(baseAddress, "admin/");
        for (var run = 0; run < options.DashboardLoads; run++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var context = await NewContextAsync(browser);
            var page = await context.NewPageAsync();
            var queries = new List<IResponse>();
            page.Response += (_, response) =>
            {
                if (response.Url.Contains($"/api/collections/{ImportCollection}/", StringComparison.Ordinal))
                {
                    lock (queries)
                    {
                        queries.Add(response);
                    }
                }
            };

            await page.GotoAsync(new Uri(admin, $"collections/{ImportCollection}/documents").ToString());
            await page.Locator("#signin-email").WaitForAsync();
            var clock = Stopwatch.StartNew();
            await SignInAsync(page);
            var rows = page.GetByTestId("documents-row");
            await Assertions.Expect(rows).ToHaveCountAsync(50, new() { Timeout = TimeoutMs });
            DocumentsSeconds.Add(clock.Elapsed.TotalSeconds);
            if (run == 0)
            {
                List<IResponse> seen;
                lock (queries)
                {
                    seen = [.. queries];
                }

                DocumentQueries = seen.Count;
                foreach (var response in seen)
                {
                    DocumentRowsFetched += await ItemsAsync(response);
                }
            }

            clock.Restart();
            await page.GetByTestId("documents-more").ClickAsync();
            await Assertions.Expect(rows).ToHaveCountAsync(100, new() { Timeout = TimeoutMs });
            LoadMoreSeconds.Add(clock.Elapsed.TotalSeconds);
            RowsAfterLoadMore = await rows.CountAsync();
        }
    }

    /// <summary>A cold first visit (a new context has an empty cache): <c>/admin/collections</c> → sign-in form → signed in → the list.</summary>
    private async Task ColdLoadAsync(IBrowser browser, BuildLoads build, bool measureBytes, CancellationToken cancellationToken)
    {
        await using var context = await NewContextAsync(browser);
        await context.AddInitScriptAsync(MarksScript);
        var page = await context.NewPageAsync();
        var finished = new List<IRequest>();
        page.RequestFinished += (_, request) =>
        {
            lock (finished)
            {
                finished.Add(request);
            }
        };

        var clock = Stopwatch.StartNew();
        await page.GotoAsync(new Uri(build.Address, "admin/collections").ToString());
        await page.Locator("#signin-email").WaitForAsync();
        build.BootSeconds.Add(clock.Elapsed.TotalSeconds);
        await SignInAsync(page);
        await page.GetByTestId("collections-table").Locator($"text={ImportCollection}").WaitForAsync();
        build.CollectionsSeconds.Add(clock.Elapsed.TotalSeconds);
        await page.WaitForFunctionAsync("() => window.__baasMarks && 'list' in window.__baasMarks");
        var marks = JsonNode.Parse(await page.EvaluateAsync<string>(ReadMarksScript))!.AsObject();
        var phases = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, from, to) in Phases)
        {
            var start = from.Length == 0 ? 0 : marks[from]?.GetValue<double>();
            var end = marks[to]?.GetValue<double>();
            if (start is { } a && end is { } b)
            {
                phases[name] = (b - a) / 1000;
            }
        }

        build.PhaseSeconds.Add(phases);
        Console.WriteLine(F($"  {build.Name}: sign-in form after {build.BootSeconds[^1]:N2} s, collections listed after {build.CollectionsSeconds[^1]:N2} s"));
        if (measureBytes)
        {
            await MeasureBytesAsync(build, finished, cancellationToken);
        }
    }

    /// <summary>A cold load of the empty <c>dotnet new blazorwasm</c> app: until its first page's <c>h1</c> shows.</summary>
    private async Task FloorLoadAsync(IBrowser browser, Uri address)
    {
        await using var context = await NewContextAsync(browser);
        await context.AddInitScriptAsync(MarksScript);
        var page = await context.NewPageAsync();
        var clock = Stopwatch.StartNew();
        await page.GotoAsync(address.ToString());
        await page.Locator("h1").First.WaitForAsync();
        FloorSeconds.Add(clock.Elapsed.TotalSeconds);
        await page.WaitForFunctionAsync("() => window.__baasMarks && 'h1' in window.__baasMarks");
        var marks = JsonNode.Parse(await page.EvaluateAsync<string>(ReadMarksScript))!.AsObject();
        if (marks["runtime"]?.GetValue<double>() is { } runtime)
        {
            FloorRuntimeSeconds.Add(runtime / 1000);
        }

        Console.WriteLine(F($"  empty template (floor): first page after {FloorSeconds[^1]:N2} s"));
    }

    private static async Task<IBrowserContext> NewContextAsync(IBrowser browser)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(TimeoutMs);
        return context;
    }

    private async Task SignInAsync(IPage page)
    {
        await page.Locator("#signin-email").FillAsync(adminEmail);
        await page.Locator("#signin-email").DispatchEventAsync("change");
        await page.Locator("#signin-password").FillAsync(adminPassword);
        await page.Locator("#signin-password").DispatchEventAsync("change");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
    }

    private static async Task<int> ItemsAsync(IResponse response)
    {
        try
        {
            var body = JsonNode.Parse(await response.TextAsync());
            return body?["items"] is JsonArray items ? items.Count : 0;
        }
        catch (PlaywrightException)
        {
            return 0;
        }
    }

    /// <summary>Every static asset the first load fetched, again with <c>Accept-Encoding: br</c> as a browser over HTTPS asks.</summary>
    private static async Task MeasureBytesAsync(BuildLoads build, List<IRequest> finished, CancellationToken cancellationToken)
    {
        List<IRequest> requests;
        lock (finished)
        {
            requests = [.. finished];
        }

        using var handler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, UseProxy = false };
        using var raw = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var sizes = new List<(string Path, long Brotli)>();
        foreach (var request in requests)
        {
            var url = new Uri(request.Url);
            if (request.Method != "GET" || url.AbsolutePath.StartsWith("/api/", StringComparison.Ordinal) || url.AbsolutePath.StartsWith("/health", StringComparison.Ordinal))
            {
                continue;
            }

            var sizesOnWire = await request.SizesAsync();
            build.TransferredBytes += sizesOnWire.ResponseBodySize + sizesOnWire.ResponseHeadersSize;
            using var message = new HttpRequestMessage(HttpMethod.Get, url);
            message.Headers.TryAddWithoutValidation("Accept-Encoding", "br");
            using var response = await raw.SendAsync(message, cancellationToken);
            var bytes = (await response.Content.ReadAsByteArrayAsync(cancellationToken)).LongLength;
            sizes.Add((url.AbsolutePath, bytes));
        }

        build.Assets = sizes.Count;
        build.BrotliBytes = sizes.Sum(s => s.Brotli);
        build.Largest.AddRange(sizes.OrderByDescending(s => s.Brotli).Take(5));
    }

    public string ToMarkdown()
    {
        var n = options.Documents;
        var batchRate = n / BatchSeconds;
        var importRate = n / ImportSeconds;
        var loads = options.DashboardLoads;
        var tree = Builds[0];
        var text = new StringBuilder();
        text.AppendLine("| measure | result | target |");
        text.AppendLine("| --- | --- | --- |");
        foreach (var build in Builds)
        {
            var who = Builds.Count > 1 ? $"{build.Name}: " : "";
            text.AppendLine(F($"| {who}first load of /admin/, brotli (sum of {build.Assets} assets) | {build.BrotliBytes / 1_048_576.0:N2} MiB ({build.BrotliBytes:N0} B) | ≤ 3.5 MB {Mark(build.BrotliBytes <= 3_500_000)} |"));
            text.AppendLine(F($"| {who}the same load as Chromium fetched it over http:// loopback (no br without TLS) | {build.TransferredBytes / 1_048_576.0:N2} MiB | — |"));
            text.AppendLine(F($"| {who}cold load until the sign-in form (median of {loads}) | {Median(build.BootSeconds):N2} s ({Join(build.BootSeconds)}) | — |"));
            text.AppendLine(F($"| {who}cold load until the collections page lists its collections, sign-in included (median of {loads}) | {Median(build.CollectionsSeconds):N2} s ({Join(build.CollectionsSeconds)}) | ≤ 2.5 s {Mark(Median(build.CollectionsSeconds) <= 2.5)} |"));
        }

        if (FloorSeconds.Count > 0)
        {
            text.AppendLine(F($"| empty `dotnet new blazorwasm` app (the floor): cold load until its first page shows (median of {FloorSeconds.Count}) | {Median(FloorSeconds):N2} s ({Join(FloorSeconds)}) | — |"));
            text.AppendLine(F($"| this tree / floor, same run: sign-in form (medians) | {Median(tree.BootSeconds) / Median(FloorSeconds):P0} | — |"));
        }

        if (Builds.Count > 1)
        {
            var baseline = Builds[1];
            text.AppendLine(F($"| this tree / baseline, same run: bytes (brotli) | {(double)tree.BrotliBytes / baseline.BrotliBytes:P0} | — |"));
            text.AppendLine(F($"| this tree / baseline, same run: sign-in form (medians) | {Median(tree.BootSeconds) / Median(baseline.BootSeconds):P0} | — |"));
            text.AppendLine(F($"| this tree / baseline, same run: collections page (medians) | {Median(tree.CollectionsSeconds) / Median(baseline.CollectionsSeconds):P0} | — |"));
        }

        text.AppendLine(F($"| documents page on {n:N0} documents: sign-in click until 50 rows shown (median of {loads}) | {Median(DocumentsSeconds):N2} s ({Join(DocumentsSeconds)}) | ≤ 1 s {Mark(Median(DocumentsSeconds) <= 1)} |"));
        text.AppendLine(F($"| ... requests to the collection and rows they returned while opening | {DocumentQueries} request(s), {DocumentRowsFetched} rows of {n:N0} | not everything {Mark(DocumentRowsFetched < n)} |"));
        text.AppendLine(F($"| ... \"Load more\" until {RowsAfterLoadMore} rows shown (median) | {Median(LoadMoreSeconds):N2} s | — |"));
        text.AppendLine(F($"| /api/batch inserts, {n:N0} documents (500 per batch, {options.SeedParallelism} in flight) | {BatchSeconds:N1} s, {batchRate:N0} docs/s | baseline |"));
        text.AppendLine(F($"| NDJSON import, the same {n:N0} documents (one upload) | {ImportSeconds:N1} s, {importRate:N0} docs/s = {importRate / batchRate:P0} of batch | ≥ 50% {Mark(importRate >= batchRate / 2)} |"));
        text.AppendLine();
        text.AppendLine("Where a cold load of the collections page goes (medians of each phase, seconds; from `performance.now()` marks in the page and the API calls' resource timings):");
        text.AppendLine();
        text.AppendLine("| phase | " + string.Join(" | ", Builds.Select(b => b.Name)) + (FloorSeconds.Count > 0 ? " | empty template |" : " |"));
        text.AppendLine("| --- |" + string.Concat(Builds.Select(_ => " --- |")) + (FloorSeconds.Count > 0 ? " --- |" : ""));
        foreach (var (name, _, _) in Phases)
        {
            var floor = FloorSeconds.Count == 0 ? "" : name == Phases[0].Name ? F($" {Median(FloorRuntimeSeconds):N2} |") : name == Phases[1].Name ? F($" {Median(FloorSeconds) - Median(FloorRuntimeSeconds):N2} (to its first page) |") : " — |";
            text.AppendLine($"| {name} | " + string.Join(" | ", Builds.Select(b => F($"{Median([.. b.PhaseSeconds.Where(p => p.ContainsKey(name)).Select(p => p[name])]):N2}"))) + " |" + floor);
        }

        text.AppendLine();
        foreach (var build in Builds)
        {
            text.AppendLine((Builds.Count > 1 ? build.Name + ": l" : "L") + "argest assets (brotli): " + string.Join(", ", build.Largest.Select(l => F($"`{Path.GetFileName(l.Path)}` {l.Brotli / 1024.0:N0} KiB"))) + ".");
            text.AppendLine();
        }

        text.AppendLine("Published-server checks passed: " + string.Join("; ", Checks) + ".");
        return text.ToString();
    }

    private static string Mark(bool met) => met ? "(met)" : "(**missed**)";

    private static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);

    private static string Join(List<double> values) => string.Join(", ", values.Select(v => F($"{v:N2}")));

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One build's cold loads of the collections page and its first load's bytes.</summary>
internal sealed class BuildLoads(string name, Uri address)
{
    public string Name { get; } = name;

    public Uri Address { get; } = address;

    public List<double> BootSeconds { get; } = [];

    public List<double> CollectionsSeconds { get; } = [];

    /// <summary>Per cold load, the seconds of each of <see cref="DashboardBench.Phases"/> that could be measured.</summary>
    public List<Dictionary<string, double>> PhaseSeconds { get; } = [];

    public long BrotliBytes { get; set; }

    public long TransferredBytes { get; set; }

    public int Assets { get; set; }

    public List<(string Path, long Brotli)> Largest { get; } = [];
}
