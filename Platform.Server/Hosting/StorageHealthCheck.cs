using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Server.Storage;

namespace Platform.Server.Hosting;

/// <summary><c>/health/ready</c>: the store answers.</summary>
internal sealed class StorageHealthCheck(IDocumentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await store.PingAsync(cancellationToken)
                ? HealthCheckResult.Healthy("Storage answers.")
                : HealthCheckResult.Unhealthy("Storage does not answer.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("Storage check failed.", ex);
        }
    }
}
