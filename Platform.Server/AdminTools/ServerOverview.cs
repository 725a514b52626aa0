using System.Reflection;

namespace Platform.Server.AdminTools;

/// <summary><c>GET /api/admin/overview</c>: what the dashboard's overview says about the server itself.</summary>
/// <param name="Version">The server's informational version (without the source revision suffix).</param>
/// <param name="StorageProvider"><c>sqlite</c> or <c>mongodb</c>.</param>
/// <param name="Ready">Whether the readiness checks (<c>/health/ready</c>) pass.</param>
/// <param name="Health"><c>healthy</c>, <c>degraded</c> or <c>unhealthy</c>.</param>
/// <param name="Functions">How many functions are defined (enabled or not).</param>
/// <param name="RecentFailures">The newest failed or timed-out runs of any function, newest first (at most <c>?failures=</c>).</param>
public sealed record ServerOverview(string Version, string StorageProvider, bool Ready, string Health, int Functions, IReadOnlyList<RecentFunctionFailure> RecentFailures);

/// <summary>One failed run on the overview: enough to say what broke and to open the run on the Functions page.</summary>
/// <param name="Id">The run's id (<c>GET /api/admin/functions/{function}/runs/{id}</c>).</param>
/// <param name="Function">The function's name.</param>
/// <param name="Version">The function version that ran.</param>
/// <param name="Trigger"><c>schedule</c>, <c>document</c>, <c>callable</c> or <c>manual</c>.</param>
/// <param name="Status">The error code of the run: <c>failed</c> (threw, or broke a limit other than time) or <c>timedOut</c>.</param>
/// <param name="StartedAt">When it started (UTC).</param>
/// <param name="Error">The error as the run recorded it (message with secrets masked, line and column when known), or null.</param>
/// <param name="DeadLetter">Whether it was the last attempt of a trigger or schedule run (a dead letter).</param>
public sealed record RecentFunctionFailure(
    string Id, string Function, int Version, string Trigger, string Status, DateTimeOffset StartedAt, Functions.FunctionError? Error, bool DeadLetter);

/// <summary>The version of the running server build.</summary>
internal static class ServerVersion
{
    public static string Current { get; } =
        typeof(ServerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ServerVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
