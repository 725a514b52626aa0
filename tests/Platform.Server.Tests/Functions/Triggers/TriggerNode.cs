using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Server.Functions;
using Platform.Server.Functions.Triggers;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>
/// One server node's after-trigger consumer, wired as the server wires it (<c>AddFunctionAfterTriggers</c>), over a given
/// store, catalog, executor and clock. Disposing stops it gracefully (the lease is released).
/// </summary>
internal sealed class TriggerNode : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private bool _stopped;

    private TriggerNode(ServiceProvider provider, AfterTriggerService service, CollectingLoggerProvider logs)
    {
        _provider = provider;
        Service = service;
        Logs = logs;
    }

    /// <summary>What the node logged (information and above).</summary>
    public CollectingLoggerProvider Logs { get; }

    public AfterTriggerService Service { get; }

    public FunctionLeases Leases => _provider.GetRequiredService<FunctionLeases>();

    public FunctionCheckpoints Checkpoints => _provider.GetRequiredService<FunctionCheckpoints>();

    public static async Task<TriggerNode> StartAsync(
        IDocumentStore store,
        IChangeFeed feed,
        IFunctionCatalog catalog,
        IFunctionExecutor executor,
        TimeProvider clock,
        Action<FunctionOptions>? functions = null,
        Action<AfterTriggerOptions>? triggers = null)
    {
        var services = new ServiceCollection();
        var logs = new CollectingLoggerProvider();
        services.AddLogging(logging => logging.AddProvider(logs));
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton(store);
        services.AddSingleton(feed);

        // The store's holds when it has them (SQLite), as the server registers them; else holds that only record.
        services.AddSingleton(feed as IChangeFeedRetention ?? store as IChangeFeedRetention ?? new RecordedChangeFeedHolds());
        services.AddSingleton(clock);
        services.AddSingleton(catalog);
        services.AddSingleton(executor);
        services.AddOptions<FunctionOptions>().Configure(o => functions?.Invoke(o));
        services.AddFunctionAfterTriggers();
        services.Configure<AfterTriggerOptions>(o => triggers?.Invoke(o));
        var provider = services.BuildServiceProvider();
        var service = provider.GetServices<IHostedService>().OfType<AfterTriggerService>().Single();
        await service.StartAsync(TestContext.Current.CancellationToken);
        return new TriggerNode(provider, service, logs);
    }

    /// <summary>Graceful stop: consumers end, leases are released.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await Service.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _provider.DisposeAsync();
    }
}
