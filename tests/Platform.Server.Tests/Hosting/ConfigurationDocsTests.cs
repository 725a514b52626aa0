using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Platform.Server.Hosting;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Hosting;

/// <summary>
/// Every setting the server binds is documented, in README.md's configuration table or in a "key | default" table of a
/// docs page, and every default those tables show is the default the options class really has.
/// </summary>
public sealed partial class ConfigurationDocsTests
{
    [Fact]
    public void EverySetting_IsInAConfigurationTable()
    {
        var documented = DocumentedRows().SelectMany(row => row.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = Settings().Keys.Where(key => !documented.Contains(key)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "Settings in no configuration table of README.md or docs/: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryDocumentedDefault_IsTheRealDefault()
    {
        var settings = Settings();
        var wrong = new List<string>();
        var checkedCount = 0;
        foreach (var row in DocumentedRows())
        {
            // One default for several keys (`—` for a group), or one per key; anything else is prose, not checked.
            if (row.Defaults.Count != row.Keys.Count && row.Defaults.Count != 1)
            {
                continue;
            }

            for (var i = 0; i < row.Keys.Count; i++)
            {
                var text = row.Defaults.Count == 1 ? row.Defaults[0] : row.Defaults[i];
                if (text is null || !settings.TryGetValue(row.Keys[i], out var setting))
                {
                    continue;
                }

                checkedCount++;
                if (!Matches(setting, text))
                {
                    wrong.Add($"{row.File}: {row.Keys[i]} is documented as '{text}' but defaults to '{Format(setting.Default)}'");
                }
            }
        }

        Assert.True(checkedCount > 150, $"Only {checkedCount} documented defaults were read: the table parser misses some.");
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    private static bool Matches(Setting setting, string text)
    {
        if (text == "—")
        {
            return setting.Default is null || setting.Default is string { Length: 0 };
        }

        var type = Nullable.GetUnderlyingType(setting.Type) ?? setting.Type;
        var converter = TypeDescriptor.GetConverter(type);
        if (!converter.CanConvertFrom(typeof(string)))
        {
            return true;
        }

        object? documented;
        try
        {
            documented = converter.ConvertFromInvariantString(text);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException || e.InnerException is FormatException or OverflowException)
        {
            return false;
        }

        return Equals(documented, setting.Default);
    }

    private static string Format(object? value) => value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value?.ToString() ?? "null";

    private sealed record Setting(Type Type, object? Default);

    private sealed record Row(string File, List<string> Keys, List<string?> Defaults);

    // Every bindable leaf under Baas (what SettingsSchema knows), with the value a new options object holds.
    private static Dictionary<string, Setting> Settings()
    {
        var settings = new Dictionary<string, Setting>(StringComparer.OrdinalIgnoreCase);
        foreach (var type in SettingsSchema.ServerOptionsTypes)
        {
            var section = (string)type.GetField("Section", BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;
            Add(section, type, Activator.CreateInstance(type), 0);
        }

        Assert.True(settings.Count > 150, $"Only {settings.Count} settings found.");
        return settings;

        void Add(string path, Type type, object? instance, int depth)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length > 0 || property.SetMethod is not { IsPublic: true })
                {
                    continue;
                }

                var key = path + ":" + property.Name;
                var value = instance is null ? null : property.GetValue(instance);
                var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                var scalar = propertyType == typeof(string) || propertyType.IsPrimitive || propertyType.IsEnum
                    || TypeDescriptor.GetConverter(propertyType).CanConvertFrom(typeof(string));
                if (scalar || typeof(IEnumerable).IsAssignableFrom(propertyType) || depth >= 6)
                {
                    settings[key] = new Setting(property.PropertyType, value);
                }
                else
                {
                    Add(key, propertyType, value, depth + 1);
                }
            }
        }
    }

    // The rows of every table whose second column is "default" in README.md and docs/*.md whose first cell names a
    // `Baas:` key. `Baas:A:B` / `C` in the first cell: C replaces the last segment; `Require*` stands for every setting
    // of that section starting so. The default cell holds one value per key, separated by " / "; a value is the text in
    // backticks, or `—` for none; prose (such as "cores") is not compared.
    private static IEnumerable<Row> DocumentedRows()
    {
        var settings = Settings().Keys.ToList();
        var root = RepositoryFiles.Root();
        var files = new[] { Path.Combine(root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md"));
        foreach (var file in files)
        {
            var inDefaultsTable = false;
            foreach (var line in File.ReadLines(file))
            {
                if (!line.StartsWith('|'))
                {
                    inDefaultsTable = false;
                    continue;
                }

                var cells = line.Split('|');
                if (cells.Length < 4)
                {
                    continue;
                }

                if (cells[2].Trim() == "default")
                {
                    inDefaultsTable = true;
                    continue;
                }

                if (!inDefaultsTable || !cells[1].TrimStart().StartsWith("`Baas:", StringComparison.Ordinal))
                {
                    continue;
                }

                var keys = new List<string>();
                string? prefix = null;
                foreach (Match match in Code().Matches(cells[1]))
                {
                    var key = match.Groups[1].Value;
                    if (key.StartsWith("Baas:", StringComparison.Ordinal))
                    {
                        prefix = key[..key.LastIndexOf(':')];
                    }
                    else
                    {
                        key = prefix + ":" + key;
                    }

                    if (key.EndsWith('*'))
                    {
                        keys.AddRange(settings.Where(s => s.StartsWith(key[..^1], StringComparison.OrdinalIgnoreCase)));
                    }
                    else
                    {
                        keys.Add(key);
                    }
                }

                var defaults = cells[2].Split(" / ").Select(part => part.Trim()).Select(part =>
                    part.StartsWith('—') ? "—" : Code().Match(part) is { Success: true } code ? code.Groups[1].Value : null).ToList();
                yield return new Row(Path.GetFileName(file), keys, defaults);
            }
        }
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();
}
