using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;

namespace Platform.Server.Functions.Schedules;

public static class ScheduleServiceCollectionExtensions
{
    /// <summary>
    /// Scheduled functions (DESIGN.md section 9): Hangfire with this server's own <see cref="JobStorage"/>
    /// (<see cref="ScheduleJobStorage"/>), the recurring-job synchronizer, the job, a Hangfire server when
    /// <see cref="ScheduleOptions.Enabled"/> (started on demand by <see cref="ScheduleHangfire"/>), the jobs dashboard's
    /// sessions, and <c>Baas:Functions:Schedules</c>.
    /// </summary>
    public static IServiceCollection AddFunctionSchedules(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.Section).ValidateWith(new ScheduleOptionsValidator()).ValidateOnStart();
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

        // Hangfire's server is not a hosted service of its own: ScheduleHangfire starts it at the first scheduled
        // function (issue 13, item 5: a node without schedules neither loads nor polls it). Its processes are these.
        services.TryAddSingleton(ScheduleHangfire.Create);

        // One more process in that server (it adds every IBackgroundProcess registered): due runs are enqueued at their
        // due time, not at the next poll.
        services.AddSingleton<IBackgroundProcess>(sp => new DueTimeScheduler(
            sp.GetService<IBackgroundJobFactory>() ?? new BackgroundJobFactory(sp.GetService<IJobFilterProvider>() ?? JobFilterProviders.Providers),
            sp.GetService<ITimeZoneResolver>() ?? new DefaultTimeZoneResolver(),
            sp.GetRequiredService<ScheduleWakeUp>(),
            sp.GetRequiredService<IOptions<ScheduleOptions>>().Value.PollInterval,
            sp.GetRequiredService<TimeProvider>()));

        services.TryAddTransient<ScheduledFunctionJob>();
        services.TryAddSingleton<ScheduleWakeUp>();
        services.TryAddSingleton<ScheduleSynchronizer>();
        // Stopped after the synchronizer (hosted services stop in reverse order): the server stops last.
        services.AddHostedService(sp => sp.GetRequiredService<ScheduleHangfire>());
        services.AddHostedService(sp => sp.GetRequiredService<ScheduleSynchronizer>());
        services.TryAddSingleton<JobsDashboardSessions>();
        return services;
    }
}
