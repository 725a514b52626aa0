using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Server.Storage.Filters;

/// <summary>
/// MongoDB's comparison order for JSON values, the one order used by filters, sorts and cursors:
/// missing/null &lt; numbers &lt; strings &lt; objects &lt; arrays &lt; booleans. Within a type:
/// numbers numerically (integers and doubles compared exactly, so 1 == 1.0), strings by Unicode code
/// point (the same as UTF-8 byte order, which is what SQLite's BINARY collation and MongoDB use),
/// objects field by field in document order (value type, then name, then value; a prefix sorts first),
/// arrays element by element (a prefix sorts first), false before true.
/// Equality is exactly <c>Compare(x, y) == 0</c>; a C# null node (missing or JSON null) is null.
/// </summary>
public static class JsonValueOrder
{
    /// <summary>Rank of a value's type in the order: 1 null, 2 number, 3 string, 4 object, 5 array, 6 boolean.</summary>
    public static int TypeRank(JsonNode? value) => value switch
    {
        null => 1,
        JsonObject => 4,
        JsonArray => 5,
        _ => value.GetValueKind() switch
        {
            JsonValueKind.Number => 2,
            JsonValueKind.String => 3,
            JsonValueKind.True or JsonValueKind.False => 6,
            _ => 1,
        },
    };

    /// <summary>Rank of an element's type (see <see cref="TypeRank(JsonNode?)"/>); undefined counts as null.</summary>
    public static int TypeRank(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => 2,
        JsonValueKind.String => 3,
        JsonValueKind.Object => 4,
        JsonValueKind.Array => 5,
        JsonValueKind.True or JsonValueKind.False => 6,
        _ => 1,
    };

    /// <summary>Negative, zero or positive as <paramref name="x"/> sorts before, with, or after <paramref name="y"/>.</summary>
    public static int Compare(JsonNode? x, JsonNode? y)
    {
        var rankX = TypeRank(x);
        var rankY = TypeRank(y);
        if (rankX != rankY)
        {
            return rankX.CompareTo(rankY);
        }

        switch (rankX)
        {
            case 1:
                return 0;
            case 2:
                return CompareNumbers(ReadNumber(x!.AsValue()), ReadNumber(y!.AsValue()));
            case 3:
                return CompareStrings(x!.GetValue<string>(), y!.GetValue<string>());
            case 4:
                return CompareObjects(x!.AsObject(), y!.AsObject());
            case 5:
                return CompareArrays(x!.AsArray(), y!.AsArray());
            default:
                return (x!.GetValueKind() == JsonValueKind.True).CompareTo(y!.GetValueKind() == JsonValueKind.True);
        }
    }

    /// <summary>Compares two elements in the same order as <see cref="Compare(JsonNode?, JsonNode?)"/>.</summary>
    public static int Compare(JsonElement x, JsonElement y) => Compare(ToNode(x), ToNode(y));

    /// <summary>True when the values are equal in this order (1 == 1.0; objects equal only with the same field order).</summary>
    public static bool AreEqual(JsonNode? x, JsonNode? y) => Compare(x, y) == 0;

    /// <summary>Strings by Unicode code point, which equals UTF-8 byte order (UTF-16 ordinal order differs above U+D7FF).</summary>
    public static int CompareStrings(string x, string y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a != b)
            {
                return CodePointRank(a).CompareTo(CodePointRank(b));
            }
        }

        return x.Length.CompareTo(y.Length);
    }

    /// <summary>
    /// The value a document sorts by for <paramref name="path"/>: followed through objects (and numeric
    /// segments into arrays); missing, or a path that runs into a non-object, is null.
    /// </summary>
    public static JsonNode? GetSortValue(JsonObject document, string path)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(path);
        JsonNode? current = document;
        foreach (var segment in path.Split('.'))
        {
            switch (current)
            {
                case JsonObject obj when obj.TryGetPropertyValue(segment, out var child):
                    current = child;
                    break;
                case JsonArray array when TryParseIndex(segment, out var index) && index < array.Count:
                    current = array[index];
                    break;
                default:
                    return null;
            }
        }

        return current;
    }

    /// <summary>Compares two documents by the sort keys, each ascending or descending.</summary>
    public static int CompareDocuments(JsonObject x, JsonObject y, IReadOnlyList<SortField> sort)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(sort);
        foreach (var key in sort)
        {
            var result = Compare(GetSortValue(x, key.Path), GetSortValue(y, key.Path));
            if (result != 0)
            {
                return key.Descending ? -result : result;
            }
        }

        return 0;
    }

    /// <summary>
    /// Compares a document with a keyset position (one value per sort key, as in
    /// <see cref="DocumentQuery.After"/>): positive when the document sorts after the position.
    /// </summary>
    public static int CompareToPosition(JsonObject document, IReadOnlyList<SortField> sort, IReadOnlyList<JsonElement> position)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(sort);
        ArgumentNullException.ThrowIfNull(position);
        if (position.Count != sort.Count)
        {
            throw new ArgumentException("The position needs one value per sort key.", nameof(position));
        }

        for (var i = 0; i < sort.Count; i++)
        {
            var result = Compare(GetSortValue(document, sort[i].Path), ToNode(position[i]));
            if (result != 0)
            {
                return sort[i].Descending ? -result : result;
            }
        }

        return 0;
    }

    /// <summary>A comparer of documents by the sort keys.</summary>
    public static IComparer<JsonObject> DocumentComparer(IReadOnlyList<SortField> sort)
    {
        ArgumentNullException.ThrowIfNull(sort);
        return Comparer<JsonObject>.Create((x, y) => CompareDocuments(x, y, sort));
    }

    /// <summary>A mutable node copy of an element (null for JSON null and undefined).</summary>
    public static JsonNode? ToNode(JsonElement value) =>
        value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : JsonSerializer.SerializeToNode(value);

    internal static bool TryParseIndex(string segment, out int index)
    {
        index = 0;
        if (segment.Length == 0 || segment.Length > 9)
        {
            return false;
        }

        foreach (var c in segment)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        index = int.Parse(segment, NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }

    internal static bool TryReadNumber(JsonNode? node, out JsonNumber number)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            number = ReadNumber(value);
            return true;
        }

        number = default;
        return false;
    }

    internal static JsonNumber ReadNumber(JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            return ReadNumber(element);
        }

        if (value.TryGetValue<long>(out var l))
        {
            return JsonNumber.FromInteger(l);
        }

        if (value.TryGetValue<int>(out var i))
        {
            return JsonNumber.FromInteger(i);
        }

        if (value.TryGetValue<double>(out var dbl))
        {
            return JsonNumber.FromDouble(dbl);
        }

        if (value.TryGetValue<short>(out var s))
        {
            return JsonNumber.FromInteger(s);
        }

        if (value.TryGetValue<byte>(out var b))
        {
            return JsonNumber.FromInteger(b);
        }

        if (value.TryGetValue<uint>(out var ui))
        {
            return JsonNumber.FromInteger(ui);
        }

        if (value.TryGetValue<ulong>(out var ul))
        {
            return ul <= long.MaxValue ? JsonNumber.FromInteger((long)ul) : JsonNumber.FromDouble(ul);
        }

        if (value.TryGetValue<float>(out var f))
        {
            return JsonNumber.FromDouble(f);
        }

        if (value.TryGetValue<decimal>(out var m))
        {
            return decimal.Truncate(m) == m && m >= long.MinValue && m <= long.MaxValue
                ? JsonNumber.FromInteger((long)m)
                : JsonNumber.FromDouble((double)m);
        }

        // Any other CLR number type: its JSON text is a number.
        using var document = JsonDocument.Parse(value.ToJsonString());
        return ReadNumber(document.RootElement);
    }

    private static JsonNumber ReadNumber(JsonElement element)
    {
        if (element.TryGetInt64(out var integer))
        {
            return JsonNumber.FromInteger(integer);
        }

        // Out-of-range literals (1e400) are not finite doubles for TryGetDouble; parse them as infinities.
        return JsonNumber.FromDouble(element.TryGetDouble(out var d)
            ? d
            : double.Parse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    internal static int CompareNumbers(JsonNumber x, JsonNumber y)
    {
        if (x.IsInteger && y.IsInteger)
        {
            return x.Integer.CompareTo(y.Integer);
        }

        if (!x.IsInteger && !y.IsInteger)
        {
            return x.Double.CompareTo(y.Double);
        }

        return x.IsInteger ? CompareIntegerToDouble(x.Integer, y.Double) : -CompareIntegerToDouble(y.Integer, x.Double);
    }

    // Exact: converting a large long to double would round, so compare against the double's integer part.
    private static int CompareIntegerToDouble(long integer, double value)
    {
        if (double.IsNaN(value))
        {
            return 1;
        }

        if (value >= 9223372036854775808.0)
        {
            return -1;
        }

        if (value < -9223372036854775808.0)
        {
            return 1;
        }

        var floor = Math.Floor(value);
        var whole = (long)floor;
        if (integer != whole)
        {
            return integer.CompareTo(whole);
        }

        return value > floor ? -1 : 0;
    }

    private static int CodePointRank(char c) => c switch
    {
        >= '\uE000' => c - 0x800,
        >= '\uD800' => c + 0x2000,
        _ => c,
    };

    private static int CompareObjects(JsonObject x, JsonObject y)
    {
        using var left = x.GetEnumerator();
        using var right = y.GetEnumerator();
        while (true)
        {
            var hasLeft = left.MoveNext();
            var hasRight = right.MoveNext();
            if (!hasLeft || !hasRight)
            {
                return hasLeft.CompareTo(hasRight);
            }

            var result = TypeRank(left.Current.Value).CompareTo(TypeRank(right.Current.Value));
            if (result == 0)
            {
                result = CompareStrings(left.Current.Key, right.Current.Key);
            }

            if (result == 0)
            {
                result = Compare(left.Current.Value, right.Current.Value);
            }

            if (result != 0)
            {
                return result;
            }
        }
    }

    private static int CompareArrays(JsonArray x, JsonArray y)
    {
        var length = Math.Min(x.Count, y.Count);
        for (var i = 0; i < length; i++)
        {
            var result = Compare(x[i], y[i]);
            if (result != 0)
            {
                return result;
            }
        }

        return x.Count.CompareTo(y.Count);
    }
}

/// <summary>A JSON number read exactly: a 64-bit integer when it is one, otherwise a double.</summary>
internal readonly record struct JsonNumber(bool IsInteger, long Integer, double Double)
{
    public static JsonNumber FromInteger(long value) => new(true, value, value);

    public static JsonNumber FromDouble(double value) => new(false, 0, value);
}
