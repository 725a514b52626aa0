using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.Server.Realtime;

namespace Platform.Server.Hosting;

/// <summary>Whether this node is draining (SIGTERM received); read by the readiness check.</summary>
public sealed class ShutdownState
{
    private volatile bool _draining;

    public bool Draining => _draining;

    internal void BeginDraining() => _draining = true;
}

/// <summary><c>/health/ready</c> answers 503 from the moment draining starts, so load balancers stop routing here.</summary>
internal sealed class DrainingHealthCheck(ShutdownState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Draining ? HealthCheckResult.Unhealthy("The node is shutting down.") : HealthCheckResult.Healthy());
}

/// <summary>
/// The first step of a graceful shutdown (DESIGN.md section 12), run when the host starts stopping (SIGTERM) and before
/// Kestrel stops accepting: the node reports not ready, every realtime connection is sent <c>resync</c> with reason
/// <c>shutdown</c> (the SDK reconnects, to another node behind a load balancer, and resumes after the last change it
/// received) and closed, and with <c>DrainDelay</c> the node keeps serving for that long. Then the host stops Kestrel
/// (in-flight requests finish within <c>GracePeriod</c>), the background services (after-trigger consumers release
/// their leases, so another node takes over at once), and disposes the store (SQLite checkpoints its log into the
/// database file and closes; MongoDB closes its connections).
/// </summary>
/// <remarks>
/// This runs in an <c>ApplicationStopping</c> callback registered at start, after SignalR's connection manager registered
/// its own (which closes every connection without a word): cancellation callbacks run last-registered first, so the
/// clients hear why before they are closed.
/// </remarks>
internal sealed partial class GracefulShutdown(
    IHostApplicationLifetime lifetime,
    ShutdownState state,
    RealtimeDispatcher dispatcher,
    IOptions<ShutdownOptions> options,
    TimeProvider time,
    ILogger<GracefulShutdown> logger) : IHostedService
{
    private CancellationTokenRegistration _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(Drain);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration.Dispose();
        return Task.CompletedTask;
    }

    // Synchronous: the host stops Kestrel only after the ApplicationStopping callbacks return.
    private void Drain()
    {
        var started = time.GetTimestamp();
        var settings = options.Value;
        state.BeginDraining();
        var workers = dispatcher.DrainForShutdown();
        Log.Draining(logger, workers.Count, settings.GracePeriod.TotalSeconds);
        try
        {
            Task.WaitAll([.. workers], settings.RealtimeNoticeTimeout);
        }
        catch (AggregateException ex)
        {
            // A worker that failed has already logged and aborted its connection.
            Log.NoticeFailed(logger, ex.InnerExceptions.Count);
        }

        var left = settings.DrainDelay - time.GetElapsedTime(started);
        if (left > TimeSpan.Zero)
        {
            Task.Delay(left, time).Wait();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9100, Level = LogLevel.Information, Message = "Shutting down: /health/ready answers 503, {Connections} realtime connections told to reconnect; in-flight requests get {GraceSeconds} s")]
        public static partial void Draining(ILogger logger, int connections, double graceSeconds);

        [LoggerMessage(EventId = 9101, Level = LogLevel.Debug, Message = "{Count} realtime connections could not be told to reconnect before closing")]
        public static partial void NoticeFailed(ILogger logger, int count);
    }
}
