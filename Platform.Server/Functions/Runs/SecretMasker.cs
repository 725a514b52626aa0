using System.Text.Json.Nodes;

namespace Platform.Server.Functions.Runs;

/// <summary>
/// Replaces every whole occurrence of a secret value with <see cref="Mask"/> in what a run leaves behind (logs,
/// error, rejection, result). Values shorter than <see cref="MinLength"/> are not masked: masking "1" or "on"
/// would garble every log without hiding anything worth hiding. Pure and thread-safe.
/// </summary>
public sealed class SecretMasker
{
    public const string Mask = "***";

    /// <summary>Shorter secret values are left alone.</summary>
    public const int MinLength = 4;

    private readonly string[] _values;

    public SecretMasker(IEnumerable<string> secretValues)
    {
        ArgumentNullException.ThrowIfNull(secretValues);

        // Longest first, so a secret that contains another is masked whole.
        _values = [.. secretValues.Where(v => v.Length >= MinLength).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];
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
}
