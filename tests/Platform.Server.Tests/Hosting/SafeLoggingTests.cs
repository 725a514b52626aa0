using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>Captures every log entry of a test server, formatted, at every level.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, category, formatter(state, exception), exception));
    }
}

/// <summary>Captures the structured values of every log entry of a test server.</summary>
internal sealed class StateCapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<KeyValuePair<string, object?>> Values { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(StateCapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                foreach (var value in values)
                {
                    owner.Values.Enqueue(value);
                }
            }
        }
    }
}

public class SafeLoggingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Server_NeverLogsQueryStringCredentials_EvenAtDebug()
    {
        var capture = new CapturingLoggerProvider();
        await using var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Debug",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
            },
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));
        using var client = server.CreateClient();
        var secret = "S3cret" + Guid.NewGuid().ToString("N");

        foreach (var query in new[] { "access_token", "apikey", "token", "key", "password" })
        {
            using var response = await client.GetAsync($"/api/collections/nothing/documents?{query}={secret}", Ct);
            Assert.True((int)response.StatusCode >= 400);
        }

        using var negotiate = await client.PostAsync($"/realtime/negotiate?negotiateVersion=1&access_token={secret}", null, Ct);

        Assert.NotEmpty(capture.Entries);
        Assert.DoesNotContain(capture.Entries, e => e.Message.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Server_RequestLines_TurnedOnForOneProvider_CarryNoCredential()
    {
        // A provider's own LogLevel section outranks every rule without a provider: the request lines are on for it.
        var capture = new CapturingLoggerProvider();
        var provider = typeof(CapturingLoggerProvider).FullName;
        await using var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?>
            {
                [$"Logging:{provider}:LogLevel:Default"] = "Trace",
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
            },
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));
        using var client = server.CreateClient();
        var secret = "S3cret" + Guid.NewGuid().ToString("N");

        foreach (var query in new[] { "access_token", "apikey", "ACCESS_Token", "token", "password", "key" })
        {
            using var response = await client.GetAsync($"/api/collections/nothing/documents?limit=5&{query}={secret}&sort=a", Ct);
            Assert.True((int)response.StatusCode >= 400);
        }

        using var negotiate = await client.PostAsync($"/realtime/negotiate?negotiateVersion=1&access_token={secret}", null, Ct);

        // The request lines are there, with the rest of their query string, and the credentials redacted.
        var starts = capture.Entries.Where(e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.Message.StartsWith("Request starting", StringComparison.Ordinal)).ToList();
        Assert.Contains(starts, e => e.Message.Contains("/realtime/negotiate?negotiateVersion=1&access_token=Redacted", StringComparison.Ordinal));
        Assert.Contains(starts, e => e.Message.Contains("?limit=5&ACCESS_Token=Redacted&sort=a", StringComparison.Ordinal));
        Assert.DoesNotContain(capture.Entries, e => e.Message.Contains(secret, StringComparison.Ordinal) || e.Exception?.ToString().Contains(secret, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Server_StructuredRequestValues_CarryNoCredential()
    {
        // What a JSON console or an OpenTelemetry log exporter writes: the entry's values, not only its message.
        var capture = new StateCapturingLoggerProvider();
        await using var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information" },
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));
        using var client = server.CreateClient();
        var secret = "S3cret" + Guid.NewGuid().ToString("N");

        using var response = await client.GetAsync($"/health?access_token={secret}", Ct);

        var values = capture.Values.Where(v => v.Key == "QueryString").Select(v => v.Value?.ToString()).ToList();
        Assert.Contains("?access_token=Redacted", values);
        Assert.DoesNotContain(capture.Values, v => v.Value?.ToString()?.Contains(secret, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Server_LogsClientErrors_BelowWarning_WithoutStackTraces()
    {
        var capture = new CapturingLoggerProvider();
        await using var server = await BaasTestServer.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Debug" },
            configureServices: services => services.AddSingleton<ILoggerProvider>(capture));
        using var client = server.CreateClient();
        while (capture.Entries.TryDequeue(out _))
        {
        }

        using (var missing = await client.GetAsync("/api/collections/nothing/documents/x", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not.a.token");
            using var badToken = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, badToken.StatusCode);
        }

        using (var badJson = await client.PostAsync("/api/auth/login", new StringContent("{\"email\":", System.Text.Encoding.UTF8, "application/json"), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        }

        Assert.DoesNotContain(capture.Entries, e => e.Level >= LogLevel.Warning);
        Assert.DoesNotContain(capture.Entries, e => e.Exception is not null && e.Level >= LogLevel.Information);
    }

    [Fact]
    public void ConsoleFormatter_EscapesControlCharacters_SoUserTextCannotForgeALine()
    {
        var formatter = new SafeConsoleFormatter(new StaticMonitor(new SimpleConsoleFormatterOptions()));
        using var output = new StringWriter();
        var forged = "eve@example.com\r\ninfo: Platform.Server.Admin[4104]\n      First admin mallory created\u001b[2J";

        formatter.Write(
            new LogEntry<string>(LogLevel.Information, "Platform.Server.Admin", new EventId(4105), forged, null, (s, _) => $"Failed admin sign-in for {s}."),
            null,
            output);

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("info: Platform.Server.Admin[4105]", lines[0]);
        Assert.Equal(@"      Failed admin sign-in for eve@example.com\r\ninfo: Platform.Server.Admin[4104]\n      First admin mallory created\u001b[2J.", lines[1]);
    }

    [Fact]
    public void ConsoleFormatter_IsTheDefault_OfTheServer()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
        builder.UseBaasSafeLogging();
        using var provider = builder.Services.BuildServiceProvider();

        Assert.Equal(SafeConsoleFormatter.FormatterName, provider.GetRequiredService<IOptions<ConsoleLoggerOptions>>().Value.FormatterName);
    }

    private sealed class StaticMonitor(SimpleConsoleFormatterOptions value) : IOptionsMonitor<SimpleConsoleFormatterOptions>
    {
        public SimpleConsoleFormatterOptions CurrentValue => value;

        public SimpleConsoleFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<SimpleConsoleFormatterOptions, string?> listener) => null;
    }
}
