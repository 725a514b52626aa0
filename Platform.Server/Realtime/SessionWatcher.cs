using Microsoft.Extensions.Options;
using Platform.Server.Auth;
using Platform.Server.Users;

namespace Platform.Server.Realtime;

/// <summary>
/// Closes realtime connections whose session ended (docs/realtime.md, "Sessions"): at once when it ends on this node
/// (<see cref="SessionEndings"/>), and, for endings on other nodes, by reading each open connection's session from
/// the store every <see cref="UserAuthOptions.SessionCheckInterval"/> (every second when that is 0).
/// </summary>
internal sealed class SessionWatcher(
    RealtimeDispatcher dispatcher,
    SessionEndings endings,
    CallerSessions sessions,
    IOptions<UserAuthOptions> options,
    TimeProvider time,
    ILogger<SessionWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        endings.Ended += OnEnded;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        endings.Ended -= OnEnded;
        await base.StopAsync(cancellationToken);
    }

    /// <summary>One pass: reads the session of every signed-in connection and closes those that ended. Returns how many were closed.</summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken = default)
    {
        var closed = 0;
        foreach (var caller in dispatcher.SignedInCallers())
        {
            if (!await sessions.IsActiveAsync(caller, fresh: true, cancellationToken))
            {
                closed += Close(new SessionEnded(caller.Kind, caller.Id, caller.SessionId));
            }
        }

        return closed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SessionCheckInterval;
        using var timer = new PeriodicTimer(interval < MinimumInterval ? MinimumInterval : interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CheckAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    RealtimeLog.SessionCheckFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private void OnEnded(object? sender, SessionEnded ended) => Close(ended);

    private int Close(SessionEnded ended)
    {
        var count = dispatcher.DropEnded(ended);
        if (count > 0)
        {
            RealtimeLog.SessionsEnded(logger, count, ended.Kind, ended.CallerId);
        }

        return count;
    }
}
