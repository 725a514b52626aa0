using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Platform.Server.Functions.Runs;

/// <summary>
/// Replaces every whole occurrence of a secret value with <see cref="Mask"/> in what a run leaves behind (logs,
/// error, rejection, result): the value as it is, and the forms a script gets without trying to hide it
/// (<see cref="FormsOf"/>): JSON-escaped (<c>JSON.stringify(ctx.env)</c>, once or twice), URL-encoded
/// (<c>encodeURIComponent</c>, <c>encodeURI</c>, form encoding) and Base64 (a script's own encoder, also inside a longer encoded
/// text such as a Basic authorization header). Values shorter than <see cref="MinLength"/> are not masked: masking "1"
/// or "on" would garble every log without hiding anything worth hiding. Pure and thread-safe.
/// </summary>
public sealed class SecretMasker
{
    public const string Mask = "***";

    /// <summary>Shorter secret values are left alone.</summary>
    public const int MinLength = 4;

    /// <summary>
    /// A Base64 run shorter than this is not masked: it could be any few characters of an unrelated Base64 text (a
    /// secret of 7 bytes or more has one at every alignment).
    /// </summary>
    public const int MinBase64Length = 8;

    private readonly string[] _values;

    public SecretMasker(IEnumerable<string> secretValues)
    {
        ArgumentNullException.ThrowIfNull(secretValues);

        // Longest first, so a secret that contains another (or a form that contains the value) is masked whole.
        _values = [.. secretValues.Where(v => v.Length >= MinLength).SelectMany(FormsOf).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];
    }

    public bool IsEmpty => _values.Length == 0;

    public string Apply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var value in _values)
        {
            if (text.Contains(value, StringComparison.Ordinal))
            {
                text = text.Replace(value, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>A copy of <paramref name="node"/> with secrets masked in every string and property name.</summary>
    public JsonNode? Apply(JsonNode? node)
    {
        if (node is null || IsEmpty)
        {
            return node?.DeepClone();
        }

        switch (node)
        {
            case JsonObject obj:
            {
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    var name = Apply(key);
                    copy[name] = Apply(value);
                }

                return copy;
            }

            case JsonArray array:
                return new JsonArray([.. array.Select(Apply)]);
            case JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String:
                return JsonValue.Create(Apply(value.GetValue<string>()));
            default:
                return node.DeepClone();
        }
    }

    /// <summary>
    /// The texts that show <paramref name="secret"/>: itself, its JSON string escaping as JavaScript's
    /// <c>JSON.stringify</c> writes it (and that escaped again, for JSON logged inside JSON), its URL encodings, and
    /// the Base64 characters that only its bytes decide, at each of the three byte alignments.
    /// </summary>
    internal static IEnumerable<string> FormsOf(string secret)
    {
        yield return secret;
        var escaped = JsonEscaped(secret);
        yield return escaped;
        yield return JsonEscaped(escaped);
        var component = PercentEncoded(secret, "-_.!~*'()");
        yield return component;
        yield return LowerHex(component);
        yield return PercentEncoded(secret, "-_.!~*'();/?:@&=+$,#");
        yield return PercentEncoded(secret, "-_.~");
        yield return PercentEncoded(secret, "-_.*", spaceAsPlus: true);
        foreach (var core in Base64Cores(Encoding.UTF8.GetBytes(secret)))
        {
            yield return core;
            yield return core.Replace('+', '-').Replace('/', '_');
        }
    }

    // ECMAScript QuoteJSONString (what JSON.stringify writes, Jint included), without the quotes.
    private static string JsonEscaped(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    var pairedSurrogate = char.IsHighSurrogate(c) ? i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])
                        : char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1]);
                    if (c < ' ' || (char.IsSurrogate(c) && !pairedSurrogate))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    // UTF-8 percent-encoding with upper-case hex, leaving ASCII letters, digits and `unreserved` as they are.
    private static string PercentEncoded(string text, string unreserved, bool spaceAsPlus = false)
    {
        var builder = new StringBuilder(text.Length * 3);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || (b < 0x80 && unreserved.Contains((char)b, StringComparison.Ordinal)))
            {
                builder.Append((char)b);
            }
            else if (spaceAsPlus && b == ' ')
            {
                builder.Append('+');
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    // The same percent-encoding with lower-case hex digits (%2f), which some encoders write.
    private static string LowerHex(string encoded)
    {
        var chars = encoded.ToCharArray();
        for (var i = 0; i + 2 < chars.Length; i++)
        {
            if (chars[i] == '%')
            {
                chars[i + 1] = char.ToLowerInvariant(chars[i + 1]);
                chars[i + 2] = char.ToLowerInvariant(chars[i + 2]);
            }
        }

        return new string(chars);
    }

    /// <summary>
    /// For the secret's bytes starting at offset 0, 1 and 2 (mod 3) of an encoded text, the Base64 characters whose six
    /// bits all come from the secret: they appear whatever bytes come before and after it.
    /// </summary>
    private static IEnumerable<string> Base64Cores(byte[] secret)
    {
        for (var offset = 0; offset < 3; offset++)
        {
            var padded = new byte[offset + secret.Length];
            secret.CopyTo(padded, offset);
            var encoded = Convert.ToBase64String(padded);
            var first = ((8 * offset) + 5) / 6;
            var last = ((8 * (offset + secret.Length)) / 6) - 1;
            if (last - first + 1 >= MinBase64Length)
            {
                yield return encoded[first..(last + 1)];
            }
        }
    }
}
