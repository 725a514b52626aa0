namespace Platform.Server.Functions.Schedules;

internal static partial class ScheduleLog
{
    [LoggerMessage(EventId = 9400, Level = LogLevel.Information, Message = "Schedule of function {Function} registered: '{Cron}' in {TimeZone}.")]
    public static partial void Registered(ILogger logger, string function, string cron, string timeZone);

    [LoggerMessage(EventId = 9401, Level = LogLevel.Information, Message = "Schedule of function {Function} removed.")]
    public static partial void Removed(ILogger logger, string function);

    [LoggerMessage(EventId = 9402, Level = LogLevel.Warning, Message = "Keeping the recurring jobs in sync with the function definitions failed; trying again in {Delay}.")]
    public static partial void SyncFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 9403, Level = LogLevel.Information, Message = "Scheduled run of {Function} due at {DueAt} skipped: the function is gone, disabled or no longer scheduled.")]
    public static partial void Skipped(ILogger logger, string function, DateTimeOffset dueAt);

    [LoggerMessage(EventId = 9404, Level = LogLevel.Information, Message = "Scheduled run {RunId} of {Function} (attempt {Attempt}) ended {Status}; retry {Next} in {Delay}.")]
    public static partial void RetryScheduled(ILogger logger, string function, string runId, int attempt, string status, int next, TimeSpan delay);

    [LoggerMessage(EventId = 9406, Level = LogLevel.Error, Message = "Schedule of function {Function} cannot be registered on this node: {Reason}")]
    public static partial void Unschedulable(ILogger logger, string function, string reason);

    [LoggerMessage(EventId = 9405, Level = LogLevel.Warning, Message = "Jobs dashboard request refused: {Reason}.")]
    public static partial void DashboardRefused(ILogger logger, string reason);
}
