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
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateWith(new AuditOptionsValidator()).ValidateOnStart();
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
    /// <summary>
    /// The audit list reads newest first with <c>_id</c> as the tiebreak, descending too (<c>AuditEndpoints</c>), all of
    /// it or by actor or target; cleanup reads the oldest first (the same indexes backwards). Each index ends with that
    /// <c>_id</c>, so a page is an index walk without an in-memory sort on every provider.
    /// </summary>
    internal static readonly IndexDefinition[] Indexes =
    [
        new([new SortField(AuditLog.AtField, Descending: true), new SortField(SystemFields.Id, Descending: true)]),
        new([new SortField("actor"), new SortField(AuditLog.AtField, Descending: true), new SortField(SystemFields.Id, Descending: true)]),
        new([new SortField("target"), new SortField(AuditLog.AtField, Descending: true), new SortField(SystemFields.Id, Descending: true)]),
    ];

    public int Order => StartupTaskOrder.AfterStore;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await store.CreateCollectionAsync(AuditLog.Collection, cancellationToken);
        await store.ApplyIndexesAsync(AuditLog.Collection, Indexes, cancellationToken);
    }
}
