using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Platform.Server.Hosting;

/// <summary>
/// Logs that cannot leak credentials or be forged (docs/deployment.md, "Logging"). Realtime clients carry
/// <c>access_token</c> in the query string (and callers may put <c>apikey</c> there): every logger redacts credential
/// values of query strings (<see cref="RedactingLoggerFactory"/>), so ASP.NET Core's "Request starting" line may be
/// turned on at any level. Kestrel's bad-request lines carry the raw request line in their exception's text, which no
/// logger can rewrite: that category logs from Warning only, for every provider, whatever the configuration says. The
/// console writes every message on one line with control characters (CR, LF, ESC, ...) escaped, so user-supplied text
/// such as an email or a collection name cannot start a forged log line.
/// </summary>
internal static class SafeLogging
{
    /// <summary>Kestrel's bad-request lines: logged from Warning only (see <see cref="UseBaasSafeLogging"/>).</summary>
    internal const string KestrelBadRequestsCategory = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    /// <summary>SignalR's <c>HubConnectionHandler</c>: logs from Critical only (see <see cref="UseBaasSafeLogging"/>).</summary>
    internal const string SignalRConnectionHandlerCategory = "Microsoft.AspNetCore.SignalR.HubConnectionHandler";

    /// <summary>SignalR's <c>DefaultHubDispatcher</c>: logs from Critical only (see <see cref="UseBaasSafeLogging"/>).</summary>
    internal const string SignalRHubDispatcherCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    /// <summary>Categories whose level the configuration cannot lower, with the lowest level they log at.</summary>
    internal static readonly (string Category, LogLevel Level)[] ForcedLevels =
    [
        (KestrelBadRequestsCategory, LogLevel.Warning),

        // SignalR logs an exception thrown by OnConnectedAsync at Error with its stack trace. The hub throws there only to
        // refuse a connection (connection limits, shutting down): a client's condition, which the hub logs itself below
        // Warning, and it logs its own unexpected failures (RealtimeLog.HubEventFailed). The category logs nothing else above Debug.
        // Likewise every exception a hub method throws, refusals (bad filter, denied, too costly) included: the hub's
        // RealtimeRefusalLogging logs refusals at Debug and other failures at Error.
        (SignalRConnectionHandlerCategory, LogLevel.Critical),
        (SignalRHubDispatcherCategory, LogLevel.Critical),
    ];

    public static WebApplicationBuilder UseBaasSafeLogging(this WebApplicationBuilder builder)
    {
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(services => new RedactingLoggerFactory(new LoggerFactory(
            services.GetServices<ILoggerProvider>(),
            services.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            services.GetService<IOptions<LoggerFactoryOptions>>(),
            services.GetService<IExternalScopeProvider>()))));

        // After the configuration's rules, and once per provider the rules name: a provider's own section
        // (Logging:Console:LogLevel:Default=Debug) outranks any rule without a provider, however specific.
        builder.Services.PostConfigure<LoggerFilterOptions>(options =>
        {
            var providers = options.Rules.Select(rule => rule.ProviderName).Append(null).Distinct(StringComparer.Ordinal).ToList();
            foreach (var (category, level) in ForcedLevels)
            {
                foreach (var provider in providers)
                {
                    options.Rules.Add(new LoggerFilterRule(provider, category, level, filter: null));
                }
            }
        });

        builder.Logging.AddConsoleFormatter<SafeConsoleFormatter, SimpleConsoleFormatterOptions>();
        builder.Services.PostConfigure<ConsoleLoggerOptions>(options =>
        {
            if (options.FormatterName is null or ConsoleFormatterNames.Simple)
            {
                options.FormatterName = SafeConsoleFormatter.FormatterName;
            }
        });
        return builder;
    }
}

/// <summary>
/// The console format of <c>simple</c> (<c>info: Category[event]</c>, then the message), with the message always on
/// one line and its control characters escaped (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\u001b</c>, ...). An exception's
/// text follows on indented lines.
/// </summary>
internal sealed class SafeConsoleFormatter : ConsoleFormatter, IDisposable
{
    public const string FormatterName = "baas";
    private const string Padding = "      ";

    private readonly IDisposable? _reload;
    private SimpleConsoleFormatterOptions _options;

    public SafeConsoleFormatter(IOptionsMonitor<SimpleConsoleFormatterOptions> options)
        : base(FormatterName)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.CurrentValue;
        _reload = options.OnChange(changed => _options = changed);
    }

    public void Dispose() => _reload?.Dispose();

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var line = new StringBuilder();
        if (_options.TimestampFormat is { } format)
        {
            var now = _options.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
            line.Append(now.ToString(format, CultureInfo.InvariantCulture));
        }

        line.Append(Level(logEntry.LogLevel)).Append(": ").Append(logEntry.Category)
            .Append('[').Append(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture)).Append(']');
        if (_options.SingleLine)
        {
            line.Append(' ');
        }
        else
        {
            textWriter.WriteLine(line.ToString());
            line.Clear().Append(Padding);
        }

        line.Append(Escape(message ?? string.Empty));
        textWriter.WriteLine(line.ToString());
        if (logEntry.Exception is { } exception)
        {
            foreach (var exceptionLine in exception.ToString().Split('\n'))
            {
                textWriter.Write(Padding);
                textWriter.WriteLine(Escape(exceptionLine.TrimEnd('\r')));
            }
        }
    }

    /// <summary>The text with every control character (and the Unicode line separators) written as an escape.</summary>
    internal static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(NeedsEscape))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            _ = c switch
            {
                '\n' => escaped.Append("\\n"),
                '\r' => escaped.Append("\\r"),
                '\t' => escaped.Append("\\t"),
                _ when NeedsEscape(c) => escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085';

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
