using Microsoft.AspNetCore.Http.Features;

namespace Platform.Server.Memory;

/// <summary>What <see cref="RequestActivity"/> has seen: requests started and finished so far.</summary>
internal readonly record struct RequestCounts(long Started, long Finished)
{
    /// <summary>Requests started and not yet finished.</summary>
    public long InFlight => Started - Finished;
}

/// <summary>
/// Counts the node's HTTP requests as they start and finish, for <see cref="IdleMemoryTrimmer"/>: two interlocked
/// increments per request, no lock and no allocation of its own. A WebSocket or server-sent-events request counts as a
/// start and a finish at once: it is a realtime connection that stays open while idle, not work in flight.
/// </summary>
internal sealed class RequestActivity
{
    private long _started;
    private long _finished;

    public void Started() => Interlocked.Increment(ref _started);

    public void Finished() => Interlocked.Increment(ref _finished);

    public RequestCounts Read()
    {
        // Finished first: a request that finishes between the two reads is then still in flight, never negative.
        var finished = Volatile.Read(ref _finished);
        return new RequestCounts(Volatile.Read(ref _started), finished);
    }
}

/// <summary>The middleware that feeds <see cref="RequestActivity"/>; first in the pipeline, so every request counts.</summary>
internal static class RequestActivityMiddleware
{
    private const string EventStream = "text/event-stream";

    public static IApplicationBuilder UseBaasRequestActivity(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var activity = app.ApplicationServices.GetRequiredService<RequestActivity>();
        return app.Use(next => context =>
        {
            activity.Started();
            if (IsConnection(context))
            {
                activity.Finished();
                return next(context);
            }

            Task task;
            try
            {
                task = next(context);
            }
            catch
            {
                activity.Finished();
                throw;
            }

            if (task.IsCompleted)
            {
                activity.Finished();
                return task;
            }

            return FinishAfterAsync(task, activity);
        });
    }

    private static bool IsConnection(HttpContext context)
    {
        // The WebSocket feature is added later, inside SignalR's endpoint: here a WebSocket is a request to upgrade
        // (HTTP/1.1) or an extended CONNECT (HTTP/2).
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
            || context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true })
        {
            return true;
        }

        var accept = context.Request.Headers.Accept;
        return accept.Count == 1 && string.Equals(accept[0], EventStream, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task FinishAfterAsync(Task task, RequestActivity activity)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        finally
        {
            activity.Finished();
        }
    }
}
