using System.Globalization;
using Microsoft.Extensions.Primitives;
using Platform.Server.Common;

namespace Platform.Server.Documents;

/// <summary>ETags are the document version in quotes: <c>"3"</c>.</summary>
public static class Preconditions
{
    public static string ETag(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    /// <summary>
    /// What a weak tag in <c>If-Match</c> (or a batch op's <c>ifMatch</c>) stands for: a version no document has, so the
    /// write answers 412 with the current version. If-Match uses the strong comparison, under which a weak entity-tag
    /// never matches (RFC 9110, sections 8.8.3.2 and 13.1.1); reading <c>W/"3"</c> as <c>"3"</c> would let a client
    /// that holds only a weak validator overwrite a document it has not seen byte for byte.
    /// </summary>
    public const long NeverMatches = 0;

    /// <summary>
    /// Parses <c>If-Match</c>: a version (<c>"3"</c> or <c>3</c>), a weak tag (<c>W/"3"</c>, which never matches:
    /// <see cref="NeverMatches"/>) or <c>*</c> (any existing document, the same as no precondition for writes that need
    /// one anyway). Null when absent.
    /// </summary>
    public static long? ParseIfMatch(StringValues header) => Parse(header, "If-Match");

    /// <summary>Whether <c>If-Match</c> is <c>*</c>: any current document, so none (an upsert's create) fails it.</summary>
    public static bool IfMatchIsAny(StringValues header) => !StringValues.IsNullOrEmpty(header) && header.ToString().Trim() == "*";

    /// <summary>
    /// Whether <c>If-None-Match</c> holds a tag of <paramref name="version"/> (so a read answers 304): <c>*</c> (any
    /// existing document), or a comma-separated list of tags (RFC 9110, section 13.1.2) of which one names it, weak or
    /// strong. An entry that is not a version is a 400 naming the header.
    /// </summary>
    public static bool IfNoneMatchHolds(StringValues header, long version)
    {
        if (StringValues.IsNullOrEmpty(header))
        {
            return false;
        }

        var matched = false;
        foreach (var entry in header.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            matched |= entry == "*" || ParseVersion(entry, "If-None-Match") == version;
        }

        return matched;
    }

    /// <summary>
    /// Parses an <c>If-Match</c> value or a batch op's <c>ifMatch</c> (string or number) for a write: a version, or
    /// <see cref="NeverMatches"/> for a weak tag.
    /// </summary>
    public static long ParseIfMatchVersion(string text, string field)
    {
        var version = ParseVersion(text, field);
        return text.TrimStart().StartsWith("W/", StringComparison.Ordinal) ? NeverMatches : version;
    }

    /// <summary>Parses one tag for the weak comparison (<c>If-None-Match</c>): <c>W/"3"</c> and <c>"3"</c> both name version 3.</summary>
    public static long ParseVersion(string text, string field) =>
        TryParse(text, out var version)
            ? version
            : throw new InvalidInputException("invalid_precondition", $"'{text}' is not a document version (an ETag such as \"3\").", field);

    private static long? Parse(StringValues header, string name)
    {
        if (StringValues.IsNullOrEmpty(header))
        {
            return null;
        }

        var value = header.ToString().Trim();
        if (value == "*")
        {
            return null;
        }

        return ParseIfMatchVersion(value, name);
    }

    private static bool TryParse(string text, out long version)
    {
        var value = text.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        value = value.Trim('"');
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out version) && version > 0;
    }
}
