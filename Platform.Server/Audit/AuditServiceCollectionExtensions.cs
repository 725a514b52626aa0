using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Hosting;
using Platform.Server.Storage;

namespace Platform.Server.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>The audit log (<see cref="IAuditLog"/>), its <c>Baas:Audit</c> options, the <c>_audit</c> collection and the retention cleanup.</summary>
    public static IServiceCollection AddBaasAudit(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAuditLog, AuditLog>();
        services.AddStartupTask<AuditInitializer>();
        services.AddSingleton<AuditCleanup>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditCleanup>());
        return services;
    }
}

/// <summary>Creates <c>_audit</c> and its indexes.</summary>
internal sealed class AuditInitializer(IDocumentStore store) : IStartupTask
{
    public int Order => StartupTaskOrder.AfterStore;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await store.CreateCollectionAsync(AuditLog.Collection, cancellationToken);
        await store.ApplyIndexesAsync(
            AuditLog.Collection,
            [
                new IndexDefinition([new SortField(AuditLog.AtField, Descending: true), new SortField(SystemFields.Id, Descending: true)]),
                new IndexDefinition([new SortField("actor"), new SortField(AuditLog.AtField, Descending: true)]),
                new IndexDefinition([new SortField("target"), new SortField(AuditLog.AtField, Descending: true)]),
            ],
            cancellationToken);
    }
}
