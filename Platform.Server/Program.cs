using Platform.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddBaasServer();

var app = builder.Build();
app.MapBaasApi();
await app.RunAsync();

/// <summary>Entry point; public so integration tests can reference the assembly's host.</summary>
public partial class Program;
