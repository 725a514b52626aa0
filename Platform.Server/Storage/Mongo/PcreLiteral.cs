using System.Text;

namespace Platform.Server.Storage.Mongo;

/// <summary>
/// Turns a string into a PCRE pattern that matches exactly that text. MongoDB runs <c>$regex</c>
/// through PCRE (PCRE2 from 6.1), where a backslash before any ASCII character that is not a letter
/// or digit always stands for that character itself, so every such character is escaped, not
/// only today's metacharacters. Letters, digits, <c>_</c> (a word character, never special) and
/// non-ASCII characters are literal as they are.
/// </summary>
internal static class PcreLiteral
{
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pattern = new StringBuilder(text.Length * 2);
        foreach (var c in text)
        {
            if (c == '\0')
            {
                // MongoDB refuses patterns containing a NUL byte; PCRE's hex escape matches one.
                pattern.Append(@"\x00");
            }
            else if (char.IsAscii(c) && !char.IsAsciiLetterOrDigit(c) && c != '_' && !char.IsControl(c))
            {
                pattern.Append('\\').Append(c);
            }
            else
            {
                pattern.Append(c);
            }
        }

        return pattern.ToString();
    }
}
