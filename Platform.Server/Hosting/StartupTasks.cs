using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.Server.Hosting;

/// <summary>
/// Work that must finish before the server accepts requests (open the store, create system
/// collections, load signing keys, seed the first admin). Run in <see cref="Order"/>.
/// </summary>
public interface IStartupTask
{
    /// <summary>Lower runs first: storage 0, collections 100, auth keys 200, admin seeding 300.</summary>
    int Order { get; }

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Runs every <see cref="IStartupTask"/> in <c>StartingAsync</c>, which the host calls before any
/// hosted service starts, Kestrel included: no request can arrive before the store is ready.
/// </summary>
internal sealed class StartupTaskRunner(IEnumerable<IStartupTask> tasks) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        foreach (var task in tasks.OrderBy(t => t.Order))
        {
            await task.RunAsync(cancellationToken);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class StartupTaskServiceCollectionExtensions
{
    /// <summary>Adds a start-up task (and the runner, once).</summary>
    public static IServiceCollection AddStartupTask<T>(this IServiceCollection services)
        where T : class, IStartupTask
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StartupTaskRunner>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupTask, T>());
        return services;
    }
}
