using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Platform.Server.Hosting;

/// <summary>
/// <c>/health/ready</c> answers 503 from the moment the host starts stopping (SIGTERM), before any stopping callback
/// runs, so load balancers stop routing here.
/// </summary>
internal sealed class DrainingHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("The node is shutting down.")
            : HealthCheckResult.Healthy());
}

/// <summary>
/// Graceful shutdown (DESIGN.md section 12, docs/deployment.md). When the host starts stopping (SIGTERM) readiness fails
/// at once (<see cref="DrainingHealthCheck"/>), realtime clients are told to reconnect (<c>Realtime/RealtimeShutdown</c>),
/// and this keeps the node serving for <c>Baas:Shutdown:DrainDelay</c> so load balancers notice. Then the host stops
/// Kestrel (in-flight requests finish within <c>GracePeriod</c>, the host's shutdown timeout), the background services
/// (after-trigger consumers release their leases, so another node takes over at once), and disposes the store (SQLite
/// checkpoints its log into the database file and closes; MongoDB closes its connections).
/// </summary>
internal sealed partial class GracefulShutdown(
    IHostApplicationLifetime lifetime,
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

    // Synchronous: the host stops Kestrel only after the ApplicationStopping callbacks have returned.
    private void Drain()
    {
        var settings = options.Value;
        Log.Draining(logger, settings.DrainDelay.TotalSeconds, settings.GracePeriod.TotalSeconds);
        if (settings.DrainDelay > TimeSpan.Zero)
        {
            Task.Delay(settings.DrainDelay, time).Wait();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Shutting down: /health/ready answers 503; accepting requests for {DrainSeconds} s more, then in-flight requests get {GraceSeconds} s")]
        public static partial void Draining(ILogger logger, double drainSeconds, double graceSeconds);
    }
}
