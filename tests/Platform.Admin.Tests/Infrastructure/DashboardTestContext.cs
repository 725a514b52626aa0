using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Platform.Admin.Services;

namespace Platform.Admin.Tests.Infrastructure;

/// <summary>A bUnit context with the dashboard's real services over a <see cref="StubApi"/>.</summary>
public abstract class DashboardTestContext : BunitContext
{
    protected DashboardTestContext()
    {
        // bUnit waits 1 s by default; CI's loaded machines have taken longer than that to render an async handler's result.
        DefaultWaitTimeout = TimeSpan.FromSeconds(15);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddBaasDashboard(new Uri("http://baas.test/"), Api);
    }

    protected StubApi Api { get; } = new();

    protected DashboardSession Session => Services.GetRequiredService<DashboardSession>();

    protected AdminAuth Auth => Services.GetRequiredService<AdminAuth>();

    protected NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    /// <summary>Signs in through the real service (the stub answers the login).</summary>
    protected async Task SignInAsync()
    {
        Api.WithAdminLogin();
        await Auth.SignInAsync("admin@test.local", "Admin-Passw0rd!", Xunit.TestContext.Current.CancellationToken);
    }
}
