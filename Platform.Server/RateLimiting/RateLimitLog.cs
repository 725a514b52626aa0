namespace Platform.Server.RateLimiting;

internal static partial class RateLimitLog
{
    [LoggerMessage(EventId = 7101, EventName = "RequestRateLimited", Level = LogLevel.Debug,
        Message = "Rejected {Method} {Path} with 429: rate limit reached; retry after {RetryAfterSeconds} s.")]
    public static partial void Rejected(ILogger logger, string method, string path, int retryAfterSeconds);
}
