using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Platform.Server.Common;

/// <summary>
/// The input rules every JSON text from a client obeys (DESIGN.md section 4, "Input"), checked in one pass over
/// the UTF-8 text before anything is built from it: object keys are unique at every depth (System.Text.Json
/// would keep the last one or throw deep inside a handler) and every string and key is valid Unicode, with no
/// lone UTF-16 surrogate escaped as <c>\uD800</c> (it has no UTF-8 form, so no store could hold it).
/// </summary>
public static class JsonInput
{
    /// <summary>Code of a repeated object key.</summary>
    public const string DuplicateKey = "duplicate_key";

    /// <summary>Code of a lone surrogate or invalid UTF-8 in a string or key.</summary>
    public const string InvalidUnicode = "invalid_unicode";

    /// <summary>Code of a number outside the range of an IEEE double (<c>1e400</c>).</summary>
    public const string InvalidNumber = "invalid_number";

    // The shortest number token that can overflow a double without an exponent has 309 digits.
    private const int OverflowFreeDigits = 308;

    /// <summary>
    /// Checks <paramref name="utf8"/>. Throws <see cref="InvalidInputException"/> (400 <c>duplicate_key</c> naming
    /// the JSON path of the repeated key, or 400 <c>invalid_unicode</c> with the byte offset of the string) and lets
    /// <see cref="JsonException"/> through for malformed or too-deep text, so that each caller reports it in its terms.
    /// </summary>
    /// <param name="utf8">The JSON text.</param>
    /// <param name="maxDepth">Deepest nesting accepted, as <see cref="JsonDocumentOptions.MaxDepth"/>.</param>
    /// <param name="root">Prefix of every reported path (e.g. <c>filter</c>); null for a request body.</param>
    public static void Validate(ReadOnlySpan<byte> utf8, int maxDepth, string? root = null)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth });
        var frames = new List<Frame>();
        var depth = 0;
        while (reader.Read())
        {
            var parent = depth > 0 ? frames[depth - 1] : null;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                {
                    var name = ReadString(ref reader, frames, depth, root, isKey: true);
                    parent!.Property = name;
                    if (!parent.Keys!.Add(name))
                    {
                        throw new InvalidInputException(
                            DuplicateKey,
                            $"The key '{Printable(name)}' appears twice in the same object; keys must be unique.",
                            Path(frames, depth, root),
                            position: (int)reader.TokenStartIndex);
                    }

                    continue;
                }

                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                {
                    parent?.NextElement();
                    if (frames.Count == depth)
                    {
                        frames.Add(new Frame());
                    }

                    frames[depth].Reset(reader.TokenType == JsonTokenType.StartObject);
                    depth++;
                    continue;
                }

                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    depth--;
                    continue;
                case JsonTokenType.String:
                    parent?.NextElement();
                    ReadString(ref reader, frames, depth, root, isKey: false);
                    continue;
                case JsonTokenType.Number:
                    parent?.NextElement();
                    CheckNumber(ref reader, frames, depth, root);
                    continue;
                default:
                    parent?.NextElement();
                    continue;
            }
        }
    }

    /// <summary>Checks a parsed value (e.g. a realtime subscription's filter, which another parser produced) by its text.</summary>
    public static void Validate(JsonElement value, int maxDepth, string? root = null)
    {
        // The raw text keeps what a parsed tree hides: repeated keys and escaped surrogates.
        Validate(Encoding.UTF8.GetBytes(value.GetRawText()), maxDepth, root);
    }

    private static string ReadString(ref Utf8JsonReader reader, List<Frame> frames, int depth, string? root, bool isKey)
    {
        var position = (int)reader.TokenStartIndex;
        if (!reader.ValueIsEscaped)
        {
            if (!Utf8.IsValid(reader.ValueSpan))
            {
                throw Invalid(frames, depth, root, isKey, position, "is not valid UTF-8");
            }

            return isKey ? reader.GetString()! : string.Empty;
        }

        string text;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Invalid(frames, depth, root, isKey, position, "holds a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair)");
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsSurrogate(text[i]))
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }

                throw Invalid(frames, depth, root, isKey, position, "holds a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair)");
            }
        }

        return text;
    }

    // Every number is an integer within 64 bits or an IEEE double (docs/storage.md). 1e400 is neither: MongoDB's driver
    // cannot hold it (it was a 500 there) while SQLite kept the text and its JSON functions read it as infinity, so the
    // providers disagreed. No JSON writer produces it (JavaScript's JSON.stringify writes Infinity as null).
    private static void CheckNumber(ref Utf8JsonReader reader, List<Frame> frames, int depth, string? root)
    {
        var text = reader.ValueSpan;
        if (text.Length <= OverflowFreeDigits && text.IndexOfAny((byte)'e', (byte)'E') < 0)
        {
            return;
        }

        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value))
        {
            return;
        }

        var position = (int)reader.TokenStartIndex;
        var shown = text.Length > 40 ? Encoding.UTF8.GetString(text[..32]) + "..." : Encoding.UTF8.GetString(text);
        throw new InvalidInputException(
            InvalidNumber,
            $"The number {shown} at byte {position} is outside the range of a double (about ±1.8e308); numbers are 64-bit integers or IEEE doubles.",
            Path(frames, depth, root),
            position: position);
    }

    private static InvalidInputException Invalid(List<Frame> frames, int depth, string? root, bool isKey, int position, string problem) =>
        new(
            InvalidUnicode,
            $"A JSON {(isKey ? "key" : "string")} at byte {position} {problem}; text must be valid Unicode.",
            isKey ? Path(frames, depth - 1, root) : Path(frames, depth, root),
            position: position);

    // The path of the value being read: each open container's current key or index.
    private static string Path(List<Frame> frames, int depth, string? root)
    {
        var builder = new StringBuilder(root);
        for (var i = 0; i < depth; i++)
        {
            frames[i].AppendTo(builder);
        }

        return builder.Length == 0 ? "body" : builder.ToString();
    }

    /// <summary>
    /// Keys in messages: control characters shown as <c>\uXXXX</c> so a message is one readable line, and invisible format
    /// characters (zero-width, bidirectional controls; Unicode category Cf) too, so a message shows what was sent instead of
    /// reordering or hiding the text around it where it is displayed.
    /// </summary>
    internal static string Printable(string text)
    {
        if (!text.Any(c => char.IsControl(c) || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            var hidden = char.IsControl(c)
                || (pair ? CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1])) : CharUnicodeInfo.GetUnicodeCategory(c)) == UnicodeCategory.Format;
            if (!hidden)
            {
                builder.Append(c);
                if (pair)
                {
                    builder.Append(text[++i]);
                }

                continue;
            }

            builder.Append($"\\u{(int)c:x4}");
            if (pair)
            {
                builder.Append($"\\u{(int)text[++i]:x4}");
            }
        }

        return builder.ToString();
    }

    private sealed class Frame
    {
        public HashSet<string>? Keys { get; private set; }

        public string? Property { get; set; }

        private int _index = -1;

        private bool _isObject;

        public void Reset(bool isObject)
        {
            _isObject = isObject;
            _index = -1;
            Property = null;
            if (isObject)
            {
                Keys ??= new HashSet<string>(StringComparer.Ordinal);
                Keys.Clear();
            }
        }

        public void NextElement()
        {
            if (!_isObject)
            {
                _index++;
            }
        }

        public void AppendTo(StringBuilder builder)
        {
            if (_isObject)
            {
                if (builder.Length > 0)
                {
                    builder.Append('.');
                }

                builder.Append(Property);
            }
            else
            {
                builder.Append('[').Append(_index).Append(']');
            }
        }
    }
}
