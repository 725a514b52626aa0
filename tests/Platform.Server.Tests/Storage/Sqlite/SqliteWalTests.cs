using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Filters;
using Platform.Server.Storage.Sqlite;

namespace Platform.Server.Tests.Storage.Sqlite;

/// <summary>The write-ahead log stays within <c>Baas:Storage:SqliteMaxWalBytes</c> under steady reads and writes (issue 11).</summary>
public sealed class SqliteWalTests : IDisposable
{
    private const long Bound = 4L * 1024 * 1024;

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baas-tests", "sqlite-wal-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
    }

    private SqliteDocumentStore Open() => new(
        Options.Create(new StorageOptions { SqliteMaxWalBytes = Bound, SqliteCheckpointInterval = TimeSpan.FromMilliseconds(200) }),
        Options.Create(new BaasOptions { DataDir = _dataDir }),
        Options.Create(new ChangeFeedOptions()),
        TimeProvider.System,
        NullLogger<SqliteDocumentStore>.Instance);

    private static InsertOperation Insert(string id, int n) => new("items", new JsonObject
    {
        [SystemFields.Id] = id,
        [SystemFields.Version] = 1,
        ["status"] = n % 3 == 0 ? "open" : "done",
        ["n"] = n,
        ["text"] = new string('x', 600),
    });

    [Fact]
    public async Task Wal_StaysWithinItsBound_UnderContinuousReadsAndWrites()
    {
        using var store = Open();
        await store.InitializeAsync(Ct);
        await store.ApplyIndexesAsync("items", [new IndexDefinition([new SortField("status"), new SortField("n", Descending: true)])], Ct);
        await store.WriteAsync([.. Enumerable.Range(0, 500).Select(i => (WriteOperation)Insert("seed" + i, i))], Ct);

        // Enough single-document commits to write several times the bound through the log (each is a few pages).
        const int Writes = 3000;
        var written = 0;
        var enoughWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var query = new DocumentQuery(FilterParser.Parse("""{"status": "open"}"""), [new SortField("n", Descending: true), new SortField(SystemFields.Id)], 20);
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(
            async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    await store.WriteAsync([Insert($"w{w}-{i}", i)], CancellationToken.None);
                    if (Interlocked.Increment(ref written) == Writes)
                    {
                        enoughWritten.TrySetResult();
                    }
                }
            },
            CancellationToken.None));
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(
            async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Assert.Equal(20, (await store.QueryAsync("items", query, CancellationToken.None)).Count);
                    Assert.NotNull(await store.GetAsync("items", "seed7", CancellationToken.None));
                }
            },
            CancellationToken.None));
        var load = Task.WhenAll([.. writers, .. readers]);

        await Task.WhenAny(enoughWritten.Task, load).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        var during = await store.CheckpointAsync(Ct);
        await stop.CancelAsync();
        await load;
        var after = await store.CheckpointAsync(Ct);

        Assert.True(Volatile.Read(ref written) >= Writes, $"only {written} writes");
        Assert.True(during <= Bound, $"WAL {during} bytes under load, bound {Bound}");
        Assert.True(after <= Bound, $"WAL {after} bytes after the load, bound {Bound}");
        Assert.True(store.WalBytes() <= Bound);
    }
}
