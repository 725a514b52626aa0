using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Server.Documents;
using Platform.Server.Hosting;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Mongo;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the configured <see cref="IDocumentStore"/> (<c>Baas:Storage:Provider</c>) and its
    /// <see cref="IChangeFeed"/> with its <see cref="IChangeFeedRetention"/> (holds), all singletons. The store is wrapped
    /// in <see cref="InstrumentedDocumentStore"/> (metrics and spans of every call). On SQLite, function run records are
    /// kept in a table of their own (<see cref="SqliteFunctionRunStorage"/>).
    /// </summary>
    public static IServiceCollection AddBaasStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.Section)
            .ValidateWith(new StorageOptionsValidator())
            .ValidateOnStart();
        services.AddOptions<ChangeFeedOptions>()
            .BindConfiguration(ChangeFeedOptions.Section)
            .ValidateWith(new ChangeFeedOptionsValidator())
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<StorageMetrics>();

        switch (ConfiguredProvider(configuration))
        {
            case StorageProvider.Mongo:
                services.TryAddSingleton<MongoDocumentStore>();
                services.TryAddSingleton<IDocumentStore>(sp => new InstrumentedDocumentStore(sp.GetRequiredService<MongoDocumentStore>(), sp.GetRequiredService<StorageMetrics>(), "mongodb"));
                services.TryAddSingleton<IChangeFeed, MongoChangeFeed>();
                services.TryAddSingleton<IChangeFeedRetention, RecordedChangeFeedHolds>();
                services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DocumentLimits>, MongoDocumentLimitsValidation>());
                break;
            default:
                // One instance is both: the store writes the change log inside its own transactions.
                services.TryAddSingleton<SqliteDocumentStore>();
                services.TryAddSingleton<IDocumentStore>(sp => new InstrumentedDocumentStore(sp.GetRequiredService<SqliteDocumentStore>(), sp.GetRequiredService<StorageMetrics>(), "sqlite"));
                services.TryAddSingleton<IChangeFeed>(sp => sp.GetRequiredService<SqliteDocumentStore>());
                services.TryAddSingleton<IChangeFeedRetention>(sp => sp.GetRequiredService<SqliteDocumentStore>());

                // Run records in a table of their own (the functions' default is the _function_runs collection).
                services.TryAddSingleton<Functions.Runs.IFunctionRunStorage>(sp => new SqliteFunctionRunStorage(sp.GetRequiredService<SqliteDocumentStore>()));
                break;
        }

        services.AddStartupTask<StoreInitializer>();
        if (ConfiguredProvider(configuration) == StorageProvider.Mongo)
        {
            // After the start-up tasks (the store is initialized): every node follows the collection drops and creations
            // of the others, for pre-images (issue 12).
            services.AddHostedService<MongoCollectionWatcher>();
        }

        return services;
    }

    /// <summary>
    /// The provider that <c>Baas:Storage:Provider</c> names, read while services are registered (before options exist).
    /// A value that is no provider reads as the default here, so that registration goes on and the start-up check
    /// reports it as one line naming the key (<see cref="StorageOptions"/> fails to bind) instead of a stack trace.
    /// </summary>
    public static StorageProvider ConfiguredProvider(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Enum.TryParse<StorageProvider>(configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.Provider)}"], ignoreCase: true, out var provider)
            && Enum.IsDefined(provider)
            ? provider
            : StorageProvider.Sqlite;
    }
}
