using Platform.Server.Hosting;

namespace Platform.Server.AdminTools;

public static class AdminToolsServiceCollectionExtensions
{
    /// <summary>The dashboard's data tools (schema check, rules simulator, bulk, import, export) and their <c>Baas:AdminTools</c> limits.</summary>
    public static IServiceCollection AddBaasAdminTools(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<AdminToolsOptions>().BindConfiguration(AdminToolsOptions.Section).ValidateWith(new AdminToolsOptionsValidator()).ValidateOnStart();
        services.AddSingleton<CollectionTools>();
        services.AddSingleton<BulkService>();
        services.AddSingleton<ImportService>();
        services.AddSingleton<ExportService>();
        return services;
    }
}
