using System.Text.RegularExpressions;

namespace Platform.Server.Hosting;

/// <summary>
/// The match timeout of every regular expression in the process that does not set its own. A collection schema's
/// <c>pattern</c> and <c>patternProperties</c> run in NJsonSchema's <c>Regex.IsMatch(value, pattern)</c>, which takes no
/// timeout: a backtracking pattern such as <c>^(a+)+$</c> held a core for seconds to hours per write of a 20-40
/// character string, and any caller the create or update rule lets write could send one. The runtime reads this once,
/// when the first <see cref="Regex"/> is made, so <see cref="Apply"/> is the first thing Program.cs does.
/// </summary>
public static class RegexDefaults
{
    /// <summary>
    /// One second: a linear pattern checks a 1 MiB string in milliseconds, so only a catastrophic one reaches it.
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Sets <see cref="MatchTimeout"/> as the process's default (the <c>REGEX_DEFAULT_MATCH_TIMEOUT</c> switch).</summary>
    public static void Apply() => AppContext.SetData("REGEX_DEFAULT_MATCH_TIMEOUT", MatchTimeout);
}
