using Microsoft.AspNetCore.SignalR;

namespace Platform.Server.Realtime;

/// <summary>
/// Logs what hub methods throw, by whose fault (issue 11 item 8). SignalR logs every exception a hub method throws at
/// Error with its stack trace (<c>DefaultHubDispatcher</c>, "Failed to invoke hub method"), refusals included, so any
/// client could fill the server's error log with bad filters; that category logs from Critical only (SafeLogging).
/// Here a refusal (<see cref="HubException"/>: a bad filter, a denied or too costly subscription) is logged at Debug,
/// without the exception, and anything else at Error with it.
/// </summary>
internal sealed class RealtimeRefusalLogging(ILogger<RealtimeRefusalLogging> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(invocationContext);
        }
        catch (HubException refusal)
        {
            RealtimeLog.Refused(logger, invocationContext.HubMethodName, invocationContext.Context.ConnectionId, refusal.Message);
            throw;
        }
        catch (OperationCanceledException) when (invocationContext.Context.ConnectionAborted.IsCancellationRequested)
        {
            // The client went away mid-call.
            throw;
        }
        catch (Exception ex)
        {
            RealtimeLog.HubEventFailed(logger, ex, invocationContext.HubMethodName, invocationContext.Context.ConnectionId);
            throw;
        }
    }
}
