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
        services.AddSingleton<FunctionRunStore>();
        services.AddSingleton<FunctionExecutor>();
        services.AddSingleton<IFunctionExecutor>(sp => sp.GetRequiredService<FunctionExecutor>());
        services.AddSingleton<FunctionRunRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<FunctionRunRetention>());
        services.AddStartupTask<FunctionCollectionsInitializer>();
        return services;
    }
}
