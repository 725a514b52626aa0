using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Platform.Server.Common;

/// <summary>
/// Hides secrets in what the server shows admins (effective settings, audit entries). A value is a secret when its key
/// is on <see cref="SecretKeys"/> or its name matches <see cref="IsSecretName"/> (password, secret, token, key, credential,
/// connection string...); connection strings keep their shape with only the credentials replaced.
/// </summary>
public static partial class SecretMasking
{
    /// <summary>What a masked value reads as.</summary>
    public const string Mask = "***";

    /// <summary>Configuration keys that always hold secrets, whatever their name says (case-insensitive).</summary>
    public static readonly IReadOnlySet<string> SecretKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Baas:Admin:Password",
        "Baas:Email:Smtp:Password",
        "Baas:Email:Smtp:Username",
        "Baas:Storage:ConnectionString",
        "Baas:Auth:SigningKey",
    };

    /// <summary>True when a key's last segment names a secret: password, passwd, pwd, secret, token (not lifetimes), api key, private/signing key, credential(s), or ends in "Key".</summary>
    public static bool IsSecretName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var last = name[(name.LastIndexOf(':') + 1)..];
        return SecretName().IsMatch(last) && !NotSecretName().IsMatch(last);
    }

    /// <summary>True when a value under <paramref name="key"/> (a configuration path or a JSON field name) must not be shown.</summary>
    public static bool IsSecret(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return SecretKeys.Contains(key) || IsSecretName(key);
    }

    /// <summary>True for keys that hold connection strings, whose credentials are masked but whose hosts are shown.</summary>
    public static bool IsConnectionString(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase) || key.Contains("ConnectionStrings:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A connection string with its credentials replaced: <c>mongodb://user:***@host</c> (URI form) and
    /// <c>Password=***</c>, <c>Pwd=***</c>, <c>User Id=***</c> (key=value form).
    /// </summary>
    public static string MaskConnectionString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var masked = UriCredentials().Replace(value, m => m.Groups["scheme"].Value + Mask + "@");
        return KeyValueCredentials().Replace(masked, m => m.Groups["key"].Value + "=" + Mask);
    }

    /// <summary>A copy of <paramref name="node"/> with the value of every secret-named field (at any depth) replaced by <see cref="Mask"/>.</summary>
    public static JsonNode? MaskJson(JsonNode? node) => node switch
    {
        JsonObject obj => MaskObject(obj),
        JsonArray array => new JsonArray([.. array.Select(MaskJson)]),
        _ => node?.DeepClone(),
    };

    private static JsonObject MaskObject(JsonObject obj)
    {
        var result = new JsonObject();
        foreach (var (name, value) in obj)
        {
            result[name] = value switch
            {
                null => null,
                JsonValue v when IsConnectionString(name) && v.TryGetValue<string>(out var text) => MaskConnectionString(text),
                JsonValue when IsSecretName(name) => Mask,
                _ => MaskJson(value),
            };
        }

        return result;
    }

    [GeneratedRegex(@"(?i)(password|passwd|pwd|secret|token|apikey|api_key|credential|privatekey|signingkey|key$|keys$|hash$|connectionstring)")]
    private static partial Regex SecretName();

    // Names that match a pattern above but hold no secret: lifetimes, limits, intervals and counts of tokens or keys.
    [GeneratedRegex(@"(?i)(lifetime|duration|interval|length|max|min|count|limit|timeout|cache|requir|uniquechars|fields|prefix|indexes)")]
    private static partial Regex NotSecretName();

    [GeneratedRegex(@"(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")]
    private static partial Regex UriCredentials();

    [GeneratedRegex(@"(?i)(?<key>password|pwd|user id|uid|username|user)\s*=\s*[^;]*")]
    private static partial Regex KeyValueCredentials();
}
