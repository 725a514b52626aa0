using System.Reflection;

namespace Platform.Server.AdminTools;

/// <summary><c>GET /api/admin/overview</c>: what the dashboard's overview says about the server itself.</summary>
/// <param name="Version">The server's informational version (without the source revision suffix).</param>
/// <param name="StorageProvider"><c>sqlite</c> or <c>mongodb</c>.</param>
/// <param name="Ready">Whether the readiness checks (<c>/health/ready</c>) pass.</param>
/// <param name="Health"><c>healthy</c>, <c>degraded</c> or <c>unhealthy</c>.</param>
public sealed record ServerOverview(string Version, string StorageProvider, bool Ready, string Health);

/// <summary>The version of the running server build.</summary>
internal static class ServerVersion
{
    public static string Current { get; } =
        typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ServerVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
