using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Auth;
using Platform.Server.Hosting;

namespace Platform.Server.Admin;

public static class AdminServiceCollectionExtensions
{
    /// <summary>
    /// Admin accounts, first-admin setup and seeding (<c>Baas:Admin</c>). Needs <c>AddBaasAuth</c> and an
    /// <see cref="Storage.IDocumentStore"/>.
    /// </summary>
    public static IServiceCollection AddBaasAdmin(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<AdminOptions>()
            .Bind(configuration.GetSection(AdminOptions.Section))
            .ValidateWith(new AdminOptionsValidator())
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPasswordHasher<AdminAccount>, PasswordHasher<AdminAccount>>();
        services.TryAddSingleton<AdminAccountService>();
        services.TryAddSingleton<AdminSessionGuard>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICallerSessionCheck, AdminSessionGuard>(sp => sp.GetRequiredService<AdminSessionGuard>()));
        services.TryAddSingleton<AdminSetup>();
        services.AddStartupTask<AdminSeeder>();
        return services;
    }

    /// <summary>Every admin endpoint: auth and setup, admin accounts, service keys.</summary>
    public static IEndpointRouteBuilder MapBaasAdminEndpoints(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapAdminAuthEndpoints();
        routes.MapAdminAccountEndpoints();
        routes.MapApiKeyEndpoints();
        return routes;
    }
}
