namespace Platform.Server.Hosting;

/// <summary>
/// Where the server reads <c>appsettings.json</c> and its web root from. ASP.NET Core takes the working directory,
/// which is right for <c>cd out &amp;&amp; dotnet Platform.Server.dll</c> but not for the ways this server is usually
/// started: <c>dotnet run --project Platform.Server</c> from the repository (README's quick start) and a published
/// server run by path (<c>dotnet /srv/baas/Platform.Server.dll</c>, <c>./out/Platform.Server</c>, a service without a
/// working directory). There the working directory has no <c>appsettings.json</c>, so its log levels were not read
/// (every request logged three Information lines) and a publish served no dashboard. Then the directory of the
/// server's assembly, which has the copied <c>appsettings.json</c>, is the content root instead.
/// </summary>
internal static class ContentRoot
{
    private const string SettingsFile = "appsettings.json";

    /// <summary>
    /// <paramref name="baseDirectory"/> when <paramref name="workingDirectory"/> has no <c>appsettings.json</c>, the base
    /// directory has one, and no content root was chosen (<c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c>,
    /// <c>DOTNET_CONTENTROOT</c>); otherwise null, which leaves ASP.NET Core's default (the working directory).
    /// </summary>
    public static string? Choose(string[] args, string workingDirectory, string baseDirectory, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var chosen = args.Any(a => a.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
            || !string.IsNullOrEmpty(environment("ASPNETCORE_CONTENTROOT"))
            || !string.IsNullOrEmpty(environment("DOTNET_CONTENTROOT"));
        if (chosen || File.Exists(Path.Combine(workingDirectory, SettingsFile)) || !File.Exists(Path.Combine(baseDirectory, SettingsFile)))
        {
            return null;
        }

        return baseDirectory;
    }
}
