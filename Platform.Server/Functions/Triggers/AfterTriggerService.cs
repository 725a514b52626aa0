using Microsoft.Extensions.Options;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Functions.Triggers;

/// <summary>
/// The node's consumer of <c>after</c> triggers (DESIGN.md section 9): keeps one <see cref="AfterTriggerConsumer"/> per
/// enabled function with an <c>after</c> trigger, following <see cref="IFunctionCatalog"/> (polled every
/// <see cref="FunctionOptions.DefinitionCacheTime"/>, at once on its <see cref="IFunctionCatalog.Changed"/> event). Each
/// consumer competes for its function's lease, so every node runs this service and exactly one consumes a function.
/// </summary>
public sealed class AfterTriggerService : BackgroundService
{
    private static readonly TimeSpan MinimumPollInterval = TimeSpan.FromSeconds(1);

    private readonly IServiceProvider _services;
    private readonly IChangeFeed _feed;
    private readonly FunctionLeases _leases;
    private readonly FunctionCheckpoints _checkpoints;
    private readonly TriggerRunRecorder _recorder;
    private readonly IOptions<FunctionOptions> _options;
    private readonly IOptions<AfterTriggerOptions> _triggerOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<AfterTriggerService> _logger;
    private readonly Dictionary<string, AfterTriggerConsumer> _consumers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changed = new(0);

    public AfterTriggerService(
        IServiceProvider services,
        IChangeFeed feed,
        FunctionLeases leases,
        FunctionCheckpoints checkpoints,
        TriggerRunRecorder recorder,
        IOptions<FunctionOptions> options,
        IOptions<AfterTriggerOptions> triggerOptions,
        TimeProvider time,
        ILogger<AfterTriggerService> logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
        _feed = feed;
        _leases = leases;
        _checkpoints = checkpoints;
        _recorder = recorder;
        _options = options;
        _triggerOptions = triggerOptions;
        _time = time;
        _logger = logger;
    }

    /// <summary>This node's name in leases: host, process and a random part, so two services in one process differ too.</summary>
    public string NodeId { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Resolved here, not injected: the parts that provide them may be absent from a build, and the server must start anyway.
        var catalog = _services.GetService<IFunctionCatalog>();
        var executor = _services.GetService<IFunctionExecutor>();
        if (catalog is null || executor is null)
        {
            AfterTriggerLog.Unavailable(_logger);
            return;
        }

        void OnChanged(string name)
        {
            if (_changed.CurrentCount == 0)
            {
                _changed.Release();
            }
        }

        catalog.Changed += OnChanged;
        var interval = _options.Value.DefinitionCacheTime > MinimumPollInterval ? _options.Value.DefinitionCacheTime : MinimumPollInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = interval;
                try
                {
                    await ReconcileAsync(executor, await catalog.ListAsync(stoppingToken), stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Keep the consumers as they are: a failed read says nothing about which functions exist.
                    wait = _options.Value.RetryDelay;
                    AfterTriggerLog.CatalogFailed(_logger, ex, wait);
                }

                using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                try
                {
                    await Task.WhenAny(_changed.WaitAsync(timer.Token), Task.Delay(wait, _time, timer.Token));
                }
                finally
                {
                    await timer.CancelAsync();
                }
            }
        }
        finally
        {
            catalog.Changed -= OnChanged;
            await Task.WhenAll(_consumers.Values.Select(c => c.StopAsync(forget: false)));
            foreach (var consumer in _consumers.Values)
            {
                consumer.Dispose();
            }

            _consumers.Clear();
        }
    }

    private async Task ReconcileAsync(IFunctionExecutor executor, IReadOnlyList<FunctionDefinition> functions, CancellationToken cancellationToken)
    {
        var wanted = functions.Where(AfterTriggerEvents.Consumes).ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var (name, consumer) in _consumers.Where(c => !wanted.ContainsKey(c.Key)).ToList())
        {
            _consumers.Remove(name);
            await consumer.StopAsync(forget: true);
            consumer.Dispose();
        }

        await _checkpoints.ReleaseHoldsExceptAsync(wanted.Keys.ToHashSet(StringComparer.Ordinal), cancellationToken);

        foreach (var (name, definition) in wanted)
        {
            if (_consumers.TryGetValue(name, out var consumer))
            {
                consumer.Definition = definition;
                continue;
            }

            consumer = new AfterTriggerConsumer(
                definition, NodeId, _feed, executor, _leases, _checkpoints, _recorder, _options, _triggerOptions, _time, _logger);
            _consumers[name] = consumer;
            consumer.Start();
        }
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }
}
