using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Platform.Server.Storage;

namespace Platform.Server.Functions.Runs;

/// <summary>
/// Writes the records of callable runs off the request path, many per store write (group commit): a callable answers
/// as soon as its function returns, and its record follows in the next write, which holds every record queued while
/// the previous write was committing (at most <see cref="FunctionOptions.RunRecordsPerCommit"/>). Before this, each
/// call committed its own record on the store's single writer before answering, which cost more than the function.
/// <para>
/// Readers never miss a record: <see cref="FunctionRunStore"/> calls <see cref="FlushAsync"/> before it reads, so on
/// this node a record is readable as soon as its run has answered. At most <see cref="FunctionOptions.MaxPendingRunRecords"/>
/// records wait; a caller beyond that waits for room (back pressure, never a dropped record). On shutdown the queue is
/// drained before the store closes; records still queued when the process is killed are lost (the answers were given).
/// A failed write is retried (<see cref="WriteAttempts"/> attempts with a growing delay), then its records are written
/// one by one, and one that still fails is logged as lost. A record found already there (a write reported as failed that
/// had committed, which MongoDB can answer) is written, not lost.
/// </para>
/// </summary>
public sealed partial class FunctionRunWriter : IHostedService, IDisposable
{
    /// <summary>Attempts of one group write before its records are given up (and logged).</summary>
    public const int WriteAttempts = 4;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly IDocumentStore _store;
    private readonly IFunctionRunStorage _storage;
    private readonly FunctionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FunctionRunWriter> _logger;
    private readonly Channel<Item> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private int _disposed;

    public FunctionRunWriter(IDocumentStore store, IFunctionRunStorage storage, IOptions<FunctionOptions> options, TimeProvider time, ILogger<FunctionRunWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _storage = storage;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(_options.MaxPendingRunRecords)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>A queued record, or (<see cref="Record"/> null) a flush marker completed once everything before it is written.</summary>
    private sealed record Item(FunctionRunRecord? Record, TaskCompletionSource? Written);

    /// <summary>True while the background writer runs; before it starts and after it stopped, records are written at once.</summary>
    public bool IsRunning => Volatile.Read(ref _loop) is { IsCompleted: false };

    /// <summary>Queues <paramref name="run"/> for the next group write; waits only while the queue is full.</summary>
    public async ValueTask EnqueueAsync(FunctionRunRecord run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (IsRunning)
        {
            try
            {
                await _queue.Writer.WriteAsync(new Item(run, null), cancellationToken);
                return;
            }
            catch (ChannelClosedException)
            {
                // Shutting down: the loop drains what is queued; this one is written here instead.
            }
        }

        await _store.WriteAsync([_storage.Insert(run)], cancellationToken);
    }

    /// <summary>Completes when every record queued before the call has been written (or given up after its retries).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!IsRunning)
        {
            return;
        }

        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _queue.Writer.WriteAsync(new Item(null, marker), cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // Shutting down: StopAsync drains the queue.
            return;
        }

        await marker.Task.WaitAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is null)
        {
            return;
        }

        try
        {
            // The loop drains the queue and ends; if the host's shutdown budget runs out first, it is cut short.
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await _stopping.CancelAsync();
        }
    }

    public void Dispose()
    {
        // Registered as itself and as a hosted service (a factory): the container disposes it once per registration.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var records = new List<FunctionRunRecord>(_options.RunRecordsPerCommit);
        var markers = new List<TaskCompletionSource>();
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                while (records.Count < _options.RunRecordsPerCommit && reader.TryRead(out var item))
                {
                    if (item.Record is { } record)
                    {
                        records.Add(record);
                    }
                    else
                    {
                        markers.Add(item.Written!);
                    }
                }

                if (records.Count > 0)
                {
                    await WriteAsync(records, stoppingToken);
                }

                foreach (var marker in markers)
                {
                    marker.TrySetResult();
                }

                records.Clear();
                markers.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            var lost = records.Count;
            while (reader.TryRead(out var item))
            {
                lost += item.Record is null ? 0 : 1;
                item.Written?.TrySetResult();
            }

            foreach (var marker in markers)
            {
                marker.TrySetResult();
            }

            if (lost > 0)
            {
                Log.LostAtShutdown(_logger, lost);
            }
        }
    }

    private async Task WriteAsync(List<FunctionRunRecord> records, CancellationToken stoppingToken)
    {
        var operations = records.ConvertAll(record => _storage.Insert(record));
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _store.WriteAsync(operations, stoppingToken);
                return;
            }
            catch (DuplicateIdException ex)
            {
                // An earlier attempt committed although it was reported as failed (MongoDB: a transaction whose commit
                // outcome the driver could not learn, a majority write that timed out), so this group can never succeed
                // again: each record is written on its own, where one that is there already counts as written.
                Log.WriteFailed(_logger, records.Count, attempt, ex);
                await WriteOneByOneAsync(records, stoppingToken);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && attempt < WriteAttempts)
            {
                Log.WriteFailed(_logger, records.Count, attempt, ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.WriteFailed(_logger, records.Count, attempt, ex);
                await WriteOneByOneAsync(records, stoppingToken);
                return;
            }

            await Task.Delay(delay, _time, stoppingToken);
            delay *= 2;
        }
    }

    /// <summary>The last resort after the group write kept failing: so that one bad record does not take the others with it.</summary>
    private async Task WriteOneByOneAsync(List<FunctionRunRecord> records, CancellationToken stoppingToken)
    {
        foreach (var record in records)
        {
            try
            {
                await _store.WriteAsync([_storage.Insert(record)], stoppingToken);
            }
            catch (DuplicateIdException)
            {
                // Run ids are unique: the record is the one an earlier, ambiguously failed attempt wrote. Not lost.
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.Lost(_logger, record.Function, record.Id, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9130, Level = LogLevel.Warning, Message = "Writing {Count} function run records failed (attempt {Attempt}); retrying.")]
        public static partial void WriteFailed(ILogger logger, int count, int attempt, Exception exception);

        [LoggerMessage(EventId = 9131, Level = LogLevel.Error, Message = "The record of function {Function} run {RunId} could not be written; it is lost.")]
        public static partial void Lost(ILogger logger, string function, string runId, Exception exception);

        [LoggerMessage(EventId = 9132, Level = LogLevel.Error, Message = "Shutdown cut the run-record writer short: {Count} queued function run records were not written.")]
        public static partial void LostAtShutdown(ILogger logger, int count);
    }
}
