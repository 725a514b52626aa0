using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Functions;
using Platform.Server.Functions.Runs;
using Platform.Server.Storage;
using Platform.Server.Storage.Filters;
using Platform.Server.Tests.Auth;
using Platform.Server.Tests.Hosting;

namespace Platform.Server.Tests.Functions;

/// <summary>
/// <see cref="FunctionRunWriter"/>: callable run records are queued without waiting for the store, written many per
/// store write, readable through <see cref="FunctionRunStore"/> as soon as they are queued (reads flush), and drained
/// on shutdown.
/// </summary>
public sealed class FunctionRunWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Enqueue_DoesNotWaitForTheStore_AndWritesQueuedRecordsInGroups()
    {
        var store = new GatedStore();
        using var writer = NewWriter(store, perCommit: 100);
        await writer.StartAsync(Ct);

        // The first record's write is held at the gate; everything queued meanwhile must go in the next write.
        await writer.EnqueueAsync(Run("r00"), Ct);
        await store.FirstWriteStarted.Task.WaitAsync(Wait, Ct);
        for (var i = 1; i <= 50; i++)
        {
            // Each returns at once although the store is blocked: the caller does not wait for a commit.
            var enqueued = writer.EnqueueAsync(Run($"r{i:00}"), Ct);
            Assert.True(enqueued.IsCompleted, "queuing a record must not wait for the store");
            await enqueued;
        }

        var flushed = writer.FlushAsync(Ct);
        Assert.False(flushed.IsCompleted, "a flush waits for the queued records");
        store.Open();
        await flushed.WaitAsync(Wait, Ct);

        Assert.Equal(51, store.Inner.Count(FunctionRunJson.Collection));
        Assert.Equal([1, 50], store.OperationsPerWrite);
        await writer.StopAsync(Ct);
    }

    [Fact]
    public async Task RunStoreReads_SeeARecordAsSoonAsItIsQueued()
    {
        var store = new GatedStore();
        store.Open();
        using var writer = NewWriter(store, perCommit: 256);
        await writer.StartAsync(Ct);
        var runs = new FunctionRunStore(store, new DocumentFunctionRunStorage(store), writer);

        await runs.EnqueueAsync(Run("a1", "fn-a"), Ct);
        Assert.NotNull(await runs.GetAsync("fn-a", "a1", Ct));
        await runs.EnqueueAsync(Run("a2", "fn-a"), Ct);
        var page = await runs.ListAsync("fn-a", status: null, deadLetter: null, limit: 10, cursor: null, Ct);
        Assert.Equal(["a1", "a2"], page.Items.Select(r => r.Id).Order());
        await writer.StopAsync(Ct);
    }

    [Fact]
    public async Task Stop_DrainsTheQueue_AndLaterRecordsAreWrittenAtOnce()
    {
        var store = new GatedStore();
        using var writer = NewWriter(store, perCommit: 2);
        await writer.StartAsync(Ct);
        for (var i = 0; i < 7; i++)
        {
            await writer.EnqueueAsync(Run($"s{i}"), Ct);
        }

        var stopping = writer.StopAsync(Ct);
        store.Open();
        await stopping.WaitAsync(Wait, Ct);
        Assert.Equal(7, store.Inner.Count(FunctionRunJson.Collection));
        Assert.All(store.OperationsPerWrite, n => Assert.InRange(n, 1, 2));

        // After the writer stopped (a request still finishing during shutdown), a record is written directly.
        await writer.EnqueueAsync(Run("late"), Ct);
        Assert.Equal(8, store.Inner.Count(FunctionRunJson.Collection));
    }

    [Fact]
    public async Task AFailedGroupWrite_IsRetried()
    {
        var store = new GatedStore { FailuresLeft = 1 };
        store.Open();
        using var writer = NewWriter(store, perCommit: 256);
        await writer.StartAsync(Ct);
        await writer.EnqueueAsync(Run("f1"), Ct);
        await writer.FlushAsync(Ct).WaitAsync(Wait, Ct);
        Assert.Equal(1, store.Inner.Count(FunctionRunJson.Collection));
        await writer.StopAsync(Ct);
    }

    [Fact]
    public async Task AGroupWriteThatCommittedButWasReportedAsFailed_IsNeitherLostNorRetriedInVain()
    {
        // MongoDB can report a transaction as failed that committed (its commit outcome unknown past the driver's retries,
        // a majority write concern that timed out): the retry then finds the records there. They were logged as lost.
        var store = new GatedStore { CommitsThenFailsLeft = 1 };
        store.Open();
        var capture = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(builder => builder.AddProvider(capture));
        using var writer = NewWriter(store, perCommit: 256, loggers.CreateLogger<FunctionRunWriter>());
        await writer.StartAsync(Ct);
        await writer.EnqueueAsync(Run("d1"), Ct);
        await writer.FlushAsync(Ct).WaitAsync(Wait, Ct);
        await writer.StopAsync(Ct);

        Assert.Equal(1, store.Inner.Count(FunctionRunJson.Collection));
        Assert.DoesNotContain(capture.Entries, e => e.Level == LogLevel.Error);

        // The group that committed, its retry (a duplicate), then the record on its own (a duplicate, so written): no
        // further group attempts with delays.
        Assert.Equal(3, store.Writes);
    }

    private static FunctionRunWriter NewWriter(IDocumentStore store, int perCommit, ILogger<FunctionRunWriter>? logger = null) => new(
        store,
        new DocumentFunctionRunStorage(store),
        Options.Create(new FunctionOptions { RunRecordsPerCommit = perCommit, MaxPendingRunRecords = 1000 }),
        TimeProvider.System,
        logger ?? NullLogger<FunctionRunWriter>.Instance);

    private static FunctionRunRecord Run(string id, string function = "fn") => new(
        id, function, 1, RunTrigger.Callable, null, 1, RunStatus.Succeeded, DateTimeOffset.UtcNow, 1, [], null,
        JsonValue.Create(1), null, false, null, null);

    /// <summary>An in-memory store whose writes wait until <see cref="Open"/>, counting the operations of each write.</summary>
    private sealed class GatedStore : IDocumentStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public InMemoryStoreView Inner { get; } = new();

        public TaskCompletionSource FirstWriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<int> OperationsPerWrite { get; } = [];

        public int FailuresLeft { get; set; }

        /// <summary>Writes that commit and then throw as if they had failed (an ambiguous outcome).</summary>
        public int CommitsThenFailsLeft { get; set; }

        /// <summary>Every write call, failed ones included.</summary>
        public int Writes { get; private set; }

        public void Open() => _gate.TrySetResult();

        public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<bool> PingAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

        public Task CreateCollectionAsync(string collection, CancellationToken cancellationToken = default) => Inner.Store.CreateCollectionAsync(collection, cancellationToken);

        public Task DropCollectionAsync(string collection, CancellationToken cancellationToken = default) => Inner.Store.DropCollectionAsync(collection, cancellationToken);

        public Task ApplyIndexesAsync(string collection, IReadOnlyList<IndexDefinition> indexes, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<JsonObject?> GetAsync(string collection, string id, CancellationToken cancellationToken = default) => Inner.Store.GetAsync(collection, id, cancellationToken);

        public Task<IReadOnlyList<JsonObject>> QueryAsync(string collection, DocumentQuery query, CancellationToken cancellationToken = default) =>
            Inner.Store.QueryAsync(collection, query with { Sort = [], After = null }, cancellationToken);

        public Task<long> CountAsync(string collection, FilterNode filter, TimeSpan? timeout, CancellationToken cancellationToken = default) => Inner.Store.CountAsync(collection, filter, timeout, cancellationToken);

        public async Task WriteAsync(IReadOnlyList<WriteOperation> operations, CancellationToken cancellationToken = default)
        {
            FirstWriteStarted.TrySetResult();
            await _gate.Task.WaitAsync(cancellationToken);
            bool ambiguous;
            lock (OperationsPerWrite)
            {
                Writes++;
                ambiguous = CommitsThenFailsLeft > 0 && CommitsThenFailsLeft-- > 0;
                if (FailuresLeft > 0)
                {
                    FailuresLeft--;
                    throw new StorageUnavailableException("The store is briefly unavailable (test).");
                }

                OperationsPerWrite.Add(operations.Count);
            }

            await Inner.Store.WriteAsync(operations, cancellationToken);
            if (ambiguous)
            {
                throw new StorageUnavailableException("The commit's outcome is unknown (test).");
            }
        }
    }

    /// <summary>The in-memory double with a count helper.</summary>
    private sealed class InMemoryStoreView
    {
        public InMemoryDocumentStore Store { get; } = new();

        public int Count(string collection) =>
            Store.QueryAsync(collection, new DocumentQuery(MatchAllNode.Instance, [], 10_000)).GetAwaiter().GetResult().Count;
    }
}
