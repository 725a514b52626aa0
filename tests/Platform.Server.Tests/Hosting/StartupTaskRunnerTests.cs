using Microsoft.Extensions.Logging.Abstractions;
using Platform.Server.Hosting;

namespace Platform.Server.Tests.Hosting;

public class StartupTaskRunnerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private sealed class RecordingTask(int order, List<int> log) : IStartupTask
    {
        public int Order => order;

        public Task RunAsync(CancellationToken cancellationToken)
        {
            lock (log)
            {
                log.Add(order);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>Says it started, then finishes only when <paramref name="release"/> completes.</summary>
    private sealed class GatedTask(int order, TaskCompletionSource started, Task release) : IStartupTask
    {
        public int Order => order;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            started.TrySetResult();
            await release.WaitAsync(Patience, cancellationToken);
        }
    }

    private static StartupTaskRunner Runner(params IStartupTask[] tasks) =>
        new(tasks, TimeProvider.System, NullLogger<StartupTaskRunner>.Instance);

    [Fact]
    public async Task RunAsync_BeforeTheHost_RunsTheTasksOnce_AndStartingAsyncFindsThemDone()
    {
        var log = new List<int>();
        var runner = Runner(new RecordingTask(0, log), new RecordingTask(100, log));
        await runner.RunAsync(TestContext.Current.CancellationToken);
        await runner.StartingAsync(TestContext.Current.CancellationToken);
        Assert.Equal([0, 100], log);
    }

    [Fact]
    public async Task StartingAsync_RunsTasksInOrder_RegardlessOfRegistrationOrder()
    {
        var log = new List<int>();
        var runner = Runner(new RecordingTask(300, log), new RecordingTask(0, log), new RecordingTask(100, log));

        await runner.StartingAsync(TestContext.Current.CancellationToken);

        Assert.Equal([0, 100, 300], log);
    }

    [Fact]
    public async Task StartingAsync_RunsTasksOfOneOrderConcurrently()
    {
        // Each of the two waits for the other to have started: run one after the other, they would never finish.
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = Runner(
            new GatedTask(StartupTaskOrder.AfterStore, firstStarted, secondStarted.Task),
            new GatedTask(StartupTaskOrder.AfterStore, secondStarted, firstStarted.Task));

        await runner.StartingAsync(TestContext.Current.CancellationToken);

        Assert.True(firstStarted.Task.IsCompletedSuccessfully && secondStarted.Task.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task StartingAsync_StartsAHigherOrder_OnlyOnceEveryLowerTaskFinished()
    {
        var storeStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var storeMayFinish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new List<int>();
        var runner = Runner(new RecordingTask(StartupTaskOrder.AfterStore, log), new GatedTask(StartupTaskOrder.Store, storeStarted, storeMayFinish.Task));

        var running = runner.StartingAsync(TestContext.Current.CancellationToken);
        await storeStarted.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
        lock (log)
        {
            Assert.Empty(log);
        }

        storeMayFinish.SetResult();
        await running.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal([StartupTaskOrder.AfterStore], log);
    }

    [Fact]
    public async Task StartingAsync_AFailingTask_FailsTheStart()
    {
        var runner = Runner(new FailingTask());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => runner.StartingAsync(TestContext.Current.CancellationToken));

        Assert.Equal("store unreachable", error.Message);
    }

    private sealed class FailingTask : IStartupTask
    {
        public int Order => StartupTaskOrder.Store;

        public Task RunAsync(CancellationToken cancellationToken) => Task.FromException(new InvalidOperationException("store unreachable"));
    }
}
