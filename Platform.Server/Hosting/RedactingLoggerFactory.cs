using System.Collections;
using Platform.Server.Common;

namespace Platform.Server.Hosting;

/// <summary>
/// The logger factory of the server: every logger it makes passes each entry on with the credential values of query
/// strings redacted (<see cref="QueryStringRedaction"/>), in the message and in the structured values a JSON or
/// OpenTelemetry log exporter writes. ASP.NET Core's "Request starting" line prints the query string, where realtime
/// clients carry <c>access_token</c>; a filter on its category can be overridden by configuration (a provider's own
/// <c>LogLevel</c> section wins over any other rule), so the line itself must be safe at every level. An entry without
/// a credential is passed on as it came, without a copy. One entry is exempt: the first-admin setup link
/// (<see cref="Admin.AdminLog.SetupLinkEventId"/>), whose token the operator must read from the log to create the first
/// admin (DESIGN.md §6); it works once, only until an admin exists, and is logged only while none does.
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            if (eventId.Id == Admin.AdminLog.SetupLinkEventId && eventId.Name == Admin.AdminLog.SetupLinkEventName)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                if (!RedactedState.Needed(values))
                {
                    inner.Log(logLevel, eventId, state, exception, formatter);
                    return;
                }

                var message = QueryStringRedaction.Redact(formatter(state, exception));
                inner.Log(logLevel, eventId, new RedactedState(values, message), exception, static (s, _) => s.Message);
                return;
            }

            // A state without structured values (rare: the server and ASP.NET Core log through message templates).
            var text = formatter(state, exception);
            if (!QueryStringRedaction.HoldsCredential(text))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            inner.Log(logLevel, eventId, new RedactedState([], QueryStringRedaction.Redact(text)), exception, static (s, _) => s.Message);
        }
    }

    /// <summary>The values of an entry with each text value redacted, and its redacted message.</summary>
    private sealed class RedactedState : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _values;

        public RedactedState(IReadOnlyList<KeyValuePair<string, object?>> values, string message)
        {
            Message = message;
            _values = new KeyValuePair<string, object?>[values.Count];
            for (var i = 0; i < values.Count; i++)
            {
                var (key, value) = values[i];
                _values[i] = new(key, Text(value) is { } text && QueryStringRedaction.HoldsCredential(text) ? QueryStringRedaction.Redact(text) : value);
            }
        }

        public string Message { get; }

        public int Count => _values.Length;

        public KeyValuePair<string, object?> this[int index] => _values[index];

        public static bool Needed(IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (QueryStringRedaction.HoldsCredential(Text(values[i].Value)))
                {
                    return true;
                }
            }

            return false;
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;

        // The values that print a request target: text, and the types ASP.NET Core keeps query strings and URLs in.
        private static string? Text(object? value) => value switch
        {
            string s => s,
            QueryString q => q.Value,
            Uri u => u.OriginalString,
            _ => null,
        };
    }
}
