using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Common;
using Platform.Server.Documents;

namespace Platform.Server.Users;

/// <summary>A user's profile <c>data</c>: changed by JSON Merge Patch and bounded in size, so repeated patches cannot grow a user without limit.</summary>
public static class UserData
{
    public const int MaxBytes = 32 * 1024;

    /// <summary><paramref name="patch"/> merged into <paramref name="current"/> (RFC 7386); 413 <c>data_too_large</c> when the result is over <see cref="MaxBytes"/>.</summary>
    public static JsonObject Merge(JsonObject current, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        CheckNames(patch, "data");
        var merged = MergePatch.Apply(current, patch);
        var size = JsonSerializer.SerializeToUtf8Bytes(merged).Length;
        return size <= MaxBytes
            ? merged
            : throw new InvalidInputException(
                "data_too_large",
                $"The profile data would take {size} bytes; at most {MaxBytes} are allowed.",
                "data",
                ErrorKind.TooLarge);
    }

    /// <summary>
    /// Keys of profile data follow the field-name rules of documents but for the leading <c>_</c> (no system fields here):
    /// not empty, no leading <c>$</c>, no <c>.</c>, no control character or <c>"</c>. A NUL in a key was stored on SQLite
    /// and a 500 on MongoDB (a BSON name cannot hold it); <c>$</c> and <c>.</c> keys are what MongoDB reads as operators
    /// and paths. 400 <c>invalid_field_name</c> naming the key's path (<c>data.a.b</c>).
    /// </summary>
    private static void CheckNames(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    var at = path + "." + name;
                    DocumentValidator.CheckName(name, at, systemPrefixAllowed: true);
                    CheckNames(value, at);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    CheckNames(array[i], $"{path}[{i}]");
                }

                break;
        }
    }
}
