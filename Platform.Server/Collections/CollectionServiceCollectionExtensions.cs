using Platform.Server.Hosting;

namespace Platform.Server.Collections;

public static class CollectionServiceCollectionExtensions
{
    public static IServiceCollection AddBaasCollections(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<CollectionOptions>().BindConfiguration(CollectionOptions.Section).ValidateWith(new CollectionOptionsValidator()).ValidateOnStart();
        services.AddSingleton<CollectionRegistry>();
        services.AddStartupTask<CollectionsInitializer>();
        return services;
    }
}
