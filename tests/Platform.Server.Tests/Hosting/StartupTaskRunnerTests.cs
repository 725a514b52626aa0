using Platform.Server.Hosting;

namespace Platform.Server.Tests.Hosting;

public class StartupTaskRunnerTests
{
    private sealed class RecordingTask(int order, List<int> log) : IStartupTask
    {
        public int Order => order;

        public Task RunAsync(CancellationToken cancellationToken)
        {
            log.Add(order);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task StartingAsync_RunsTasksInOrder_RegardlessOfRegistrationOrder()
    {
        var log = new List<int>();
        var runner = new StartupTaskRunner([new RecordingTask(300, log), new RecordingTask(0, log), new RecordingTask(100, log)], TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<StartupTaskRunner>.Instance);

        await runner.StartingAsync(TestContext.Current.CancellationToken);

        Assert.Equal([0, 100, 300], log);
    }
}
