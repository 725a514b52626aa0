using TodoApp;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await TodoCli.RunAsync(args, Console.Out, cancellation.Token);
