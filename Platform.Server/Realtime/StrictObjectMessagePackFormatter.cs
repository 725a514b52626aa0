using MessagePack;
using MessagePack.Formatters;

namespace Platform.Server.Realtime;

/// <summary>
/// Reads the hub's arguments of type <see cref="object"/> (<c>Unsubscribe</c>'s subscription id) with
/// <see cref="StrictMessagePackValues"/>: the protocol's own formatter read an id that is not UTF-8 as other text (U+FFFD in
/// place of the bytes), which then unsubscribed nothing without a word. Writing is the protocol's own formatter's.
/// </summary>
internal sealed class StrictObjectMessagePackFormatter(IMessagePackFormatter<object?> inner) : IMessagePackFormatter<object?>
{
    public object? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        StrictMessagePackValues.Read(ref reader, string.Empty, "invalid_request");

    public void Serialize(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options) =>
        inner.Serialize(ref writer, value, options);
}
