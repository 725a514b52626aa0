namespace Platform.Server.Admin;

internal static partial class AdminLog
{
    [LoggerMessage(EventId = 4101, EventName = "AdminSeeded", Level = LogLevel.Information,
        Message = "Created admin {Email} from Baas:Admin settings.")]
    public static partial void AdminSeeded(ILogger logger, string email);

    [LoggerMessage(EventId = 4102, EventName = "AdminSeedSkipped", Level = LogLevel.Debug,
        Message = "Admin {Email} from Baas:Admin settings already exists; its password is left unchanged.")]
    public static partial void AdminSeedSkipped(ILogger logger, string email);

    /// <summary>The setup link's event: the one entry that prints a credential on purpose (see <see cref="Hosting.RedactingLoggerFactory"/>).</summary>
    internal const int SetupLinkEventId = 4103;

    internal const string SetupLinkEventName = "AdminSetupLink";

    [LoggerMessage(EventId = SetupLinkEventId, EventName = SetupLinkEventName, Level = LogLevel.Warning,
        Message = "No admin account exists yet. Create the first admin at {SetupUrl} (the link works once, until an admin exists), or restart with Baas__Admin__Email and Baas__Admin__Password set.")]
    public static partial void AdminSetupLink(ILogger logger, string setupUrl);

    [LoggerMessage(EventId = 4104, EventName = "AdminCreatedBySetup", Level = LogLevel.Information,
        Message = "First admin {Email} created through the setup link.")]
    public static partial void AdminCreatedBySetup(ILogger logger, string email);

    [LoggerMessage(EventId = 4105, EventName = "AdminLoginFailed", Level = LogLevel.Information,
        Message = "Failed admin sign-in for {Email}.")]
    public static partial void AdminLoginFailed(ILogger logger, string email);

    [LoggerMessage(EventId = 4106, EventName = "AdminCreated", Level = LogLevel.Information,
        Message = "Admin {Email} created by admin {CreatedBy}.")]
    public static partial void AdminCreated(ILogger logger, string email, string? createdBy);

    [LoggerMessage(EventId = 4107, EventName = "AdminSignedOut", Level = LogLevel.Information,
        Message = "Admin {AdminId} signed out; every token issued to it before has ended.")]
    public static partial void AdminSignedOut(ILogger logger, string adminId);

    [LoggerMessage(EventId = 4108, EventName = "AdminDisabledChanged", Level = LogLevel.Information,
        Message = "Admin {AdminId} was {Action} by admin {ChangedBy}.")]
    public static partial void AdminDisabledChanged(ILogger logger, string adminId, string action, string? changedBy);

    [LoggerMessage(EventId = 4109, EventName = "AdminLockedOut", Level = LogLevel.Warning,
        Message = "Admin {Email} is locked out until {LockoutEnd} after repeated wrong passwords.")]
    public static partial void AdminLockedOut(ILogger logger, string email, DateTimeOffset lockoutEnd);
}
