using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Functions.Runs;
using Platform.Server.Hosting;

namespace Platform.Server.Functions.Triggers;

public static class AfterTriggerServiceCollectionExtensions
{
    /// <summary>
    /// <c>after</c> triggers: the per-node consumer of the change feed (a hosted service), its leases and checkpoints in the
    /// store, and <c>Baas:Functions:AfterTriggers</c>.
    /// </summary>
    public static IServiceCollection AddFunctionAfterTriggers(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<AfterTriggerOptions>().BindConfiguration(AfterTriggerOptions.Section).ValidateWith(new AfterTriggerOptionsValidator()).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FunctionLeases>();
        services.TryAddSingleton<FunctionCheckpoints>();
        // The store's own run storage when it has one (SQLite, AddBaasStorage); else the _function_runs collection.
        services.TryAddSingleton<IFunctionRunStorage, DocumentFunctionRunStorage>();
        services.TryAddSingleton<TriggerRunRecorder>();
        services.AddHostedService<AfterTriggerService>();
        return services;
    }
}
