using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Sdk;

namespace Platform.Admin.Services;

public static class DashboardServiceCollectionExtensions
{
    /// <summary>
    /// The dashboard's services: one SDK client for this tab (with the session-expiry handler under it), the
    /// session, and one service per page. Pages inject these, never an <see cref="HttpClient"/>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="serverUrl">The Baas server, e.g. <c>http://localhost:8090/</c>.</param>
    /// <param name="transport">The handler that sends requests (the browser's fetch by default; tests pass a stub).</param>
    public static IServiceCollection AddBaasDashboard(this IServiceCollection services, Uri serverUrl, HttpMessageHandler? transport = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serverUrl);
        services.TryAddSingleton<DashboardSession>();
        services.TryAddSingleton(sp => new BaasClient(new BaasClientOptions
        {
            BaseUrl = serverUrl,
            HttpMessageHandler = new SessionExpiryHandler(sp.GetRequiredService<DashboardSession>())
            {
                InnerHandler = transport ?? new HttpClientHandler(),
            },
        }));
        services.TryAddSingleton<AdminAuth>();
        services.TryAddScoped<ThemeService>();

        services.TryAddSingleton<CollectionCounter>();

        // One service per page; add yours here.
        services.TryAddSingleton<OverviewService>();
        services.TryAddSingleton<AdminAccountsService>();
        services.TryAddSingleton<OutboxService>();
        services.TryAddSingleton<CollectionsService>();
        services.TryAddSingleton<DocumentsService>();
        services.TryAddSingleton<FunctionsService>();
        services.TryAddSingleton<UsersService>();
        services.TryAddSingleton<ApiKeysService>();
        services.TryAddSingleton<SettingsService>();
        services.TryAddSingleton<AuditService>();
        services.TryAddSingleton<RealtimeService>();
        return services;
    }

    /// <summary>
    /// The server the dashboard talks to: the one that serves it. The app lives at <c>{server}/admin/</c>, so the
    /// server is the base address without its trailing <c>admin/</c> (a path prefix in front of it is kept).
    /// </summary>
    public static Uri ServerUrlFromBaseAddress(string baseAddress)
    {
        var uri = new Uri(baseAddress, UriKind.Absolute);
        var path = uri.AbsolutePath;
        if (path.EndsWith("/admin/", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^"admin/".Length];
        }

        return new UriBuilder(uri) { Path = path, Query = string.Empty, Fragment = string.Empty }.Uri;
    }
}
