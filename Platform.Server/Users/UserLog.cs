namespace Platform.Server.Users;

internal static partial class UserLog
{
    [LoggerMessage(EventId = 4201, EventName = "UserSignedUp", Level = LogLevel.Information,
        Message = "App user {UserId} signed up (upgraded from anonymous: {Upgraded}).")]
    public static partial void UserSignedUp(ILogger logger, string userId, bool upgraded);

    [LoggerMessage(EventId = 4202, EventName = "UserLoginFailed", Level = LogLevel.Information,
        Message = "Failed app-user sign-in: {Reason}.")]
    public static partial void UserLoginFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 4203, EventName = "UserLockedOut", Level = LogLevel.Warning,
        Message = "App user {UserId} is locked out until {LockoutEnd} after repeated wrong passwords.")]
    public static partial void UserLockedOut(ILogger logger, string userId, DateTimeOffset lockoutEnd);

    [LoggerMessage(EventId = 4204, EventName = "SessionStarted", Level = LogLevel.Debug,
        Message = "Session {SessionId} started for app user {UserId}.")]
    public static partial void SessionStarted(ILogger logger, string userId, string sessionId);

    [LoggerMessage(EventId = 4205, EventName = "SessionRevoked", Level = LogLevel.Information,
        Message = "Session {SessionId} of app user {UserId} ended: {Reason}.")]
    public static partial void SessionRevoked(ILogger logger, string userId, string sessionId, string reason);

    [LoggerMessage(EventId = 4206, EventName = "RefreshTokenReused", Level = LogLevel.Warning,
        Message = "A used refresh token of session {SessionId} (app user {UserId}) was presented again; the session is revoked.")]
    public static partial void RefreshTokenReused(ILogger logger, string userId, string sessionId);

    [LoggerMessage(EventId = 4207, EventName = "PasswordReset", Level = LogLevel.Information,
        Message = "App user {UserId} reset their password; all their sessions are ended.")]
    public static partial void PasswordReset(ILogger logger, string userId);

    [LoggerMessage(EventId = 4208, EventName = "UserChangedByAdmin", Level = LogLevel.Information,
        Message = "App user {UserId} {Change} by {ChangedBy}.")]
    public static partial void UserChangedByAdmin(ILogger logger, string userId, string change, string? changedBy);

    [LoggerMessage(EventId = 4209, EventName = "PasswordResetMailFailed", Level = LogLevel.Error,
        Message = "The password-reset mail for app user {UserId} could not be sent; the client was told 202 as for any email.")]
    public static partial void PasswordResetMailFailed(ILogger logger, string userId, Exception exception);
}
