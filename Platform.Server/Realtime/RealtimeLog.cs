namespace Platform.Server.Realtime;

internal static partial class RealtimeLog
{
    [LoggerMessage(EventId = 5001, EventName = "QueueOverflow", Level = LogLevel.Warning,
        Message = "Realtime connection {ConnectionId} fell {Capacity} messages behind; sent resync and closing it.")]
    public static partial void QueueOverflow(ILogger logger, string connectionId, int capacity);

    [LoggerMessage(EventId = 5002, EventName = "FeedReadFailed", Level = LogLevel.Error,
        Message = "Reading the change feed after position {Position} failed; retrying in {Delay}.")]
    public static partial void FeedReadFailed(ILogger logger, Exception exception, string position, TimeSpan delay);

    [LoggerMessage(EventId = 5003, EventName = "FeedHistoryLost", Level = LogLevel.Error,
        Message = "The change feed no longer holds position {Position}; every realtime client is told to resync.")]
    public static partial void FeedHistoryLost(ILogger logger, Exception exception, string position);

    [LoggerMessage(EventId = 5004, EventName = "SendFailed", Level = LogLevel.Debug,
        Message = "Sending to realtime connection {ConnectionId} failed.")]
    public static partial void SendFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(EventId = 5005, EventName = "ConnectionRefused", Level = LogLevel.Warning,
        Message = "Refused a realtime connection: this node already serves {MaxConnections} connections.")]
    public static partial void ConnectionRefused(ILogger logger, int maxConnections);

    [LoggerMessage(EventId = 5006, EventName = "FeedResumed", Level = LogLevel.Information,
        Message = "Reading the change feed again after position {Position}.")]
    public static partial void FeedResumed(ILogger logger, string position);

    [LoggerMessage(EventId = 5007, EventName = "RulesChanged", Level = LogLevel.Information,
        Message = "The rules of collection {Collection} changed; {Count} realtime connections were told to resync.")]
    public static partial void RulesChanged(ILogger logger, string collection, int count);

    [LoggerMessage(EventId = 5008, EventName = "RuleCheckFailed", Level = LogLevel.Warning,
        Message = "Checking the rules of collection {Collection} for realtime subscriptions failed; trying again on the next tick.")]
    public static partial void RuleCheckFailed(ILogger logger, Exception exception, string collection);

    // Information: one client's condition (it opened too many), which any client can cause at will.
    [LoggerMessage(EventId = 5009, EventName = "ClientConnectionRefused", Level = LogLevel.Information,
        Message = "Refused a realtime connection from {ClientAddress}: it already holds {MaxConnectionsPerClient} connections.")]
    public static partial void ClientConnectionRefused(ILogger logger, string clientAddress, int maxConnectionsPerClient);

    [LoggerMessage(EventId = 5010, EventName = "SessionsEnded", Level = LogLevel.Information,
        Message = "Closed {Count} realtime connections of {CallerKind} {CallerId}: their session ended.")]
    public static partial void SessionsEnded(ILogger logger, int count, Platform.Server.Auth.BaasCallerKind callerKind, string callerId);

    [LoggerMessage(EventId = 5011, EventName = "SessionCheckFailed", Level = LogLevel.Warning,
        Message = "Checking the sessions of realtime connections failed; trying again on the next tick.")]
    public static partial void SessionCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5012, EventName = "StoredResumeTooLong", Level = LogLevel.Information,
        Message = "A resume after {Position} would read more than {MaxChanges} stored changes; the client gets a snapshot instead.")]
    public static partial void StoredResumeTooLong(ILogger logger, string position, int maxChanges);

    [LoggerMessage(EventId = 5013, EventName = "StoredResumeTimedOut", Level = LogLevel.Information,
        Message = "A resume after {Position} did not finish reading the stored feed within {Timeout}; the client gets a snapshot instead.")]
    public static partial void StoredResumeTimedOut(ILogger logger, string position, TimeSpan timeout);

    [LoggerMessage(EventId = 5014, EventName = "HubEventFailed", Level = LogLevel.Error,
        Message = "{HubEvent} of realtime connection {ConnectionId} failed.")]
    public static partial void HubEventFailed(ILogger logger, Exception exception, string hubEvent, string connectionId);

    [LoggerMessage(EventId = 5015, EventName = "Refused", Level = LogLevel.Debug,
        Message = "Refused {HubMethod} of realtime connection {ConnectionId}: {Refusal}")]
    public static partial void Refused(ILogger logger, string hubMethod, string connectionId, string refusal);

    [LoggerMessage(EventId = 5016, EventName = "MatchBudgetExceeded", Level = LogLevel.Information,
        Message = "Closing realtime connection {ConnectionId} (resync match_budget_exceeded): its client address {ClientAddress} spent its matching budget of {Budget} per second; this change would cost {Cost}.")]
    public static partial void MatchBudgetExceeded(ILogger logger, string connectionId, string clientAddress, long cost, long budget);

    [LoggerMessage(EventId = 5017, EventName = "SubscribeCatchUpTimedOut", Level = LogLevel.Warning,
        Message = "A subscription waited {Timeout} for the change feed reader to reach the committed position {Committed} (it is at {Dispatched}) and starts where the reader is: a resumeAfter position beyond it is answered with a snapshot.")]
    public static partial void SubscribeCatchUpTimedOut(ILogger logger, string committed, string dispatched, TimeSpan timeout);

    [LoggerMessage(EventId = 5018, EventName = "SnapshotPositionUnordered", Level = LogLevel.Warning,
        Message = "The change feed cannot order the snapshot's position {Snapshot} against the subscription's {Registered}: its events start at the latter, so a change in between may reach the client twice.")]
    public static partial void SnapshotPositionUnordered(ILogger logger, string snapshot, string registered);
}
