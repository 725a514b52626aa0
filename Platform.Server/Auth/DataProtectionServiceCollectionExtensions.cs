using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;
using Platform.Server.Storage;

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
            .ValidateWith(new DataProtectionKeyOptionsValidator())
            .ValidateOnStart();
        var dataProtection = services.AddDataProtection().SetApplicationName("Baas");
        if (string.IsNullOrWhiteSpace(configuration[$"{DataProtectionKeyOptions.Section}:{nameof(DataProtectionKeyOptions.Key)}"]))
        {
            // Keys live with the data, not in the user profile, so a restart or a move of the data dir keeps them.
            var keysDir = Path.Combine(dataDir, "keys");
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keysDir));
            if (StorageServiceCollectionExtensions.ConfiguredProvider(configuration) == StorageProvider.Mongo)
            {
                // MongoDB is how several nodes share one store: say at start-up that these keys are not shared.
                services.AddSingleton(sp => new FileKeysWarning(keysDir, sp.GetRequiredService<ILogger<FileKeysWarning>>()));
                services.AddStartupTask<FileKeysWarningTask>();
            }

            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StoreXmlRepository>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(options => options.XmlRepository = sp.GetRequiredService<StoreXmlRepository>()));
        services.AddStartupTask<StoreXmlRepositoryInitializer>();
        return services;
    }

    /// <summary>The full name of the hosted service that <c>AddDataProtection</c> registers to read the key ring at start.</summary>
    internal const string KeyRingPreloadService = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    /// <summary>
    /// Removes Data Protection's preload of the key ring at start-up. Only function secrets and the jobs dashboard's
    /// sessions protect anything, and reading or creating the key ring's XML ran System.Private.Xml's and
    /// System.Private.Xml.Linq's code in every node before the first 200 (2.4 MiB resident, 1.1 MiB of it code and data;
    /// bench/README.md, "h/mem6"). Without it the key ring is read, or its first key created, at the first protect or
    /// unprotect. Nothing else changes: the preload never stopped a start (a key ring that failed to load was logged and
    /// read again at first use), and the store's key ring with <c>Baas:DataProtection:Key</c> is still checked at start by
    /// <see cref="StoreXmlRepositoryInitializer"/>. Called last in the composition root: <c>AddAuthentication</c> and every
    /// other caller of <c>AddDataProtection</c> registers the preload again.
    /// </summary>
    internal static IServiceCollection RemoveDataProtectionKeyRingPreload(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IHostedService)
                && services[i].ImplementationType?.FullName == KeyRingPreloadService)
            {
                services.RemoveAt(i);
            }
        }

        return services;
    }
}

/// <summary>The warning that Data Protection keys are per node while the store is shared (MongoDB without <c>Baas:DataProtection:Key</c>).</summary>
internal sealed class FileKeysWarning(string keysDir, ILogger<FileKeysWarning> logger)
{
    public void Log() => AuthLog.DataProtectionKeysPerNode(logger, keysDir);
}

internal sealed class FileKeysWarningTask(FileKeysWarning warning) : IStartupTask
{
    public int Order => StartupTaskOrder.AfterStore;

    public Task RunAsync(CancellationToken cancellationToken)
    {
        warning.Log();
        return Task.CompletedTask;
    }
}
