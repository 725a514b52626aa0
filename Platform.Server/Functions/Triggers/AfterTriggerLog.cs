namespace Platform.Server.Functions.Triggers;

internal static partial class AfterTriggerLog
{
    [LoggerMessage(EventId = 9301, Level = LogLevel.Information, Message = "After triggers of function {Function}: consumed on node {Node}")]
    public static partial void LeaseAcquired(ILogger logger, string function, string node);

    [LoggerMessage(EventId = 9302, Level = LogLevel.Warning, Message = "After triggers of function {Function}: node {Node} lost its lease; another node consumes now")]
    public static partial void LeaseLost(ILogger logger, string function, string node);

    [LoggerMessage(EventId = 9303, Level = LogLevel.Warning, Message = "After triggers of function {Function}: the lease could not be read or written; retrying")]
    public static partial void LeaseFailed(ILogger logger, Exception exception, string function);

    [LoggerMessage(EventId = 9304, Level = LogLevel.Information, Message = "After triggers of function {Function}: first seen, starting at feed position {Position}")]
    public static partial void Started(ILogger logger, string function, string position);

    [LoggerMessage(EventId = 9305, Level = LogLevel.Error, Message = "After triggers of function {Function}: the feed no longer holds the changes after checkpoint {Checkpoint}; recorded a missed_events run and continuing from {Position}")]
    public static partial void MissedEvents(ILogger logger, string function, string checkpoint, string position);

    [LoggerMessage(EventId = 9306, Level = LogLevel.Warning, Message = "After triggers of function {Function}: reading the feed after {Position} failed; reading again in {Delay}")]
    public static partial void FeedFailed(ILogger logger, Exception exception, string function, string position, TimeSpan delay);

    [LoggerMessage(EventId = 9307, Level = LogLevel.Warning, Message = "After triggers of function {Function}: saving the checkpoint failed; trying again in {Delay}")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception, string function, TimeSpan delay);

    [LoggerMessage(EventId = 9308, Level = LogLevel.Warning, Message = "After triggers of function {Function}: another node wrote the checkpoint; stopping here")]
    public static partial void CheckpointTaken(ILogger logger, string function);

    [LoggerMessage(EventId = 9309, Level = LogLevel.Warning, Message = "After triggers of function {Function}: event {EventId} comes from a chain of depth {Depth}, at the limit; recorded as a failed run")]
    public static partial void ChainTooDeep(ILogger logger, string function, string eventId, int depth);

    [LoggerMessage(EventId = 9310, Level = LogLevel.Information, Message = "After triggers of function {Function}: event {EventId} failed on attempt {Attempt}; retrying in {Delay}")]
    public static partial void RunFailed(ILogger logger, string function, string eventId, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 9311, Level = LogLevel.Warning, Message = "After triggers of function {Function}: event {EventId} failed on its last attempt ({Attempt}); it is a dead letter")]
    public static partial void DeadLetter(ILogger logger, string function, string eventId, int attempt);

    [LoggerMessage(EventId = 9312, Level = LogLevel.Warning, Message = "After triggers of function {Function}: running event {EventId} failed outside the function; trying again in {Delay}")]
    public static partial void ExecuteFailed(ILogger logger, Exception exception, string function, string eventId, TimeSpan delay);

    [LoggerMessage(EventId = 9313, Level = LogLevel.Warning, Message = "After triggers of function {Function}: consuming failed; starting again in {Delay}")]
    public static partial void ConsumeFailed(ILogger logger, Exception exception, string function, TimeSpan delay);

    [LoggerMessage(EventId = 9314, Level = LogLevel.Warning, Message = "After triggers are off on this node: no function catalog or executor is registered")]
    public static partial void Unavailable(ILogger logger);

    [LoggerMessage(EventId = 9315, Level = LogLevel.Warning, Message = "After triggers: reading the function definitions failed; trying again in {Delay}")]
    public static partial void CatalogFailed(ILogger logger, Exception exception, TimeSpan delay);
}
