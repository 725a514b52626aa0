using System.Buffers;
using System.Text;
using MessagePack;

namespace Platform.Server.Realtime;

/// <summary>
/// Reads what a MessagePack client sent as strictly as the JSON protocol reads its text, into the plain values the hub
/// takes (<see cref="PayloadValues"/>): dictionaries with text keys, arrays, text, 64-bit integers, doubles, booleans and
/// null. The library's own reading replaced bytes that are not UTF-8 (a lone surrogate written as CESU-8 among them)
/// with U+FFFD, so a filter or an id silently named other text; it kept a duplicate key only to fail the whole call on
/// it, and gave binary data and extension types (timestamps) to the filter as values no JSON could hold. Each of those is
/// refused here with the JSON protocol's code, naming the path; so is a length or count beyond the message's end, and
/// nesting past <see cref="MaxDepth"/>. Nothing is allocated by a declared length: MessagePack's reader compares every
/// length and count with the bytes that are left before it returns it.
/// </summary>
internal static class StrictMessagePackValues
{
    /// <summary>Nesting accepted in one value, as the JSON protocol's reader accepts (System.Text.Json's default).</summary>
    public const int MaxDepth = 64;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A <c>str</c> (or nil) as text; false when its bytes are not UTF-8.</summary>
    /// <exception cref="EndOfStreamException">Its length goes beyond the message.</exception>
    public static bool TryReadString(ref MessagePackReader reader, out string? text)
    {
        text = null;
        if (reader.ReadStringSequence() is not { } bytes)
        {
            return true;
        }

        try
        {
            text = Utf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>Reads one value at <paramref name="path"/>.</summary>
    /// <param name="reader">At the value.</param>
    /// <param name="path">Where the value is, for refusals (<c>filter</c>; empty for an argument named by the caller).</param>
    /// <param name="code">The code of a value of a kind the hub cannot take (binary data, an extension type, a key that is not text).</param>
    /// <exception cref="UnreadableRequestException">The refusal.</exception>
    public static object? Read(ref MessagePackReader reader, string path, string code) => Read(ref reader, path, code, 1);

    /// <summary>The refusal of a value whose declared length or count goes beyond the message's end.</summary>
    public static UnreadableRequestException Truncated(string path) =>
        new("invalid_request", "The value declares more bytes or items than the message holds, or is not MessagePack.", path);

    public static UnreadableRequestException NotUtf8(string path) =>
        new("invalid_unicode", "Text that is not valid UTF-8 (a lone UTF-16 surrogate written as CESU-8 bytes among it); text must be valid Unicode.", path);

    private static object? Read(ref MessagePackReader reader, string path, string code, int depth)
    {
        try
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Nil:
                    reader.ReadNil();
                    return null;
                case MessagePackType.Boolean:
                    return reader.ReadBoolean();
                case MessagePackType.Integer:
                    if (reader.NextCode == MessagePackCode.UInt64)
                    {
                        var large = reader.ReadUInt64();
                        return large <= long.MaxValue ? (long)large : large;
                    }

                    return reader.ReadInt64();
                case MessagePackType.Float:
                    return reader.ReadDouble();
                case MessagePackType.String:
                    return TryReadString(ref reader, out var text) ? text : throw NotUtf8(path);
                case MessagePackType.Binary:
                    throw new UnreadableRequestException(code, "Binary data (a MessagePack bin) has no JSON form; send text.", path);
                case MessagePackType.Extension:
                    var header = reader.ReadExtensionFormatHeader();
                    throw new UnreadableRequestException(
                        code,
                        header.TypeCode == ReservedMessagePackExtensionTypeCode.DateTime
                            ? "A MessagePack timestamp has no JSON form; send the time as ISO 8601 text (2026-01-02T03:04:05Z)."
                            : $"A MessagePack extension type ({header.TypeCode}) has no JSON form.",
                        path);
                case MessagePackType.Array:
                    return ReadArray(ref reader, path, code, depth);
                case MessagePackType.Map:
                    return ReadMap(ref reader, path, code, depth);
                default:
                    throw Truncated(path);
            }
        }
        catch (EndOfStreamException)
        {
            throw Truncated(path);
        }
        catch (MessagePackSerializationException)
        {
            throw Truncated(path);
        }
    }

    private static object?[] ReadArray(ref MessagePackReader reader, string path, string code, int depth)
    {
        var count = reader.ReadArrayHeader();
        if (count > 0 && depth >= MaxDepth)
        {
            throw TooDeep(path, code);
        }

        var items = new object?[count];
        for (var i = 0; i < count; i++)
        {
            items[i] = Read(ref reader, $"{path}[{i}]", code, depth + 1);
        }

        return items;
    }

    private static Dictionary<string, object?> ReadMap(ref MessagePackReader reader, string path, string code, int depth)
    {
        var count = reader.ReadMapHeader();
        if (count > 0 && depth >= MaxDepth)
        {
            throw TooDeep(path, code);
        }

        var members = new Dictionary<string, object?>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.String)
            {
                throw new UnreadableRequestException(code, "Member names must be text.", path);
            }

            if (!TryReadString(ref reader, out var name) || name is null)
            {
                throw NotUtf8(path);
            }

            var at = path.Length == 0 ? name : path + "." + name;
            if (members.ContainsKey(name))
            {
                throw new UnreadableRequestException(Common.JsonInput.DuplicateKey, $"The key '{name}' appears twice in the same object; keys must be unique.", at);
            }

            members[name] = Read(ref reader, at, code, depth + 1);
        }

        return members;
    }

    private static UnreadableRequestException TooDeep(string path, string code) =>
        new(code, $"The value is nested more than {MaxDepth} levels deep.", path);
}
