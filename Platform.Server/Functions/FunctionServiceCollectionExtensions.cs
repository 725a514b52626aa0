using Platform.Server.Functions.Definitions;
using Platform.Server.Functions.Runtime;
using Platform.Server.Functions.Schedules;
using Platform.Server.Functions.Triggers;
using Platform.Server.Hosting;

namespace Platform.Server.Functions;

/// <summary>Wires functions: options here; each part (runtime, definitions and runs, triggers, schedules) adds itself below.</summary>
public static class FunctionServiceCollectionExtensions
{
    public static IServiceCollection AddBaasFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<FunctionOptions>().BindConfiguration(FunctionOptions.Section).ValidateWith(new FunctionOptionsValidator()).ValidateOnStart();
        services.AddFunctionApi();
        services.AddFunctionRuntime();
        services.AddFunctionAfterTriggers();
        services.AddFunctionBeforeTriggers();
        services.AddFunctionSchedules(configuration);
        return services;
    }
}
