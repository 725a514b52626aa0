using Hangfire;
using Hangfire.Common;
using Hangfire.Server;
using Microsoft.Extensions.Options;

namespace Platform.Server.Functions.Schedules;

/// <summary>
/// Hangfire on demand (issue 13, item 5): the job storage, the recurring job manager and this node's Hangfire server
/// are created at the first scheduled function (one that exists at start-up, or is created or enabled later, here or on
/// another node: <see cref="ScheduleSynchronizer"/> decides), or for the storage alone at the first request to the jobs
/// dashboard. A node that has never seen a scheduled function neither loads Hangfire nor opens its storage, which is
/// most of what start-up used to spend on it. Once open they stay open until the host stops.
/// </summary>
/// <remarks>
/// Nothing changes for the runs: every node that runs jobs shares one storage, whose locks give each due time exactly one
/// run; a node's server starts with the first schedule it sees and then catches up runs missed while no node was up
/// (Hangfire's relaxed misfire handling, <see cref="ScheduleSynchronizer.JobOptions"/>).
/// </remarks>
public sealed class ScheduleHangfire : IHostedService, IDisposable
{
    private readonly Lazy<JobStorage> _storage;
    private readonly Lazy<IRecurringJobManager> _recurringJobs;
    private readonly Func<JobStorage, BackgroundJobServer>? _createServer;
    private readonly Lock _gate = new();
    private BackgroundJobServer? _server;
    private bool _stopped;

    /// <param name="storage">Creates the job storage (called once, at the first use).</param>
    /// <param name="recurringJobs">Creates the recurring job manager on that storage (called once).</param>
    /// <param name="createServer">Creates and starts this node's Hangfire server on the storage; null when this node runs no jobs.</param>
    public ScheduleHangfire(Func<JobStorage> storage, Func<IRecurringJobManager> recurringJobs, Func<JobStorage, BackgroundJobServer>? createServer)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(recurringJobs);
        // A failure to open (MongoDB unreachable) must not be cached: the synchronizer tries again after its delay. The
        // container keeps one storage however many callers race here.
        _storage = new Lazy<JobStorage>(storage, LazyThreadSafetyMode.PublicationOnly);
        _recurringJobs = new Lazy<IRecurringJobManager>(recurringJobs, LazyThreadSafetyMode.PublicationOnly);
        _createServer = createServer;
    }

    /// <summary>Whether the job storage has been opened (a scheduled function was seen, or the jobs dashboard was opened).</summary>
    public bool IsOpen => _storage.IsValueCreated;

    /// <summary>Whether this node's Hangfire server is running.</summary>
    public bool IsServerRunning
    {
        get
        {
            lock (_gate)
            {
                return _server is not null;
            }
        }
    }

    /// <summary>The job storage, opened at the first call.</summary>
    public JobStorage Storage => _storage.Value;

    /// <summary>The recurring job manager on <see cref="Storage"/>, created at the first call.</summary>
    public IRecurringJobManager RecurringJobs => _recurringJobs.Value;

    /// <summary>Starts this node's Hangfire server if it runs jobs and has not started it yet (nor is stopping).</summary>
    public void EnsureServerStarted()
    {
        if (_createServer is null)
        {
            return;
        }

        var storage = Storage;
        lock (_gate)
        {
            if (_server is null && !_stopped)
            {
                _server = _createServer(storage);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        BackgroundJobServer? server;
        lock (_gate)
        {
            _stopped = true;
            server = _server;
        }

        if (server is not null)
        {
            server.SendStop();
            await server.WaitForShutdownAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        BackgroundJobServer? server;
        lock (_gate)
        {
            _stopped = true;
            server = _server;
            _server = null;
        }

        server?.Dispose();
    }

    /// <summary>What <c>AddHangfireServer</c> would build, created when called rather than when the host starts.</summary>
    internal static ScheduleHangfire Create(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var enabled = services.GetRequiredService<IOptions<ScheduleOptions>>().Value.Enabled;
        return new ScheduleHangfire(
            // Resolving Hangfire's global configuration first applies AddHangfire's callback (serializer, log provider).
            () =>
            {
                services.GetRequiredService<IGlobalConfiguration>();
                return services.GetRequiredService<JobStorage>();
            },
            () => services.GetRequiredService<IRecurringJobManager>(),
            enabled ? storage => CreateServer(services, storage) : null);
    }

    private static BackgroundJobServer CreateServer(IServiceProvider services, JobStorage storage)
    {
        services.GetRequiredService<IGlobalConfiguration>();
        var options = services.GetRequiredService<IOptions<ScheduleOptions>>().Value;
        var serverOptions = new BackgroundJobServerOptions
        {
            WorkerCount = options.WorkerCount,
            SchedulePollingInterval = options.PollInterval,

            // Host, process and a random part: two servers in one process (tests) are two Hangfire servers too.
            ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}",
            Activator = services.GetRequiredService<JobActivator>(),
            FilterProvider = services.GetService<IJobFilterProvider>(),
            TimeZoneResolver = services.GetService<ITimeZoneResolver>(),
        };

        // Its threads start in (and inherit) a flow bound to this server's logging; the caller's flow is left as it was.
        BackgroundJobServer? server = null;
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var additional = services.GetServices<IBackgroundProcess>();
        void Start(object? state)
        {
            HangfireLogging.Bind(loggers);
            server = new BackgroundJobServer(serverOptions, storage, additional);
        }

        if (ExecutionContext.Capture() is { } context)
        {
            ExecutionContext.Run(context, Start, null);
        }
        else
        {
            Start(null);
        }

        return server!;
    }
}
