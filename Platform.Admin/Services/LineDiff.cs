namespace Platform.Admin.Services;

/// <summary>One line of a diff: <c>' '</c> in both, <c>'-'</c> only in the old text, <c>'+'</c> only in the new one.</summary>
public sealed record TextDiffLine(char Kind, string Text);

/// <summary>A line diff (longest common subsequence after trimming the common start and end).</summary>
public static class LineDiff
{
    /// <summary>The largest middle part (old lines × new lines) that is diffed; beyond it, <see cref="Compute"/> answers null.</summary>
    public const long MaxCells = 4_000_000;

    /// <summary>The lines of <paramref name="newText"/> against <paramref name="oldText"/>, or null when the texts differ in too many lines to diff here.</summary>
    public static IReadOnlyList<TextDiffLine>? Compute(string oldText, string newText)
    {
        ArgumentNullException.ThrowIfNull(oldText);
        ArgumentNullException.ThrowIfNull(newText);
        var a = Split(oldText);
        var b = Split(newText);
        var start = 0;
        while (start < a.Length && start < b.Length && a[start] == b[start])
        {
            start++;
        }

        var endA = a.Length;
        var endB = b.Length;
        while (endA > start && endB > start && a[endA - 1] == b[endB - 1])
        {
            endA--;
            endB--;
        }

        var n = endA - start;
        var m = endB - start;
        if ((long)n * m > MaxCells)
        {
            return null;
        }

        // lcs[i, j] = length of the common subsequence of a[start+i..endA) and b[start+j..endB).
        var lcs = new int[n + 1, m + 1];
        for (var i = n - 1; i >= 0; i--)
        {
            for (var j = m - 1; j >= 0; j--)
            {
                lcs[i, j] = a[start + i] == b[start + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var result = new List<TextDiffLine>(a.Length + m);
        for (var k = 0; k < start; k++)
        {
            result.Add(new TextDiffLine(' ', a[k]));
        }

        int x = 0, y = 0;
        while (x < n || y < m)
        {
            if (x < n && y < m && a[start + x] == b[start + y])
            {
                result.Add(new TextDiffLine(' ', a[start + x]));
                x++;
                y++;
            }
            else if (y < m && (x == n || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                result.Add(new TextDiffLine('+', b[start + y]));
                y++;
            }
            else
            {
                result.Add(new TextDiffLine('-', a[start + x]));
                x++;
            }
        }

        for (var k = endA; k < a.Length; k++)
        {
            result.Add(new TextDiffLine(' ', a[k]));
        }

        return result;
    }

    private static string[] Split(string text) => text.ReplaceLineEndings("\n").Split('\n');
}
