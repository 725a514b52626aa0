using Platform.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddBaasServer();

var app = builder.Build();
if (!ConfigurationCheck.TryValidate(app.Services, Console.Error))
{
    return 1;
}

app.MapBaasApi();
await app.RunAsync();
return 0;

/// <summary>Entry point; public so integration tests can reference the assembly's host.</summary>
public partial class Program;
