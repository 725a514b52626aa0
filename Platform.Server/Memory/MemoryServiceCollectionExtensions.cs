using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Hosting;

namespace Platform.Server.Memory;

/// <summary>Wiring of the idle memory trim (<see cref="MemoryOptions"/>).</summary>
internal static class MemoryServiceCollectionExtensions
{
    public static IServiceCollection AddBaasMemory(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<MemoryOptions>().BindConfiguration(MemoryOptions.Section).ValidateWith(new MemoryOptionsValidator()).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RequestActivity>();
        services.TryAddSingleton<IMemoryTrimmer, ProcessMemoryTrimmer>();
        services.AddHostedService<IdleMemoryTrimmer>();
        return services;
    }
}
