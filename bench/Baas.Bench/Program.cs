using Baas.Bench;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Let the run unwind so every started process is killed in the finally blocks.
    e.Cancel = true;
    cancellation.Cancel();
};

await using var run = new BenchRun(options, Environment.CommandLine);
try
{
    return await run.RunAsync(cancellation.Token);
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync("Cancelled; servers stopped.");
    return 130;
}
