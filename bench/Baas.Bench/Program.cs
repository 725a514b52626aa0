using System.Runtime.InteropServices;
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
// Ctrl-C, kill (SIGTERM) and a closed terminal all cancel the run instead of ending the process, so it
// unwinds through BenchRun.DisposeAsync, which kills every server it started.
void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    cancellation.Cancel();
}

using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
using var onHangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Cancel);

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
