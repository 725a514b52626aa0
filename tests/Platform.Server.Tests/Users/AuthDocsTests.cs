using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Platform.Server.Auth;
using Platform.Server.Users;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Users;

/// <summary>Keeps the configuration table of docs/auth.md honest: every key exists and its default is the real one.</summary>
public partial class AuthDocsTests
{
    [Fact]
    public void ConfigurationTable_NamesRealKeys_WithTheirDefaults()
    {
        var rows = ConfigurationRows().ToList();
        Assert.True(rows.Count >= 10, $"found only {rows.Count} keys");
        var defaults = new object[] { new AuthOptions(), new UserAuthOptions() };

        foreach (var (key, documented) in rows)
        {
            var value = Resolve(defaults, key[(AuthOptions.Section.Length + 1)..].Split(':'));
            Assert.True(value.Found, $"docs/auth.md documents {key}, which no options class has");
            Assert.True(documented == Format(value.Value), $"{key}: documented default {documented}, actual {Format(value.Value)}");
        }
    }

    private static IEnumerable<(string Key, string Default)> ConfigurationRows()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryFiles.Root(), "docs", "auth.md"));
        var start = Array.FindIndex(lines, l => l == "## Configuration");
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 4 || !cells[1].StartsWith("`Baas:", StringComparison.Ordinal))
            {
                continue;
            }

            var names = Code().Matches(cells[1]).Select(m => m.Groups[1].Value).ToList();
            var values = cells[2] == "—" ? [string.Empty] : Code().Matches(cells[2]).Select(m => m.Groups[1].Value).ToList();
            var first = names[0];
            var parent = first[..first.LastIndexOf(':')];
            for (var i = 0; i < names.Count; i++)
            {
                var key = i == 0 ? first : $"{parent}:{names[i]}";
                yield return (key, values.Count == names.Count ? values[i] : values[0]);
            }
        }
    }

    private static (bool Found, object? Value) Resolve(object[] roots, string[] path)
    {
        foreach (var root in roots)
        {
            object? current = root;
            var found = true;
            foreach (var segment in path)
            {
                var property = current?.GetType().GetProperty(segment, BindingFlags.Public | BindingFlags.Instance);
                if (property is null)
                {
                    found = false;
                    break;
                }

                current = property.GetValue(current);
            }

            if (found)
            {
                return (true, current);
            }
        }

        return (false, null);
    }

    private static string Format(object? value) => value switch
    {
        null => string.Empty,
        bool b => b ? "true" : "false",
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();
}
