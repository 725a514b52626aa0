using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Documents;

namespace Platform.Server.Functions.Triggers;

public static class BeforeTriggerServiceCollectionExtensions
{
    /// <summary><c>before</c> triggers: the hook the document write path runs them through (<see cref="BeforeTriggers"/>).</summary>
    public static IServiceCollection AddFunctionBeforeTriggers(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BeforeTriggers>();
        services.TryAddSingleton<IBeforeWriteHook>(sp => sp.GetRequiredService<BeforeTriggers>());
        return services;
    }
}
