using Platform.Server.Hosting;

RegexDefaults.Apply();
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = ContentRoot.Choose(args, Directory.GetCurrentDirectory(), AppContext.BaseDirectory, Environment.GetEnvironmentVariable),
});
builder.AddBaasServer();

var app = builder.Build();
if (!ConfigurationCheck.TryValidate(app.Services, Console.Error))
{
    return 1;
}

// The start-up tasks (the store first) run on the thread pool while this thread builds the route table and the hosted
// services: they share nothing, and on two cores the store's opening no longer waits behind them. Requests cannot arrive
// before all of it: Kestrel starts in RunAsync.
var startupTasks = app.RunBaasStartupTasksAsync();
try
{
    app.MapBaasApi();
    app.ResolveBaasHostServices();
    await startupTasks;
    await app.RunAsync();
}
catch (Platform.Server.Storage.StorageStartupException ex)
{
    // One line, like a configuration error: the store cannot serve this server as configured.
    await Console.Error.WriteLineAsync("Start-up failed: " + ex.Message);
    return 1;
}
catch (Platform.Server.Storage.StorageUnavailableException ex)
{
    // The store could not be opened at start (e.g. Baas:DataDir is a file or not writable): a clear line and exit code 1,
    // not an unhandled exception's abort.
    await Console.Error.WriteLineAsync("Start-up failed: " + ex.Message + (ex.InnerException is { } inner ? " " + inner.Message : ""));
    return 1;
}

return 0;

/// <summary>Entry point; public so integration tests can reference the assembly's host.</summary>
public partial class Program;
