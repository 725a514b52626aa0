using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Server.Common;

/// <summary>
/// Integers given as JSON numbers, read by value as JSON Schema (draft 6 and later) and JavaScript read them: <c>5</c>,
/// <c>5.0</c> and <c>5e0</c> are the same integer (a JavaScript client sends whichever its number formats to), <c>5.5</c>
/// is none.
/// </summary>
public static class JsonIntegers
{
    /// <summary>
    /// Whether <paramref name="node"/> is a JSON number that is exactly an integer fitting in 64 bits (see
    /// <see cref="TryRead"/>); false for every other value, strings of digits included.
    /// </summary>
    public static bool TryGet(JsonNode? node, out long value)
    {
        value = 0;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        if (v.TryGetValue<long>(out value))
        {
            return true;
        }

        return TryRead(System.Text.Encoding.UTF8.GetBytes(v.ToJsonString()), out value);
    }

    /// <summary>
    /// Whether the JSON number <paramref name="text"/> (with a fraction or an exponent) is exactly an integer that fits in
    /// 64 bits, read from its digits (no rounding through a double: <c>1.0000000000000000001</c> is not one).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        var negative = text.Length > 0 && text[0] == (byte)'-';
        var rest = negative ? text[1..] : text;
        var exponentAt = rest.IndexOfAny((byte)'e', (byte)'E');
        var exponent = 0;
        if (exponentAt >= 0)
        {
            // A JSON exponent beyond what an int holds names no 64-bit integer anyway (or zero, which "0e-99999999999" is;
            // that rarity is left a number).
            if (!int.TryParse(rest[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
            {
                return false;
            }

            rest = rest[..exponentAt];
        }

        var point = rest.IndexOf((byte)'.');
        var whole = point < 0 ? rest : rest[..point];
        var fraction = point < 0 ? [] : rest[(point + 1)..];

        // value = digits(whole + fraction) * 10^(exponent - fraction.Length); trailing zeros move into the exponent.
        fraction = fraction.TrimEnd((byte)'0');
        var scale = exponent - fraction.Length;
        Span<byte> digits = stackalloc byte[20];
        var count = 0;
        foreach (var digit in whole.TrimStart((byte)'0'))
        {
            if (count == digits.Length)
            {
                return false;
            }

            digits[count++] = digit;
        }

        foreach (var digit in fraction)
        {
            if (count == 0 && digit == (byte)'0')
            {
                continue; // 0.05e2: leading zeros add nothing (the scale already counts their places)
            }

            if (count == digits.Length)
            {
                return false;
            }

            digits[count++] = digit;
        }

        if (count == 0)
        {
            return true; // 0.0, -0e5: zero
        }

        while (scale < 0 && digits[count - 1] == (byte)'0')
        {
            count--;
            scale++;
        }

        if (scale < 0 || count + scale > 19)
        {
            return false;
        }

        var magnitude = 0UL;
        for (var i = 0; i < count + scale; i++)
        {
            magnitude = (magnitude * 10) + (i < count ? (ulong)(digits[i] - '0') : 0);
        }

        if (magnitude > (negative ? 9223372036854775808UL : long.MaxValue))
        {
            return false;
        }

        value = negative ? unchecked(-(long)magnitude) : (long)magnitude;
        return true;
    }
}
