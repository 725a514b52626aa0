using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Platform.Server.Functions.Schedules;

public static class ScheduleServiceCollectionExtensions
{
    /// <summary>
    /// Scheduled functions (DESIGN.md section 9): Hangfire with this server's own <see cref="JobStorage"/>
    /// (<see cref="ScheduleJobStorage"/>), the recurring-job synchronizer, the job, a Hangfire server when
    /// <see cref="ScheduleOptions.Enabled"/>, the jobs dashboard's sessions, and <c>Baas:Functions:Schedules</c>.
    /// </summary>
    public static IServiceCollection AddFunctionSchedules(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        // Registered before AddHangfire, whose TryAdd defaults would otherwise read Hangfire's process-wide statics
        // (JobStorage.Current, JobActivator.Current): every server in a process keeps its own storage and activator.
        services.TryAddSingleton(ScheduleJobStorage.Create);
        services.TryAddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire(configuration => configuration
            // Hangfire keeps these in GlobalConfiguration; every server sets the same constant values.
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            // Hangfire's log provider is process-wide (LogProvider is static). AddHangfire points it at this server's
            // ILoggerFactory, which is disposed with the server: every later Hangfire logger in the process (another
            // server, tests) would then fail with ObjectDisposedException. HangfireLogging lives as long as the process
            // and forwards to the factory of the server each Hangfire server belongs to (Logging:LogLevel applies).
            .UseLogProvider(HangfireLogging.Instance));
        if (configuration.GetSection(ScheduleOptions.Section).GetValue<bool?>(nameof(ScheduleOptions.Enabled)) ?? true)
        {
            services.AddHangfireServer((sp, server) =>
            {
                // Runs in the flow that starts this Hangfire server: its loggers write to this server's logging.
                HangfireLogging.Bind(sp.GetRequiredService<ILoggerFactory>());
                var options = sp.GetRequiredService<IOptions<ScheduleOptions>>().Value;
                server.WorkerCount = options.WorkerCount;
                server.SchedulePollingInterval = options.PollInterval;

                // Host, process and a random part: two servers in one process (tests) are two Hangfire servers too.
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
            });

            // One more process in the Hangfire server above (it adds every IBackgroundProcess registered): due runs are
            // enqueued at their due time, not at the next poll.
            services.AddSingleton<IBackgroundProcess>(sp => new DueTimeScheduler(
                sp.GetService<IBackgroundJobFactory>() ?? new BackgroundJobFactory(sp.GetService<IJobFilterProvider>() ?? JobFilterProviders.Providers),
                sp.GetService<ITimeZoneResolver>() ?? new DefaultTimeZoneResolver(),
                sp.GetRequiredService<ScheduleWakeUp>(),
                sp.GetRequiredService<IOptions<ScheduleOptions>>().Value.PollInterval,
                sp.GetRequiredService<TimeProvider>()));
        }

        services.TryAddTransient<ScheduledFunctionJob>();
        services.TryAddSingleton<ScheduleWakeUp>();
        services.TryAddSingleton<ScheduleSynchronizer>();
        services.AddHostedService(sp => sp.GetRequiredService<ScheduleSynchronizer>());
        services.TryAddSingleton<JobsDashboardSessions>();
        return services;
    }
}
