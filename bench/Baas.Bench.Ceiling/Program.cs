var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/health", () => Results.Text("Healthy"));
app.MapGet("/hello", () => Results.Json(new Greeting("Hello, World!", 1)));
await app.RunAsync();

internal sealed record Greeting(string Message, int Id);
