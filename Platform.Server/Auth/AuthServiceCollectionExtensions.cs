using Microsoft.Extensions.Caching.Memory;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Hosting;

namespace Platform.Server.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// Authentication (Bearer JWTs and <c>X-Api-Key</c> service keys behind one default policy scheme, which hands a
    /// realtime ticket on <c>/realtime</c> to the <see cref="BaasAuthSchemes.RealtimeTicket"/> scheme that <c>AddBaasRealtime</c> adds),
    /// the <see cref="BaasPolicies"/>, the token and service-key services, and the start-up task that
    /// loads the signing key. Needs an <see cref="Storage.IDocumentStore"/>.
    /// </summary>
    public static IServiceCollection AddBaasAuth(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.Section))
            .ValidateWith(new AuthOptionsValidator())
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMemoryCache();

        // Bounded (AuthOptions.CacheEntries): each of the server's entries counts 1 (AuthCache.Entry).
        services.AddOptions<MemoryCacheOptions>().Configure<IOptions<AuthOptions>>((cache, auth) => cache.SizeLimit = auth.Value.CacheEntries);
        services.AddProblemDetails();
        services.TryAddSingleton<SigningKeyProvider>();
        services.TryAddSingleton<BaasTokenService>();
        services.TryAddSingleton<CachingJsonWebTokenHandler>();
        services.TryAddSingleton<ApiKeyService>();
        services.TryAddSingleton<CallerSessions>();
        services.TryAddSingleton<SessionEndings>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICallerSessionCheck, ServiceKeySessionCheck>());
        services.AddStartupTask<SigningKeyInitializer>();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<JwtBearerOptions>, ConfigureJwtBearerOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<JwtBearerOptions>, SessionCheckJwtBearerOptions>());
        services.AddAuthentication(BaasAuthSchemes.Default)
            .AddPolicyScheme(BaasAuthSchemes.Default, "Bearer token or service key", options =>
                options.ForwardDefaultSelector = context =>
                    context.Request.Headers.ContainsKey(BaasAuthSchemes.ApiKeyHeader)
                    || (BaasAuthSchemes.AcceptsQueryCredentials(context.Request) && context.Request.Query.ContainsKey(BaasAuthSchemes.ApiKeyQueryParameter))
                    || BaasAuthSchemes.BearerServiceKey(context.Request) is not null
                        ? BaasAuthSchemes.ApiKey
                        : BaasAuthSchemes.RealtimeTicketOf(context.Request) is not null
                            ? BaasAuthSchemes.RealtimeTicket
                            : BaasAuthSchemes.Bearer)
            .AddJwtBearer(BaasAuthSchemes.Bearer, _ => { })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(BaasAuthSchemes.ApiKey, _ => { });

        services.AddAuthorizationBuilder()
            .AddPolicy(BaasPolicies.Admin, policy => policy.RequireAuthenticatedUser().RequireRole(BaasRoles.Admin))
            .AddPolicy(BaasPolicies.AdminOrService, policy => policy.RequireAuthenticatedUser().RequireRole(BaasRoles.Admin, BaasRoles.Service))
            .AddPolicy(BaasPolicies.AnyCaller, policy => policy.AddRequirements(new ValidCredentialsRequirement()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, ValidCredentialsHandler>());
        return services;
    }
}
