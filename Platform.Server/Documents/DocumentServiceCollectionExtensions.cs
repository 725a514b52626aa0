using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Hosting;
using Platform.Server.Storage.Filters;

namespace Platform.Server.Documents;

public static class DocumentServiceCollectionExtensions
{
    public static IServiceCollection AddBaasDocuments(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<DocumentLimits>().BindConfiguration(DocumentLimits.Section).ValidateWith(new DocumentLimitsValidator()).ValidateOnStart();
        services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.Section).ValidateWith(new QueryOptionsValidator()).ValidateOnStart();
        services.AddOptions<BatchOptions>().BindConfiguration(BatchOptions.Section).ValidateWith(new BatchOptionsValidator()).ValidateOnStart();
        services.AddOptions<FilterLimits>().BindConfiguration(FilterLimits.Section).ValidateWith(new FilterLimitsValidator()).ValidateOnStart();
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
