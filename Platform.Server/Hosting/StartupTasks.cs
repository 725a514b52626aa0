using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.Server.Hosting;

/// <summary>
/// Work that must finish before the server accepts requests (open the store, create system
/// collections, load signing keys, seed the first admin). Run in <see cref="Order"/>.
/// </summary>
public interface IStartupTask
{
    /// <summary>
    /// Tasks of one order run concurrently, each order once every lower one has finished: the store opens first
    /// (<see cref="StartupTaskOrder.Store"/>), then everything that needs only the store together
    /// (<see cref="StartupTaskOrder.AfterStore"/>). A task that needs another's result takes a higher order.
    /// </summary>
    int Order { get; }

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>The orders of the start-up tasks (<see cref="IStartupTask.Order"/>).</summary>
public static class StartupTaskOrder
{
    /// <summary>Opening the store, which every other task writes to.</summary>
    public const int Store = 0;

    /// <summary>
    /// The system collections and their indexes, the signing key, the key ring's check and the first admin: each
    /// needs the store and nothing else, so they run together (the admin's deliberately slow password hash beside the
    /// others' writes, on another core).
    /// </summary>
    public const int AfterStore = 100;
}

/// <summary>
/// Runs every <see cref="IStartupTask"/> in <c>StartingAsync</c>, which the host calls before any
/// hosted service starts, Kestrel included: no request can arrive before the store is ready.
/// </summary>
/// <remarks>
/// Each task's duration is logged at Debug (<c>Logging:LogLevel:Platform.Server.Hosting=Debug</c>), the whole at
/// Information: what stands between process start and the first 200 on <c>/health/ready</c> (docs/deployment.md).
/// </remarks>
internal sealed partial class StartupTaskRunner(IEnumerable<IStartupTask> tasks, TimeProvider time, ILogger<StartupTaskRunner> logger) : IHostedLifecycleService
{
    private readonly Lock _gate = new();
    private Task? _run;

    /// <summary>
    /// Runs the tasks once: the first call runs them, later ones (<see cref="StartingAsync"/> after
    /// <see cref="StartupTaskExtensions.RunBaasStartupTasksAsync"/>) wait for that run.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _run ??= RunAllAsync(cancellationToken);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => RunAsync(cancellationToken);

    private async Task RunAllAsync(CancellationToken cancellationToken)
    {
        var all = time.GetTimestamp();
        foreach (var group in tasks.GroupBy(t => t.Order).OrderBy(g => g.Key))
        {
            // Task.Run: a task's synchronous part (the admin's password hash) must not hold up the start of the others.
            await Task.WhenAll(group.Select(task => Task.Run(() => RunOneAsync(task, cancellationToken), cancellationToken)));
        }

        var total = time.GetElapsedTime(all).TotalMilliseconds;
        Log.TasksRan(logger, total);
    }

    private async Task RunOneAsync(IStartupTask task, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        await task.RunAsync(cancellationToken);
        var took = time.GetElapsedTime(started).TotalMilliseconds;
        var name = task.GetType().Name;
        Log.TaskRan(logger, name, took);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1020, Level = LogLevel.Debug, Message = "Start-up task {Task} took {Milliseconds:F1} ms")]
        public static partial void TaskRan(ILogger logger, string task, double milliseconds);

        [LoggerMessage(EventId = 1021, Level = LogLevel.Information, Message = "Start-up tasks took {Milliseconds:F1} ms")]
        public static partial void TasksRan(ILogger logger, double milliseconds);
    }
}

public static class StartupTaskServiceCollectionExtensions
{
    /// <summary>Adds a start-up task (and the runner, once).</summary>
    public static IServiceCollection AddStartupTask<T>(this IServiceCollection services)
        where T : class, IStartupTask
    {
        services.TryAddSingleton<StartupTaskRunner>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StartupTaskRunner>(sp => sp.GetRequiredService<StartupTaskRunner>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupTask, T>());
        return services;
    }
}

public static class StartupTaskExtensions
{
    /// <summary>
    /// Runs the start-up tasks before the host starts, so that one that fails (a store that cannot be opened) reaches
    /// the caller alone: thrown from the host's start, it is also logged by the host as "Hosting failed to start" with
    /// its stack trace, beside the one line <c>Program</c> writes for it. The host's start then finds them done.
    /// </summary>
    public static Task RunBaasStartupTasksAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Services.GetService<StartupTaskRunner>()?.RunAsync(cancellationToken) ?? Task.CompletedTask;
    }
}
