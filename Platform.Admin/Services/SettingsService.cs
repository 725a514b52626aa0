using System.Globalization;
using System.Text.Json.Nodes;
using Platform.Sdk;

namespace Platform.Admin.Services;

/// <summary>One effective setting: its configuration key (<c>Baas:Auth:AdminTokenLifetime</c>) and value.</summary>
/// <param name="Key">The key, sections joined by <c>:</c> (array items by their index).</param>
/// <param name="Value">The value as text (<c>***</c> for a masked secret, empty for null).</param>
/// <param name="Masked">True when the server masked the value.</param>
public sealed record SettingRow(string Key, string Value, bool Masked);

/// <summary>The server's effective settings (secrets masked by the server), flattened to rows.</summary>
public class SettingsService(BaasClient client)
{
    public const string Mask = "***";

    public virtual async Task<IReadOnlyList<SettingRow>> ListAsync(CancellationToken cancellationToken = default) =>
        Flatten(await client.Admin.Settings.GetAsync(cancellationToken));

    /// <summary>Every leaf of <paramref name="settings"/> as a row, sorted by key.</summary>
    public static IReadOnlyList<SettingRow> Flatten(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var rows = new List<SettingRow>();
        Walk(settings, null, rows);
        rows.Sort((a, b) => StringComparer.OrdinalIgnoreCase.Compare(a.Key, b.Key));
        return rows;
    }

    /// <summary>The rows whose key or value contains <paramref name="search"/> (case-insensitive).</summary>
    public static IEnumerable<SettingRow> Filter(IEnumerable<SettingRow> rows, string? search) =>
        string.IsNullOrWhiteSpace(search)
            ? rows
            : rows.Where(r => r.Key.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase) || r.Value.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase));

    private static void Walk(JsonNode? node, string? prefix, List<SettingRow> rows)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (key, value) in obj)
                {
                    Walk(value, prefix is null ? key : prefix + ":" + key, rows);
                }

                break;
            case JsonArray array when array.Count > 0:
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], prefix + ":" + i.ToString(CultureInfo.InvariantCulture), rows);
                }

                break;
            case JsonObject or JsonArray:
                rows.Add(new SettingRow(prefix ?? string.Empty, node.ToJsonString(), false));
                break;
            case JsonValue value:
                var text = value.TryGetValue<string>(out var s) ? s : value.ToJsonString();
                rows.Add(new SettingRow(prefix ?? string.Empty, text, text == Mask));
                break;
            default:
                rows.Add(new SettingRow(prefix ?? string.Empty, string.Empty, false));
                break;
        }
    }
}
