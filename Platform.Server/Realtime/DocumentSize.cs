using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Server.Storage.Changes;

namespace Platform.Server.Realtime;

/// <summary>
/// A cheap estimate of the memory a change holds in the replay window, for <see cref="RealtimeOptions.ReplayMaxBytes"/>:
/// each document as a <see cref="JsonNode"/> tree (strings are UTF-16, every node carries object overhead), three
/// times: the payload sent to clients is a second copy made on first use, and its encoded wire frames
/// (<see cref="ChangeFrames"/>, UTF-8 JSON and MessagePack, about one byte a character each) a third. It walks the tree
/// once and allocates nothing.
/// </summary>
internal static class DocumentSize
{
    private const long ChangeOverhead = 256;
    private const long NodeOverhead = 48;
    private const long PropertyOverhead = 32;

    public static long OfChange(StoredChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return ChangeOverhead
            + (2 * change.Id.Length)
            + (2 * change.Sequence.Length)
            + (3 * (Of(change.Before) + Of(change.After)));
    }

    /// <summary>The larger of a change's two document versions in KiB (rounded up), at least 1.</summary>
    public static int Kib(StoredChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var bytes = Math.Max(Of(change.Before), Of(change.After));
        return (int)Math.Clamp((bytes + 1023) / 1024, 1, int.MaxValue);
    }

    /// <summary>Estimated bytes of one document tree; 0 for null.</summary>
    public static long Of(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return 0;
            case JsonObject obj:
                {
                    var total = NodeOverhead;
                    foreach (var (name, value) in obj)
                    {
                        total += PropertyOverhead + (2L * name.Length) + Of(value);
                    }

                    return total;
                }

            case JsonArray array:
                {
                    var total = NodeOverhead;
                    foreach (var element in array)
                    {
                        total += 8 + Of(element);
                    }

                    return total;
                }

            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return NodeOverhead + (2L * value.GetValue<string>().Length);
            default:
                return NodeOverhead;
        }
    }
}
