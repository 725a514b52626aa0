using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.Server.Functions.Runtime;

public static class FunctionRuntimeServiceCollectionExtensions
{
    /// <summary>The Jint sandbox (<see cref="IFunctionRuntime"/>), its metrics and <c>ctx.fetch</c>'s guarded HTTP client.</summary>
    public static IServiceCollection AddFunctionRuntime(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFetchHostResolver, DnsFetchHostResolver>();
        services.TryAddSingleton<FetchAddressGuard>();
        services.TryAddSingleton<IFunctionDocuments, DocumentServiceFunctionDocuments>();
        services.TryAddSingleton<FunctionFetch>();
        services.TryAddSingleton<FunctionRuntimeMetrics>();
        services.TryAddSingleton<JintFunctionRuntime>();
        // Jint is created at the first check or run (DeferredFunctionRuntime), not with the services that hold the runtime.
        services.TryAddSingleton<IFunctionRuntime>(sp => new DeferredFunctionRuntime(sp));
        services.AddHttpClient(FunctionFetch.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // Redirects are followed by FunctionFetch, hop by hop, each checked against the allowlist and the guard.
                AllowAutoRedirect = false,

                // A proxy would dial on the function's behalf, past the guard.
                UseProxy = false,
                UseCookies = false,
                AutomaticDecompression = System.Net.DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectCallback = sp.GetRequiredService<FetchAddressGuard>().ConnectAsync,
            })

            // The default handler logs request URLs, which often carry the secrets of ctx.env.
            .RemoveAllLoggers();
        return services;
    }
}
