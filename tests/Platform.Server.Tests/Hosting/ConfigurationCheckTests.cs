using System.Diagnostics;
using Platform.Server.Hosting;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

public sealed class ConfigurationCheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Starts the real server with <paramref name="arguments"/> and <paramref name="environment"/>, waits for it to
    /// exit (killed after 60 s) and returns its exit code, the lines it wrote to standard error, and its standard output.
    /// </summary>
    private static async Task<(int ExitCode, string[] ErrorLines, string Output)> RunServerAsync(IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "Platform.Server.dll"), "--urls", "http://127.0.0.1:0", $"--Baas:DataDir={dataDir}", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(Ct);
            var stdout = process.StandardOutput.ReadToEndAsync(Ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return (process.ExitCode, lines, await stdout);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task InvalidSetting_EndsStartUp_WithOneLineNamingTheKeyAndRule_ExitCode1()
    {
        var (exitCode, errorLines, output) = await RunServerAsync([], new Dictionary<string, string> { ["Baas__Auth__EmailTokenLifetime"] = "00:00:01" });

        Assert.Equal(1, exitCode);
        var line = Assert.Single(errorLines);
        Assert.StartsWith("Invalid configuration: Baas:Auth:EmailTokenLifetime: ", line, StringComparison.Ordinal);
        Assert.Contains("00:05:00", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", output + line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Foo")]
    [InlineData("Postgres")]
    public async Task UnknownStorageProvider_EndsStartUp_WithOneLineNamingTheKey_ExitCode1(string provider)
    {
        // DESIGN.md section 12: a bad setting is named, not a host crash with a stack trace (was an unhandled
        // InvalidOperationException thrown while services were registered).
        var (exitCode, errorLines, output) = await RunServerAsync([$"--Baas:Storage:Provider={provider}"]);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(errorLines);
        Assert.StartsWith("Invalid configuration: ", line, StringComparison.Ordinal);
        Assert.Contains("Baas:Storage:Provider", line, StringComparison.Ordinal);
        Assert.Contains(provider, line, StringComparison.Ordinal);

        // The binding message itself says "value 'Foo' at 'Baas:Storage:Provider'": look for a crash, not for " at ".
        Assert.DoesNotContain("Unhandled exception", output + line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidSetting_EndsStartUp_BeforeTheStoreIsOpened_TheDataDirIsNotCreated()
    {
        // The start-up tasks (the store first) run beside the route table's build, on the thread pool: they must still
        // start only once the configuration check has passed.
        var dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N"));
        var (exitCode, errorLines, _) = await RunServerAsync([$"--Baas:DataDir={dataDir}"], new Dictionary<string, string> { ["Baas__Auth__EmailTokenLifetime"] = "00:00:01" });

        Assert.Equal(1, exitCode);
        Assert.StartsWith("Invalid configuration: Baas:Auth:EmailTokenLifetime: ", Assert.Single(errorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDir), "the data dir was created before the configuration check ended the start");
    }

    [Fact]
    public async Task DataDirThatIsAFile_EndsStartUp_WithOneLineNamingThePath_ExitCode1()
    {
        // Was an unhandled StorageUnavailableException: exit code 134 (abort) and a stack trace on standard error.
        var file = Path.Combine(Path.GetTempPath(), "baas-tests", Guid.NewGuid().ToString("N") + ".not-a-dir");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "x", Ct);
        try
        {
            var (exitCode, errorLines, output) = await RunServerAsync([$"--Baas:DataDir={file}"]);

            Assert.Equal(1, exitCode);
            var line = Assert.Single(errorLines);
            Assert.StartsWith("Start-up failed: Cannot open the SQLite store at ", line, StringComparison.Ordinal);
            Assert.Contains(file, line, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", output + line, StringComparison.Ordinal);

            // The host logged its own "Hosting failed to start" with the stack trace to standard output as well.
            Assert.DoesNotContain("Hosting failed to start", output, StringComparison.Ordinal);
            Assert.DoesNotContain("StorageUnavailableException", output, StringComparison.Ordinal);
            Assert.DoesNotContain(" at Platform.Server", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Describe_NamesTheSectionKey_ForDataAnnotationAndBindingFailures()
    {
        var annotation = new Microsoft.Extensions.Options.OptionsValidationException(
            string.Empty,
            typeof(Platform.Server.Documents.QueryOptions),
            ["DataAnnotation validation failed for 'QueryOptions' members: 'MaxLimit' with the error: 'The field MaxLimit must be between 1 and 10000.'."]);
        Assert.Equal(
            ["Invalid configuration: Baas:Query:MaxLimit: The field MaxLimit must be between 1 and 10000."],
            ConfigurationCheck.Describe(annotation));

        var binding = new InvalidOperationException("Failed to convert configuration value at 'Baas:Query:MaxLimit' to type 'System.Int32'.");
        Assert.Equal(
            ["Invalid configuration: Failed to convert configuration value at 'Baas:Query:MaxLimit' to type 'System.Int32'."],
            ConfigurationCheck.Describe(binding));
    }

    [Fact]
    public void Describe_WritesTheGeneratedValidatorsFailures_AsTheReflectionBasedCheckDid()
    {
        // The options are checked by [OptionsValidator] code ("MaxLimit: The field QueryOptions.MaxLimit must be ...");
        // the line is the one the reflection-based check gave.
        var result = new Platform.Server.Documents.QueryOptionsValidator().Validate(null, new Platform.Server.Documents.QueryOptions { MaxLimit = 0 });
        var failure = new Microsoft.Extensions.Options.OptionsValidationException(string.Empty, typeof(Platform.Server.Documents.QueryOptions), result.Failures);

        Assert.Equal(
            ["Invalid configuration: Baas:Query:MaxLimit: The field MaxLimit must be between 1 and 10000."],
            ConfigurationCheck.Describe(failure));
    }

    [Fact]
    public void EveryOptionsClass_IsValidatedByGeneratedCode_NotByReflection()
    {
        // issue 13, item 5: DataAnnotationValidateOptions reads every property through a reflection-invoke stub that the
        // JIT compiles at start-up (about 140 before the first 200).
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
        builder.AddBaasServer();

        var validators = builder.Services
            .Where(d => d.ServiceType.IsGenericType && d.ServiceType.GetGenericTypeDefinition() == typeof(Microsoft.Extensions.Options.IValidateOptions<>))
            .ToList();
        Assert.True(validators.Count >= 27, $"{validators.Count} options validators registered");
        var reflective = validators
            .Select(d => d.ImplementationType ?? d.ImplementationInstance?.GetType())
            .Where(t => t is { IsGenericType: true } && t.GetGenericTypeDefinition() == typeof(Microsoft.Extensions.Options.DataAnnotationValidateOptions<>))
            .Select(t => t!.GetGenericArguments()[0].Name)
            .ToList();
        Assert.Empty(reflective);
    }
}
