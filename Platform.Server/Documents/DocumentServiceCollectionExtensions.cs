using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Documents;

public static class DocumentServiceCollectionExtensions
{
    public static IServiceCollection AddBaasDocuments(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<DocumentLimits>().BindConfiguration(DocumentLimits.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BatchOptions>().BindConfiguration(BatchOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FilterLimits>().BindConfiguration(FilterLimits.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DocumentValidator>();
        services.AddSingleton<DocumentIdGenerator>();
        services.AddSingleton<DocumentRules>();
        services.AddSingleton<DocumentService>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<QueryLimiter>();
        services.AddSingleton<DocumentQueryService>();
        return services;
    }
}
