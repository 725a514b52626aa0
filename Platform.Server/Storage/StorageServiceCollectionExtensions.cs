using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Hosting;
using Platform.Server.Storage.Mongo;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers the configured <see cref="IDocumentStore"/> (<c>Baas:Storage:Provider</c>).</summary>
    public static IServiceCollection AddBaasStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var provider = configuration.GetSection(StorageOptions.Section).GetValue<StorageProvider?>(nameof(StorageOptions.Provider))
            ?? StorageProvider.Sqlite;
        switch (provider)
        {
            case StorageProvider.Mongo:
                services.TryAddSingleton<IDocumentStore, MongoDocumentStore>();
                break;
            default:
                services.TryAddSingleton<IDocumentStore, SqliteDocumentStore>();
                break;
        }

        services.AddStartupTask<StoreInitializer>();
        return services;
    }
}
