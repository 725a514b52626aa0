namespace Platform.Server.Hosting;

/// <summary>
/// Logs one warning per key under <c>Baas</c> that no option binds, at start-up. It does not refuse to start: a key
/// a newer version knows must not stop an older node during a rolling upgrade (docs/deployment.md).
/// </summary>
internal sealed partial class UnknownSettingsWarning(IConfiguration configuration, ILogger<UnknownSettingsWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var unknown in SettingsSchema.ForServer().FindUnknown(configuration))
        {
            if (unknown.Suggestion is { } suggestion)
            {
                LogUnknownWithSuggestion(logger, unknown.Key, suggestion);
            }
            else
            {
                LogUnknown(logger, unknown.Key);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1030, EventName = "UnknownSetting", Level = LogLevel.Warning, Message = "Unknown configuration key {Key} is ignored; did you mean {Suggestion}?")]
    private static partial void LogUnknownWithSuggestion(ILogger logger, string key, string suggestion);

    [LoggerMessage(EventId = 1031, EventName = "UnknownSettingNoSuggestion", Level = LogLevel.Warning, Message = "Unknown configuration key {Key} is ignored (no option of this server has that name)")]
    private static partial void LogUnknown(ILogger logger, string key);
}
