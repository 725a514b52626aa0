namespace Platform.Server.Auth;

internal static partial class AuthLog
{
    [LoggerMessage(EventId = 4001, EventName = "SigningKeyCreated", Level = LogLevel.Information,
        Message = "Generated a new token signing key and stored it in _keys.")]
    public static partial void SigningKeyCreated(ILogger logger);

    [LoggerMessage(EventId = 4002, EventName = "ApiKeyCreated", Level = LogLevel.Information,
        Message = "Service key {KeyId} ('{KeyName}') created by {CreatedBy}.")]
    public static partial void ApiKeyCreated(ILogger logger, string keyId, string keyName, string? createdBy);

    [LoggerMessage(EventId = 4003, EventName = "ApiKeyRevoked", Level = LogLevel.Information,
        Message = "Service key {KeyId} ('{KeyName}') revoked.")]
    public static partial void ApiKeyRevoked(ILogger logger, string keyId, string keyName);

    [LoggerMessage(EventId = 4004, EventName = "ApiKeyRejected", Level = LogLevel.Debug,
        Message = "Rejected an X-Api-Key header: {Reason}.")]
    public static partial void ApiKeyRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 4005, EventName = "DataProtectionKeysPerNode", Level = LogLevel.Warning,
        Message = "Data Protection keys are files in {KeysDir}, on this node only, while the store is MongoDB: if several nodes share the database, set Baas:DataProtection:Key (docs/deployment.md, 'Several nodes') so every node reads what another protected.")]
    public static partial void DataProtectionKeysPerNode(ILogger logger, string keysDir);

    [LoggerMessage(EventId = 4006, EventName = "RealtimeTicketRefused", Level = LogLevel.Information,
        Message = "Refused a realtime ticket on {Path}: {Reason}")]
    public static partial void RealtimeTicketRefused(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 4007, EventName = "RealtimeTicketCleanup", Level = LogLevel.Debug,
        Message = "Removed {Count} expired realtime tickets.")]
    public static partial void RealtimeTicketCleanup(ILogger logger, int count);

    [LoggerMessage(EventId = 4008, EventName = "RealtimeTicketCleanupFailed", Level = LogLevel.Warning,
        Message = "Removing expired realtime tickets failed; the next pass tries again.")]
    public static partial void RealtimeTicketCleanupFailed(ILogger logger, Exception exception);
}
