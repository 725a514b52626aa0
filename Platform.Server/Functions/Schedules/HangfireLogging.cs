using Hangfire.Logging;
using MsLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// Hangfire's logs through Microsoft.Extensions.Logging, so <c>Logging:LogLevel</c> (category <c>Hangfire</c> and below)
/// and the server's console format apply to them like to every other line.
/// <para>
/// Hangfire 1.8 has one log provider per process (<c>Hangfire.Logging.LogProvider</c> is static), while a process may
/// run several servers (tests) whose <see cref="ILoggerFactory"/>s are disposed with them. Handing Hangfire one server's
/// factory (what <c>AddHangfire</c> does by default) breaks every Hangfire logger in the process once that server is
/// gone. So the provider Hangfire gets is this process-wide forwarder, and each server binds its factory to the flow that
/// starts its Hangfire server (<see cref="Bind"/>, from the server options callback): the Hangfire server is created in
/// that flow and its threads inherit it, so its loggers write to their own server's factory. A logger made outside any
/// bound flow, or whose factory is disposed, writes to the most recently bound factory still alive, or nowhere.
/// </para>
/// </summary>
internal sealed class HangfireLogging : ILogProvider
{
    private static readonly AsyncLocal<ILoggerFactory?> Bound = new();

    private readonly Lock _gate = new();
    private readonly List<ILoggerFactory> _factories = [];

    private HangfireLogging()
    {
    }

    /// <summary>The one provider Hangfire gets in this process.</summary>
    public static HangfireLogging Instance { get; } = new();

    /// <summary>Makes <paramref name="factory"/> the target of Hangfire loggers created from here on in this flow (and the fallback of all others).</summary>
    public static void Bind(ILoggerFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Bound.Value = factory;
        lock (Instance._gate)
        {
            Instance._factories.Remove(factory);
            Instance._factories.Add(factory);
        }
    }

    public ILog GetLogger(string name) => new Forwarder(this, name, Bound.Value);

    /// <summary>A logger of <paramref name="name"/> from <paramref name="preferred"/> if it is alive, else from the latest bound factory alive.</summary>
    private ILogger? Resolve(string name, ILoggerFactory? preferred)
    {
        if (preferred is not null && TryCreate(preferred, name) is { } own)
        {
            return own;
        }

        while (true)
        {
            ILoggerFactory? latest;
            lock (_gate)
            {
                latest = _factories.Count == 0 ? null : _factories[^1];
            }

            if (latest is null)
            {
                return null;
            }

            if (TryCreate(latest, name) is { } logger)
            {
                return logger;
            }
        }
    }

    private ILogger? TryCreate(ILoggerFactory factory, string name)
    {
        try
        {
            return factory.CreateLogger(name);
        }
        catch (ObjectDisposedException)
        {
            lock (_gate)
            {
                _factories.Remove(factory);
            }

            return null;
        }
    }

    internal static MsLogLevel ToLevel(Hangfire.Logging.LogLevel level) => level switch
    {
        Hangfire.Logging.LogLevel.Trace => MsLogLevel.Trace,
        Hangfire.Logging.LogLevel.Debug => MsLogLevel.Debug,
        Hangfire.Logging.LogLevel.Info => MsLogLevel.Information,
        Hangfire.Logging.LogLevel.Warn => MsLogLevel.Warning,
        Hangfire.Logging.LogLevel.Error => MsLogLevel.Error,
        _ => MsLogLevel.Critical,
    };

    private sealed class Forwarder(HangfireLogging owner, string name, ILoggerFactory? preferred) : ILog
    {
        // Hangfire first asks with a null message whether a level is on, then logs with one.
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            var logger = owner.Resolve(name, preferred);
            var level = ToLevel(logLevel);
            if (logger is null || !logger.IsEnabled(level))
            {
                return false;
            }

            if (messageFunc is null)
            {
                return true;
            }

            try
            {
                logger.Log(level, default, messageFunc(), exception, static (message, _) => message);
            }
            catch (ObjectDisposedException)
            {
                // The server went away between the lookup and the write.
                return false;
            }

            return true;
        }
    }
}
