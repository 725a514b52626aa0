using Platform.Server.Hosting;

RegexDefaults.Apply();
var builder = WebApplication.CreateBuilder(args);
builder.AddBaasServer();

var app = builder.Build();
if (!ConfigurationCheck.TryValidate(app.Services, Console.Error))
{
    return 1;
}

app.MapBaasApi();
try
{
    await app.RunAsync();
}
catch (Platform.Server.Storage.StorageStartupException ex)
{
    // One line, like a configuration error: the store cannot serve this server as configured.
    await Console.Error.WriteLineAsync("Start-up failed: " + ex.Message);
    return 1;
}

return 0;

/// <summary>Entry point; public so integration tests can reference the assembly's host.</summary>
public partial class Program;
