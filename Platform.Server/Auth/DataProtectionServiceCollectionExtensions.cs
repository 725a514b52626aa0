using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;

namespace Platform.Server.Auth;

public static class DataProtectionServiceCollectionExtensions
{
    /// <summary>
    /// ASP.NET Core Data Protection with the key ring where <see cref="DataProtectionKeyOptions"/> says: in the store,
    /// encrypted, when <c>Baas:DataProtection:Key</c> is set; else in <c>&lt;dataDir&gt;/keys</c>.
    /// </summary>
    public static IServiceCollection AddBaasDataProtection(this IServiceCollection services, IConfiguration configuration, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        services.AddOptions<DataProtectionKeyOptions>()
            .BindConfiguration(DataProtectionKeyOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var dataProtection = services.AddDataProtection().SetApplicationName("Baas");
        if (string.IsNullOrWhiteSpace(configuration[$"{DataProtectionKeyOptions.Section}:{nameof(DataProtectionKeyOptions.Key)}"]))
        {
            // Keys live with the data, not in the user profile, so a restart or a move of the data dir keeps them.
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StoreXmlRepository>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(options => options.XmlRepository = sp.GetRequiredService<StoreXmlRepository>()));
        services.AddStartupTask<StoreXmlRepositoryInitializer>();
        return services;
    }
}
