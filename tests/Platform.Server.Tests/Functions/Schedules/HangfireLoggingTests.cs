using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Server.Tests.Hosting;
using Platform.Server.Tests.Functions;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions.Schedules;

/// <summary>Hangfire's lines go through the server's logging (its providers, <c>Logging:LogLevel</c>), each server's to its own.</summary>
public sealed class HangfireLoggingTests
{
    private static async Task<(BaasTestServer Server, CapturingLoggerProvider Logs)> StartAsync(string hangfireLevel)
    {
        var logs = new CapturingLoggerProvider();
        var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:Hangfire"] = hangfireLevel },
            configureServices: services => services.AddSingleton<ILoggerProvider>(logs));

        // Hangfire starts with the first scheduled function (ScheduleHangfire), so each server gets one.
        using var admin = await server.CreateAdminClientAsync(TestContext.Current.CancellationToken);
        var name = FunctionServerFixture.NewName("log");
        using var created = await admin.PostJsonAsync("/api/admin/functions", $$"""{ "name": "{{name}}", "code": "export default async function (ctx) { return 1; }", "schedule": { "cron": "0 3 * * *" } }""");
        await HttpAssert.StatusAsync(System.Net.HttpStatusCode.Created, created);
        return (server, logs);
    }

    private static bool IsHangfire((LogLevel Level, string Category, string Message, Exception? Exception) entry) =>
        entry.Category.StartsWith("Hangfire", StringComparison.Ordinal);

    [Fact]
    public async Task HangfireLines_ReachTheServersLoggers_AtTheConfiguredLevel()
    {
        var (verbose, verboseLogs) = await StartAsync("Information");
        await using (verbose)
        {
            var (quiet, quietLogs) = await StartAsync("Warning");
            await using (quiet)
            {
                // The Hangfire server announces itself at Information when the host has started.
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                while (!verboseLogs.Entries.Any(e => IsHangfire(e) && e.Level == LogLevel.Information && e.Message.Contains("Hangfire Server", StringComparison.Ordinal)))
                {
                    Assert.True(DateTime.UtcNow < deadline, "No Hangfire line reached the server's logging within 30 s.");
                    await Task.Delay(20, TestContext.Current.CancellationToken);
                }

                Assert.DoesNotContain(quietLogs.Entries, e => IsHangfire(e) && e.Level < LogLevel.Warning);
            }
        }
    }
}
