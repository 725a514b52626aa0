using System.Text.RegularExpressions;

namespace Platform.Server.Common;

/// <summary>
/// Replaces the values of credential parameters in query strings (<c>?access_token=...</c>, <c>&amp;apikey=...</c>, and
/// any parameter whose name <see cref="SecretMasking.IsSecretName"/> calls a secret: <c>token</c>, <c>key</c>,
/// <c>password</c>, ...) with <see cref="Redacted"/>, wherever a query string appears in a text: a bare query string,
/// a URL, a request line in a log message. Names are compared as ASP.NET Core reads them (percent-decoded, any case),
/// so <c>ACCESS%5Ftoken=</c>, which authenticates like <c>access_token=</c>, is redacted too.
/// </summary>
public static partial class QueryStringRedaction
{
    /// <summary>What a redacted value reads as (OpenTelemetry's own word for a redacted query value).</summary>
    public const string Redacted = "Redacted";

    /// <summary>
    /// The text with every credential parameter's value redacted, or the same instance when it holds none (no
    /// allocation for the common case).
    /// </summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return HoldsCredential(text)
            ? Parameter().Replace(text, match => IsCredential(match.Groups["name"].Value) ? match.Groups["name"].Value + "=" + Redacted : match.Value)
            : text;
    }

    /// <summary>True when <see cref="Redact"/> would change <paramref name="text"/>.</summary>
    public static bool HoldsCredential(string? text)
    {
        if (text is null || !MayHoldParameters(text))
        {
            return false;
        }

        foreach (var match in Parameter().EnumerateMatches(text))
        {
            var parameter = text.AsSpan(match.Index, match.Length);
            if (IsCredential(parameter[..parameter.IndexOf('=')].ToString()))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MayHoldParameters(string text) => text.Contains('=', StringComparison.Ordinal) && text.AsSpan().IndexOfAny('?', '&') >= 0;

    private static bool IsCredential(string encodedName)
    {
        string name;
        try
        {
            name = Uri.UnescapeDataString(encodedName.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            name = encodedName;
        }

        return SecretMasking.IsSecretName(name.Trim());
    }

    // A name=value pair right after '?' or '&': the value runs to the next '&', '#', white space or quote (the end of
    // a URL inside a log message); an empty value is left as it is.
    [GeneratedRegex(@"(?<=[?&])(?<name>[^=&#?\s""']+)=(?<value>[^&#\s""']+)")]
    private static partial Regex Parameter();
}
