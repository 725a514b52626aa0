using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Admin;

namespace Platform.Admin.Tests.Browser;

/// <summary>A clock the tests can move forward (for expired tokens), otherwise the system's.</summary>
public sealed class ShiftableTime : TimeProvider
{
    private long _offsetTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
}

/// <summary>
/// The real server on loopback, serving the built dashboard at /admin, with the seeded admin of
/// <see cref="BaasTestServer"/> (or none, for the setup journey) and a clock tests can move.
/// </summary>
public class DashboardServer : IAsyncLifetime
{
    private BaasTestServer? _server;

    public BaasTestServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public ShiftableTime Time { get; } = new();

    /// <summary>The dashboard's address, <c>http://127.0.0.1:port/admin/</c>.</summary>
    public Uri AdminUrl => new(Server.BaseAddress, "/admin/");

    /// <summary>The one-time setup token, while no admin exists.</summary>
    public string? SetupToken => Server.Services.GetRequiredService<AdminSetup>().Token;

    protected virtual bool SeedAdmin => true;

    public async ValueTask InitializeAsync()
    {
        var settings = SeedAdmin
            ? null
            : new Dictionary<string, string?> { ["Baas:Admin:Email"] = null, ["Baas:Admin:Password"] = null };
        _server = await BaasTestServer.StartAsync(settings, configureServices: services => services.AddSingleton<TimeProvider>(Time));
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>A server without any admin: it issues a setup token.</summary>
public sealed class FreshDashboardServer : DashboardServer
{
    protected override bool SeedAdmin => false;
}
