namespace Platform.Server.Common;

/// <summary>
/// A loop that runs for the life of a component on a background thread of its own (never a thread-pool thread, which
/// requests need), with a task that completes when the loop returns or faults with what it threw.
/// </summary>
internal static class OwnThread
{
    public static Task Start(string name, Action loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                loop();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }
}
