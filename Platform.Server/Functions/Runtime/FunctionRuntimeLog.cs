namespace Platform.Server.Functions.Runtime;

internal static partial class FunctionRuntimeLog
{
    [LoggerMessage(EventId = 9100, Level = LogLevel.Error, Message = "Function {Function} v{Version} run {RunId}: the runtime failed")]
    public static partial void RuntimeFailed(ILogger logger, string function, int version, string runId, Exception exception);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Error, Message = "Function {Function} run {RunId}: a ctx call failed unexpectedly")]
    public static partial void HostCallFailed(ILogger logger, string function, string runId, Exception exception);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Information, Message = "Function {Function} run {RunId}: ctx.fetch refused: {Reason}")]
    public static partial void FetchRefused(ILogger logger, string function, string runId, string reason);
}
