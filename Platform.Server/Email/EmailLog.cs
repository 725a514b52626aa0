namespace Platform.Server.Email;

internal static partial class EmailLog
{
    [LoggerMessage(EventId = 7001, EventName = "EmailToOutbox", Level = LogLevel.Information,
        Message = "Email to {To} with subject '{Subject}' stored in the outbox (no SMTP server is configured).")]
    public static partial void StoredInOutbox(ILogger logger, string to, string subject);

    [LoggerMessage(EventId = 7002, EventName = "EmailSent", Level = LogLevel.Information,
        Message = "Email to {To} with subject '{Subject}' sent through {Host}:{Port}.")]
    public static partial void Sent(ILogger logger, string to, string subject, string host, int port);

    [LoggerMessage(EventId = 7003, EventName = "EmailSendFailed", Level = LogLevel.Error,
        Message = "Email to {To} with subject '{Subject}' could not be sent through {Host}:{Port}.")]
    public static partial void SendFailed(ILogger logger, Exception exception, string to, string subject, string host, int port);

    [LoggerMessage(EventId = 7004, EventName = "OutboxPruned", Level = LogLevel.Debug,
        Message = "Pruned {Count} old message(s) from the outbox (limit {Limit}).")]
    public static partial void Pruned(ILogger logger, int count, int limit);
}
