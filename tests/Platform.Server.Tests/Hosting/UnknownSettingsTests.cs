using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Server.Hosting;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>Keys under <c>Baas</c> that no option binds are named in a start-up warning, with the closest known key.</summary>
public partial class UnknownSettingsTests
{
    [Fact]
    public async Task Server_WithAMisspeltKey_WarnsNamingItAndTheKnownKey_AndStillStarts()
    {
        var capture = new CapturingLoggerProvider();
        await using var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Baas:Query:MaxConcurent"] = "8",
                ["Baas:Qeury:DefaultLimit"] = "10",
                ["Baas:Shiny:NewThing"] = "on",
            },
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));

        var warnings = Warnings(capture);
        Assert.Contains(warnings, w => w.Contains("Baas:Query:MaxConcurent", StringComparison.Ordinal) && w.Contains("did you mean Baas:Query:MaxConcurrent", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("Baas:Qeury ", StringComparison.Ordinal) && w.Contains("did you mean Baas:Query?", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("Baas:Shiny ", StringComparison.Ordinal) && !w.Contains("did you mean", StringComparison.Ordinal));
        Assert.Equal(3, warnings.Count);

        using var client = server.CreateClient();
        using var health = await client.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.True(health.IsSuccessStatusCode);
    }

    [Fact]
    public async Task Server_WithOnlyKnownKeys_WarnsAboutNone()
    {
        var capture = new CapturingLoggerProvider();
        await using var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["baas:query:maxconcurrent"] = "8",
                ["Baas:Auth:Password:RequiredLength"] = "10",
                ["Baas:Telemetry:Otlp:Protocol"] = "Grpc",
            },
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));
        Assert.Empty(Warnings(capture));
    }

    [Fact]
    public void EveryKeyOfTheReadmeConfigurationTable_IsKnown()
    {
        var keys = ReadmeKeys().ToList();
        Assert.True(keys.Count > 100, $"Found only {keys.Count} keys in the README's configuration table: the parser misses some.");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(keys.Select(k => new KeyValuePair<string, string?>(k, "1"))).Build();
        Assert.Empty(SettingsSchema.ForServer().FindUnknown(configuration));
    }

    [Fact]
    public void KeysBelowListsAndDictionaries_AreNeverReported_AndComputedPropertiesAreNotSettings()
    {
        var schema = new SettingsSchema([typeof(SampleOptions)]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Baas:Sample:Hosts:0"] = "a",
            ["Baas:Sample:Hosts:1"] = "b",
            ["Baas:Sample:Headers:X-Anything"] = "1",
            ["Baas:Sample:Inner:Timeout"] = "00:00:01",
            ["Baas:Sample:Inner:Timeot"] = "00:00:01",
            ["Baas:Sample:Limit:Nested"] = "1",
            ["Baas:Sample:FullPath"] = "x",
        }).Build();

        var unknown = schema.FindUnknown(configuration).OrderBy(u => u.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(
            [
                new UnknownSetting("Baas:Sample:FullPath", null),
                new UnknownSetting("Baas:Sample:Inner:Timeot", "Baas:Sample:Inner:Timeout"),
                new UnknownSetting("Baas:Sample:Limit:Nested", null),
            ],
            unknown);
    }

    private static List<string> Warnings(CapturingLoggerProvider capture) =>
        [.. capture.Entries.Where(e => e.Level == LogLevel.Warning && e.Category.EndsWith("UnknownSettingsWarning", StringComparison.Ordinal)).Select(e => e.Message)];

    // `Baas:A:B` / `C` / `D` in the first column: C and D replace the last segment. Wildcards (Require*) are skipped.
    private static IEnumerable<string> ReadmeKeys()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Baas.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        foreach (var line in File.ReadLines(Path.Combine(directory.FullName, "README.md")).Where(l => l.StartsWith("| `Baas:", StringComparison.Ordinal)))
        {
            string? prefix = null;
            foreach (Match match in Code().Matches(line.Split('|')[1]))
            {
                var key = match.Groups[1].Value;
                if (key.StartsWith("Baas:", StringComparison.Ordinal))
                {
                    prefix = key[..key.LastIndexOf(':')];
                }
                else
                {
                    key = prefix + ":" + key;
                }

                if (!key.Contains('*', StringComparison.Ordinal))
                {
                    yield return key;
                }
            }
        }
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();

    private sealed class SampleOptions
    {
        public const string Section = "Baas:Sample";

        public string[] Hosts { get; set; } = [];

        public Dictionary<string, string> Headers { get; set; } = [];

        public SampleInner Inner { get; set; } = new();

        public int Limit { get; set; }

        public string FullPath => "computed";
    }

    private sealed class SampleInner
    {
        public TimeSpan Timeout { get; set; }
    }

    [Fact]
    public void ServerOptionsTypes_AreEveryOptionsClassOfTheServer()
    {
        var discovered = SettingsSchema.DiscoverOptionsTypes(typeof(SettingsSchema).Assembly).Select(t => t.FullName).Order(StringComparer.Ordinal);
        var listed = SettingsSchema.ServerOptionsTypes.Select(t => t.FullName).Order(StringComparer.Ordinal);
        Assert.Equal(discovered, listed);
    }
}
