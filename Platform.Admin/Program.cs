using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components.WebAssembly.Hosting;
using MudBlazor.Services;
using Platform.Admin;
using Platform.Admin.Services;

var builder = WebAssemblyHostBuilder.CreateDefault(args);
builder.RootComponents.Add<App>("#app");
builder.RootComponents.Add<HeadOutlet>("head::after");
builder.Services.AddMudServices();
builder.Services.AddBaasDashboard(DashboardServiceCollectionExtensions.ServerUrlFromBaseAddress(builder.HostEnvironment.BaseAddress));
await builder.Build().RunAsync();
