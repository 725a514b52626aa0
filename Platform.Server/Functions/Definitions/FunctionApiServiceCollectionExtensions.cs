using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Functions.Runs;
using Platform.Server.Hosting;

namespace Platform.Server.Functions.Definitions;

/// <summary>Wires the definitions-and-runs part: catalog, secrets, admin writes, executor, run records and their retention.</summary>
public static class FunctionApiServiceCollectionExtensions
{
    public static IServiceCollection AddFunctionApi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<FunctionCatalog>();
        services.AddSingleton<IFunctionCatalog>(sp => sp.GetRequiredService<FunctionCatalog>());
        services.AddSingleton<FunctionSecretStore>();
        services.AddSingleton<IFunctionSecrets>(sp => sp.GetRequiredService<FunctionSecretStore>());
        services.AddSingleton<FunctionAdminService>();
        // The store's own run storage when it has one (SQLite, AddBaasStorage); else the _function_runs collection.
        services.TryAddSingleton<IFunctionRunStorage, DocumentFunctionRunStorage>();
        services.AddSingleton<FunctionRunWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<FunctionRunWriter>());
        services.AddSingleton<FunctionRunStore>();
        // A factory, so that a host without a runtime (the runtime is its own part) still builds and validates;
        // only running a function needs one.
        services.AddSingleton(sp => new FunctionExecutor(
            sp.GetRequiredService<IFunctionRuntime>(),
            sp.GetRequiredService<IFunctionSecrets>(),
            sp.GetRequiredService<IFunctionCatalog>(),
            sp.GetRequiredService<FunctionRunStore>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<FunctionOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<FunctionExecutor>>()));
        services.AddSingleton<IFunctionExecutor>(sp => sp.GetRequiredService<FunctionExecutor>());
        services.AddSingleton<FunctionRunRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<FunctionRunRetention>());
        services.AddStartupTask<FunctionCollectionsInitializer>();
        return services;
    }
}
