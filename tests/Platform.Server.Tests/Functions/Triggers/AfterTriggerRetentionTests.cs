using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Platform.Server.Functions;
using Platform.Server.Functions.Triggers;
using Platform.Server.Storage;
using Platform.Server.Storage.Changes;
using Platform.Server.Storage.Filters;
using Platform.Server.Tests.Storage.Sqlite;

namespace Platform.Server.Tests.Functions.Triggers;

/// <summary>
/// The change log keeps what an after trigger's checkpoint has not passed (issue 11 item 4): a checkpoint holds the log,
/// past <c>Baas:Changes:Retention</c> but not past its size bounds, and lets go as the trigger catches up.
/// </summary>
public sealed class AfterTriggerRetentionTests
{
    private const string Orders = "orders";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeFunctionCatalog _catalog = new();
    private readonly FakeFunctionExecutor _executor;

    public AfterTriggerRetentionTests() => _executor = new FakeFunctionExecutor(_clock);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<TriggerNode> StartNodeAsync(SqliteStoreFixture fixture) =>
        TriggerNode.StartAsync(fixture.Store, fixture.Feed, _catalog, _executor, _clock);

    private static Task InsertAsync(SqliteStoreFixture fixture, string id, string padding = "") =>
        fixture.Store.WriteAsync([new InsertOperation(Orders, new JsonObject { [SystemFields.Id] = id, [SystemFields.Version] = 1, ["padding"] = padding })], Ct);

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within 30 s: {what}.");
            await Task.Delay(20, Ct);
        }
    }

    private static async Task<string?> HoldAsync(SqliteStoreFixture fixture, string function) =>
        (await fixture.Sqlite.GetHoldsAsync(Ct)).GetValueOrDefault(FunctionCheckpoints.HoldName(function));

    /// <summary>The ids of the first <paramref name="count"/> changes after <paramref name="position"/>.</summary>
    private static async Task<List<string>> ReadIdsAsync(IChangeFeed feed, string position, int count)
    {
        var ids = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await foreach (var change in feed.ReadAsync(position, timeout.Token))
        {
            ids.Add(change.Id);
            if (ids.Count == count)
            {
                break;
            }
        }

        return ids;
    }

    private async Task<IReadOnlyList<JsonObject>> FailedRunsAsync(SqliteStoreFixture fixture, string function) =>
        (await fixture.Store.QueryAsync(FunctionRunJson.Collection, new DocumentQuery(MatchAllNode.Instance, [], 1000), Ct))
            .Where(r => r["function"]!.GetValue<string>() == function && r["status"]!.GetValue<string>() == "failed")
            .ToList();

    /// <summary>Starts the node, saves the function and waits until it consumes; answers its first checkpoint's position.</summary>
    private async Task<string> StartConsumingAsync(TriggerNode node, FunctionDefinition function)
    {
        _catalog.Save(function);
        FunctionCheckpoint? checkpoint = null;
        await EventuallyAsync(
            async () => (await node.Leases.GetAsync(function.Name, Ct))?.Owner == node.Service.NodeId && (checkpoint = await node.Checkpoints.GetAsync(function.Name, Ct)) is not null,
            "the consumer started");
        return checkpoint!.Position;
    }

    [Fact]
    public async Task Checkpoint_HoldsUnconsumedChanges_PastRetention_AndLetsGoOnceCaughtUp_AndOnDisable()
    {
        var fixture = new SqliteStoreFixture();
        await using var _ = fixture;
        await fixture.InitializeAsync();
        var function = FakeFunctionCatalog.AfterTrigger("slow", Orders);
        var first = await StartNodeAsync(fixture);
        var start = await StartConsumingAsync(first, function);
        Assert.Equal(start, await HoldAsync(fixture, "slow"));

        // The trigger stops (a node down, or a backlog) while writes go on, for longer than the retention period.
        await first.DisposeAsync();
        foreach (var id in new[] { "u1", "u2", "u3" })
        {
            await InsertAsync(fixture, id);
        }

        fixture.Clock.Advance(fixture.Changes.Retention + TimeSpan.FromMinutes(1));
        await fixture.Sqlite.PruneChangesAsync(Ct);
        Assert.Equal(["u1", "u2", "u3"], await ReadIdsAsync(fixture.Feed, start, 3));

        // Back up: every change is delivered, no gap is recorded.
        await using var second = await StartNodeAsync(fixture);
        var calls = await _executor.WaitForAsync(c => c.Count >= 3);
        Assert.Equal(["u1", "u2", "u3"], calls.Select(c => c.Invocation.Event!.DocumentId).Order(StringComparer.Ordinal));
        Assert.Empty(await FailedRunsAsync(fixture, "slow"));

        // Caught up: the hold follows the checkpoint, and the pruner takes what the trigger handled.
        var last = await fixture.Feed.GetPositionAsync(Ct);
        await EventuallyAsync(async () => await HoldAsync(fixture, "slow") == last, "the hold moved to the last change");
        fixture.Clock.Advance(fixture.Changes.Retention + TimeSpan.FromMinutes(1));
        Assert.Equal(2, await fixture.Sqlite.PruneChangesAsync(Ct));
        await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadIdsAsync(fixture.Feed, start, 1));

        // Disabled: its checkpoint is forgotten and the log is no longer held for it.
        _catalog.Save(function with { Enabled = false });
        await EventuallyAsync(async () => await HoldAsync(fixture, "slow") is null, "the hold was released");
        Assert.Null(await second.Checkpoints.GetAsync("slow", Ct));
    }

    [Fact]
    public async Task OrphanHold_OfAFunctionGoneWhileNoConsumerRan_IsReleased()
    {
        var fixture = new SqliteStoreFixture();
        await using var _ = fixture;
        await fixture.InitializeAsync();
        await fixture.Sqlite.SetHoldAsync(FunctionCheckpoints.HoldName("gone"), await fixture.Feed.GetPositionAsync(Ct), Ct);
        await fixture.Sqlite.SetHoldAsync("realtime:replay", await fixture.Feed.GetPositionAsync(Ct), Ct);

        await using var node = await StartNodeAsync(fixture);
        await StartConsumingAsync(node, FakeFunctionCatalog.AfterTrigger("present", Orders));

        await EventuallyAsync(async () => await HoldAsync(fixture, "gone") is null, "the orphan hold was released");
        Assert.NotNull(await HoldAsync(fixture, "present"));
        Assert.Contains("realtime:replay", (await fixture.Sqlite.GetHoldsAsync(Ct)).Keys);
    }

    [Theory]
    [InlineData("count")]
    [InlineData("bytes")]
    public async Task SizeBounds_WinOverTheHold_AndTheTriggerRecordsTheGap(string bound)
    {
        var changes = bound == "count" ? new ChangeFeedOptions { MaxRetained = 2 } : new ChangeFeedOptions { MaxBytes = 4096 };
        var fixture = new SqliteStoreFixture { Changes = changes };
        await using var _ = fixture;
        await fixture.InitializeAsync();
        var first = await StartNodeAsync(fixture);
        var start = await StartConsumingAsync(first, FakeFunctionCatalog.AfterTrigger("held", Orders));
        await first.DisposeAsync();

        for (var i = 0; i < 8; i++)
        {
            await InsertAsync(fixture, "big" + i, new string('x', 1000));
        }

        await fixture.Sqlite.PruneChangesAsync(Ct);
        Assert.True(fixture.Sqlite.ChangeLogBytes <= 4096 || bound == "count", $"The log holds {fixture.Sqlite.ChangeLogBytes} bytes.");
        await Assert.ThrowsAsync<ChangeHistoryUnavailableException>(() => ReadIdsAsync(fixture.Feed, start, 1));

        await using var second = await StartNodeAsync(fixture);
        await EventuallyAsync(async () => (await FailedRunsAsync(fixture, "held")).Count > 0, "the gap was recorded");
        var run = Assert.Single(await FailedRunsAsync(fixture, "held"));
        Assert.StartsWith(TriggerRunRecorder.MissedEvents, run["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await InsertAsync(fixture, "fresh");
        await _executor.WaitForAsync(c => c.Any(x => x.Invocation.Event!.DocumentId == "fresh"));
    }
}
