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
}
