using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Platform.Server.Hosting;

namespace Platform.Server.Admin;

/// <summary>
/// Creates the <c>_admins</c> collection, seeds the admin from <c>Baas:Admin</c>, and when no admin
/// exists at all issues the setup token and logs the setup link once the server listens.
/// </summary>
internal sealed class AdminSeeder(
    AdminAccountService accounts,
    AdminSetup setup,
    IOptions<AdminOptions> options,
    IHostApplicationLifetime lifetime,
    IServiceProvider services,
    ILogger<AdminSeeder> logger) : IStartupTask
{
    internal const string DefaultBaseUrl = "http://localhost:8090";

    public int Order => StartupTaskOrder.AfterStore;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await accounts.InitializeAsync(cancellationToken);
        var settings = options.Value;
        if (settings.SeedsAdmin)
        {
            var email = AdminCredentials.NormalizeEmail(settings.Email);
            if (await accounts.FindByEmailAsync(email, cancellationToken) is not null
                || await accounts.CreateAsync(email, settings.Password!, createdBy: null, cancellationToken) is null)
            {
                // Already there, or another node seeded it a moment ago.
                AdminLog.AdminSeedSkipped(logger, email);
            }
            else
            {
                AdminLog.AdminSeeded(logger, email);
            }

            return;
        }

        if (await accounts.AnyAsync(cancellationToken))
        {
            return;
        }

        var token = setup.IssueToken();
        // Start-up tasks run before Kestrel binds; the real address (port 0 included) is known only once started.
        lifetime.ApplicationStarted.Register(() => AdminLog.AdminSetupLink(logger, BuildSetupUrl(ServerAddresses(), token)));
    }

    private IEnumerable<string> ServerAddresses() =>
        services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];

    /// <summary><c>{first server URL}/admin/setup?token=...</c>, with wildcard hosts shown as <c>localhost</c>.</summary>
    internal static string BuildSetupUrl(IEnumerable<string> addresses, string token)
    {
        var first = addresses.FirstOrDefault();
        var baseUrl = DefaultBaseUrl;
        if (first is not null)
        {
            var uri = new UriBuilder(first.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
            if (uri.Host is "0.0.0.0" or "[::]" or "::")
            {
                uri.Host = "localhost";
            }

            baseUrl = uri.Uri.GetLeftPart(UriPartial.Authority);
        }

        return $"{baseUrl}/admin/setup?token={Uri.EscapeDataString(token)}";
    }
}
